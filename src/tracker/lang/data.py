"""Word lists per language: stop words (detection), months (dates), abbreviations (sentences).

Lower case; a list is one string split on whitespace. Sources: the languages' common
function words and their press style guides' abbreviations.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Short, frequent words that tell Latin-script languages apart (few shared between lists).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": words("the and of to is was that with for are have has this from which were said"),
    "es": words("el los las del que por una para con según fue está dijo sus pero más hasta"),
    "fr": words("le les des du est une pour dans qui sur pas par aux été avec selon cette"),
    "de": words("der die das und ist nicht mit den dem ein eine auf sich auch wurde nach wie"),
    "pt": words("os da do das dos que não uma para com foi são segundo pelo pela ao em"),
    "it": words("il della che di gli le per non una sono è al dei nel alla anche stato"),
    "nl": words("de het een van en is niet dat op zijn met voor ook wordt naar door"),
    "sv": words("och att det som är för på inte med av till har den var ett jag"),
    "da": words(
        "og at det som er for på ikke med af til har den var et jeg blev efter sagde "
        "nogle hvad meget sig stadig endnu"
    ),
    "no": words(
        "og at det som er for på ikke med av til har den var et jeg ble etter sa noen "
        "hva mye seg fortsatt ennå"
    ),
    "pl": words("i w na nie się że z do jest to jak po przez oraz został już"),
    "cs": words("a v na se že je to s do jako by ale podle byl také který"),
    "tr": words("ve bir bu için ile olarak daha çok gibi olan ama sonra değil kadar henüz"),
    "id": words("dan yang di ini itu dengan untuk dari tidak dalam akan pada juga"),
}

# Letters only one of the Latin-script languages here uses: each word with one counts for it.
LETTER_HINTS: dict[str, str] = {
    "tr": "ığİ",
    "pl": "łąęśźżń",
    "cs": "řůě",
    "de": "ß",
    "es": "ñ",
    "pt": "ãõ",
}

MONTHS = words(
    # en
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    # de
    "januar jänner februar märz mai juni juli oktober dezember febr okt dez "
    # fr
    "janvier février mars avril juin juillet août septembre octobre novembre décembre "
    "janv févr avr juil déc "
    # es
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre "
    "noviembre diciembre ene abr ago dic "
    # pt
    "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro fev out dez "
    # it
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre gen giu lug set ott "
    # nl
    "januari februari maart mei augustus "
    # sv da no
    "mars maj augusti oktober desember mai "
    # pl (genitive, as in dates)
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października "
    "listopada grudnia "
    # cs (genitive)
    "ledna února března dubna května června července srpna září října listopadu prosince "
    # ru uk (genitive)
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря "
    "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня "
    # tr id
    "ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık "
    "januari februari maret mei agustus desember "
    # ar (Egyptian and Levantine names), he (with the prefix ב), hi
    "يناير فبراير مارس أبريل إبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر "
    "كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين "
    "ינואר פברואר מרץ אפריל מאי יוני יולי אוגוסט ספטמבר אוקטובר נובמבר דצמבר "
    "בינואר בפברואר במרץ באפריל במאי ביוני ביולי באוגוסט בספטמבר באוקטובר בנובמבר בדצמבר "
    "जनवरी फरवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर सितम्बर अक्टूबर नवंबर नवम्बर दिसंबर "
    "दिसम्बर"
)

# Abbreviations that end in "." and are always followed by more of the sentence.
ABBREVIATIONS = words(
    # de
    "bzw ca nr str abs jh jhd vgl ggf evtl inkl zzgl bzgl sog hr dipl ing "
    "z.b d.h u.a v.a o.ä u.ä s.o s.u i.d.r z.t u.u z.zt bspw "
    # fr
    "mme mmes mlle mlles pr dr st ste env av bd "
    # es pt it
    "sr sra srta sres dña dn lic arq ing av pág núm dra exmo exma dott dr.ssa sig "
    "sigg avv prof.ssa pag cfr "
    # nl
    "dhr mevr mr drs ir ing prof blz bijv m.a.w d.w.z o.a "
    # sv da no
    "bl.a t.ex d.v.s f.d hr kl nr ca jf mfl "
    # pl cs
    "ul pl prof płk gen mjr ks św tzw tj np m.in nt wg ing mudr judr phdr "
    # ru uk
    "т.е см им ул пр пл проф акад "
    # tr id
    "dr doç yrd prof sn bkz vb vs bpk sdr jl"
)

# German ordinals ("der 3. Platz", "am 30. September") follow these words.
ORDINAL_CONTEXT = words(
    "der die das den dem des am im zum zur vom beim bis ab seit zum ihrer seiner ihrem seinem "
    "le la les du au"
)
