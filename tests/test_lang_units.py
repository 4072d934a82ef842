"""tracker.lang piece by piece: detection, noise, sentences, tokens, figures and their kinds."""

from __future__ import annotations

import pytest

from tracker.diff import tokenize, word_diff
from tracker.extract import ExtractOptions, normalise_text
from tracker.extract import _compile as compile_cleaners
from tracker.lang.detect import declared_language, detect_text_language, page_language
from tracker.lang.noise import leftover
from tracker.lang.numbers import kind
from tracker.revision.facts import mentions
from tracker.revision.sentences import split_sentences

CLEANERS = compile_cleaners(ExtractOptions())


@pytest.mark.parametrize(
    ("html", "lang"),
    [
        ('<html lang="de-CH"><head></head>', "de"),
        ('<html class="x" lang=pt_BR>', "pt"),
        ('<html lang="nb">', "no"),
        ('<html><meta property="og:locale" content="fr_FR">', "fr"),
        ('<html><script>{"inLanguage": "es-MX"}</script>', "es"),
        ('<html lang="und"><meta property="og:locale" content="it_IT">', "it"),
        ("<html><p>nothing declared</p>", None),
    ],
)
def test_declared_language_in_order(html: str, lang: str | None) -> None:
    assert declared_language(html) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "Die Feuerwehr sagte, dass der Brand nicht unter Kontrolle ist und sich ausbreitet.",
            "de",
        ),
        ("Влада підтвердила, що пожежа ще не під контролем і продовжує поширюватися.", "uk"),
        ("Власти подтвердили, что пожар пока не локализован и продолжает распространяться.", "ru"),
        ("山火事は火曜日に拡大した。住民は避難した。", "ja"),
        ("山火自周二以来持续蔓延，居民已经撤离。", "zh"),
        ("산불이 화요일부터 계속 번지고 있다.", "ko"),
        ("Yangın salı gününden beri yayılıyor ve henüz kontrol altına alınamadı.", "tr"),
        ("12 345", None),
    ],
)
def test_text_language(text: str, lang: str | None) -> None:
    assert detect_text_language(text) == lang


def test_a_declaration_loses_to_text_in_another_script() -> None:
    assert page_language('<html lang="en">', "山火自周二以来持续蔓延，居民已经撤离。") == "zh"
    assert page_language('<html lang="de">', "The fire spread on Tuesday.") == "de"


@pytest.mark.parametrize(
    "line",
    [
        "Aktualisiert vor 5 Minuten",
        "Mis à jour · il y a 3 h",
        "Actualizado hace 2 horas",
        "منذ ٣ ساعات",
        "५ मिनट पहले",
        "更新于 2小时前",
        "3시간 전",
        "Kommentare (12)",
        "1 204 vues",
        "Auf Facebook teilen",
        "Обновлено 5 минут назад",
    ],
)
def test_noise_lines_vanish(line: str) -> None:
    rest = normalise_text(line, CLEANERS)
    assert rest == "" or leftover(rest)


def test_noise_in_a_long_line_is_content() -> None:
    text = (
        "Der Brand war vor 5 Minuten noch nicht unter Kontrolle, sagte ein Sprecher der "
        "Feuerwehr am Dienstagabend."
    )
    assert normalise_text(text, CLEANERS) == text
    assert not leftover("Der Präsident wurde aktualisiert")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Das ist z. B. ein Test. Dann ging er.", ["Das ist z. B. ein Test.", "Dann ging er."]),
        (
            "Am 30. September kam er. Der 3. Platz ging an ihn.",
            ["Am 30. September kam er.", "Der 3. Platz ging an ihn."],
        ),
        ("« Nous partons. » Il est parti.", ["« Nous partons. »", "Il est parti."]),
        ("M. Dupont a dit non. Mme Martin aussi.", ["M. Dupont a dit non.", "Mme Martin aussi."]),
        ("Er sagte: „Wir kommen.“ Dann ging er.", ["Er sagte: „Wir kommen.“", "Dann ging er."]),
        ("هل انتهى؟ نعم.", ["هل انتهى؟", "نعم."]),
        ("यह खत्म हुआ। वह चला गया।", ["यह खत्म हुआ।", "वह चला गया।"]),
        ("「よし。」と言った。次に進む。", ["「よし。」と言った。", "次に進む。"]),
        ("Es kostet 4,3 Mio. Euro. Das ist viel.", ["Es kostet 4,3 Mio. Euro.", "Das ist viel."]),
    ],
)
def test_sentences_beyond_english(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize("figure", ["4 300", "4\u00a0300", "4’300", "4,3 %", "١٢٣", "%25", "4.300"])
def test_a_local_figure_is_one_token(figure: str) -> None:
    assert figure in tokenize(f"auf {figure} Menschen")


def test_cjk_diffs_by_character() -> None:
    d = word_diff("约1200人被迫撤离成都。", "约1500人被迫撤离重庆。")
    changed = [(op, text) for op, text in d.ops if op != "equal"]
    assert changed == [
        ("delete", "1200"),
        ("insert", "1500"),
        ("delete", "成都"),
        ("insert", "重庆"),
    ]
    assert tokenize("हिंदी समाचार") == ["हिंदी", " ", "समाचार"]


@pytest.mark.parametrize(
    ("text", "figure", "expected"),
    [
        ("On Sept. 30, 2026 it ended", "30", "date"),
        ("On Sept. 30, 2026 it ended", "2026", "date"),
        ("am 30. September 2026", "30", "date"),
        ("2026年9月30日", "9", "date"),
        ("passed 20-8 on Friday", "20", "tally"),
        ("near Highway 299.", "299", "route"),
        ("12 people died", "12", "figure"),
    ],
)
def test_figure_kinds(text: str, figure: str, expected: str) -> None:
    start = text.index(figure)
    assert kind(text, start, start + len(figure)) == expected


def test_figures_with_local_scales_and_units() -> None:
    assert mentions("Schaden 4,3 Mio. Euro, 4.300 Menschen") == [
        ("4,3 Mio. Euro", "figure"),
        ("4.300 Menschen", "figure"),
    ]
    assert mentions("قتل ١٢٠٠ شخص") == [("١٢٠٠ شخص", "figure")]
