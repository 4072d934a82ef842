"""The diff card: its content (read back as text from the placed layout), the PNG's size and
dimensions, scripts and fonts, hostile text, the alt text, and ``tracker diff --format png``."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys

import pytest
from PIL import Image, ImageDraw

from tests.servers import article_html
from tracker.cards import (
    MAX_ALT,
    MAX_HEIGHT,
    MIN_FONT,
    alt_text,
    build_card,
    card_layout,
    card_text,
    layout_text,
    render_card,
)
from tracker.cards.draw import load_font, measure
from tracker.cards.fonts import font_path, raqm_available, script_runs
from tracker.records import Article
from tracker.revision import analyze

META = {
    "url": "https://www.example.com/news/flood",
    "from": 3,
    "to": 4,
    "from_time": "2026-11-30T09:12:00+00:00",
    "to_time": "2026-11-30T09:40:00+00:00",
    "web_url": "https://tracker.example/stories/1/diff/3/4",
}
OLD = [
    "Flood waters rose on Tuesday in the valley. Officials said 35,000 homes were without power.",
    "The mayor urged calm. Rescue teams were sent to the north.",
    "More rain is expected on Wednesday.",
]


def art(title: str, paragraphs: list[str]) -> Article:
    return Article(title, "By A. Writer", None, None, tuple(paragraphs))


def headline_and_number():  # type: ignore[no-untyped-def]
    new = [OLD[0].replace("35,000", "48,000"), *OLD[1:], "The governor declared an emergency."]
    return analyze(
        art("Flood waters rise in the valley", OLD),
        art("Flood waters reach record in the valley", new),
    )


def test_card_shows_the_changes_marked_and_fits_the_services_limits():
    card = render_card(headline_and_number(), META)
    text = layout_text(card.layout)
    assert "example.com · Flood waters reach record in the valley" in text
    assert "[MAJOR]" in text or "[SUBSTANTIVE]" in text
    assert "version 3 → 4, 2026-11-30 09:12 → 09:40 UTC" in text
    assert "Flood waters [-rise-]{+reach record+} in the valley" in text
    assert "Officials said [-35,000-]{+48,000+} homes" in text
    assert "{+The governor declared an emergency.+}" in text
    assert "Flood waters rose on Tuesday in the valley." in text  # one sentence of context
    assert "+ " not in text.split("\n")[-2]  # nothing trimmed
    image = Image.open(io.BytesIO(card.png))
    assert image.format == "PNG" and image.size == (1200, card.layout.height)
    assert card.layout.height <= MAX_HEIGHT and len(card.png) < 1_000_000
    assert min(p.size for line in card.layout.lines for p in line.pieces) >= MIN_FONT


def test_deleted_and_inserted_words_are_struck_and_underlined_not_only_coloured():
    card = render_card(headline_and_number(), META)
    image = Image.open(io.BytesIO(card.png)).convert("L")  # greyscale: colour gone
    line = next(ln for ln in card.layout.lines if ln.kind == "headline")
    deleted = next(p for p in line.pieces if p.mark == "delete")
    inserted = next(p for p in line.pieces if p.mark == "insert")
    strike_y = line.baseline - round(deleted.size * 0.3)
    under_y = line.baseline + round(inserted.size * 0.14)
    # A dark rule runs across the whole word: every column of it is dark at that height.
    assert all(
        image.getpixel((x, strike_y)) < 128
        for x in range(deleted.x + 1, deleted.x + deleted.width - 1)
    )
    assert all(
        image.getpixel((x, under_y)) < 128
        for x in range(inserted.x + 1, inserted.x + inserted.width - 1)
    )


def test_a_moved_sentence_is_marked():
    new = [OLD[0], "Rescue teams were sent to the north. The mayor urged calm.", OLD[2]]
    report = analyze(art("Flood", OLD), art("Flood", new))
    text = layout_text(render_card(report, META).layout)
    assert "[MOVED] The mayor urged calm." in text


def test_a_2000_character_word_wraps_inside_the_card():
    hostile = "A" * 2000
    report = analyze(art("T", OLD), art("T", [*OLD, f"Look: {hostile} end."]))
    card = render_card(report, META)
    right = card.layout.width - card.layout.margin
    assert all(p.x + p.width <= right + 1 for line in card.layout.lines for p in line.pieces)
    drawn = "".join(p.text for line in card.layout.lines for p in line.pieces)
    assert drawn.count("A") >= 500  # cut across lines, as much as the card holds
    assert len([ln for ln in card.layout.lines if "AAAA" in "".join(p.text for p in ln.pieces)]) > 5


def test_a_long_change_is_trimmed_with_a_count_of_the_rest():
    added = [f"Update number {n} arrived from the valley with more news." for n in range(200)]
    report = analyze(art("T", OLD), art("T", [*OLD, *added]))
    card = render_card(report, META)
    lines = layout_text(card.layout).splitlines()
    more = [ln for ln in lines if ln.startswith("+ ") and ln.endswith("more changes")]
    shown = sum(1 for ln in lines if ln.startswith("{+Update number"))
    assert more == [f"+ {card.layout.omitted} more changes"]
    assert shown + card.layout.omitted == 200
    assert card.layout.height <= MAX_HEIGHT and len(card.png) < 1_000_000
    assert Image.open(io.BytesIO(card.png)).size == (1200, card.layout.height)


def test_width_option_scales_but_keeps_fonts_readable():
    card = render_card(headline_and_number(), META, width=600)
    assert Image.open(io.BytesIO(card.png)).size[0] == 600
    assert min(p.size for line in card.layout.lines for p in line.pieces) >= MIN_FONT
    with pytest.raises(ValueError):
        card_layout(headline_and_number(), META, width=5000)


def test_hostile_controls_and_bidi_overrides_do_not_reach_the_card():
    report = analyze(
        art("T", OLD), art("T\u202e evil", [*OLD, "Bad\x00\x1b[31m \u202egnirts text."])
    )
    text = card_text(build_card(report, META))
    assert "\u202e" not in text and "\x00" not in text and "\x1b" not in text


@pytest.mark.parametrize(
    ("sentence", "script"),
    [
        ("东京也派出了救援队，共有三百人参加。", "cjk"),
        ("قالت الحكومة إن المساعدات في الطريق.", "arabic"),
        ("Москва сообщила о помощи пострадавшим.", "base"),
    ],
)
def test_non_latin_scripts_get_a_font_that_has_them(sentence, script):
    assert font_path(script) is not None, f"no font for {script}: install fonts-noto-core/-cjk"
    report = analyze(art("T", OLD), art("T", [*OLD, sentence]))
    card = render_card(report, META)
    assert sentence in layout_text(card.layout).replace("{+", "").replace("+}", "")
    pieces = [p for line in card.layout.lines for p in line.pieces if p.mark == "insert"]
    assert {p.script for p in pieces if not p.text.isspace()} >= {script}
    # Real glyphs, not the missing-glyph box: two different letters draw differently.
    letters = [ch for ch in sentence if ch.isalpha()][:2]
    font = load_font(script, False, 26)
    assert _glyph(font, letters[0]) != _glyph(font, letters[1])


def _glyph(font, ch: str) -> bytes:  # type: ignore[no-untyped-def]
    image = Image.new("L", (80, 80))
    ImageDraw.Draw(image).text((10, 10), ch, font=font, fill=255)
    return image.tobytes()


def test_arabic_is_shaped_and_set_right_to_left():
    if not raqm_available():
        pytest.skip("Pillow without libraqm: Arabic is drawn unshaped (docs/cards.md)")
    word = "الحكومة"
    assert measure(word, "arabic", False, 26) != sum(measure(c, "arabic", False, 26) for c in word)
    report = analyze(art("T", OLD), art("T", [*OLD, "قالت الحكومة إن المساعدات في الطريق."]))
    layout = render_card(report, META).layout
    line = next(ln for ln in layout.lines if any(p.script == "arabic" for p in ln.pieces))
    first, last = line.pieces[0], line.pieces[-1]  # reading order
    assert first.x > last.x  # the first word is at the right
    assert max(p.x + p.width for p in line.pieces) == pytest.approx(
        layout.width - layout.margin, abs=2
    )


def test_script_runs_split_mixed_text():
    assert script_runs("Tokyo 東京 2026") == [
        ("base", "Tokyo "),
        ("cjk", "東京 "),
        ("base", "2026"),
    ]


def test_alt_text_says_what_changed_in_words():
    alt = alt_text(headline_and_number(), META)
    assert alt.startswith("A ") and "on example.com, version 3 to 4." in alt
    headline = "'Flood waters rise in the valley' to 'Flood waters reach record in the valley'."
    assert f"Headline changed from {headline}" in alt
    assert "35,000 homes became 48,000 homes." in alt
    assert "A sentence was added: 'The governor declared an emergency.'." in alt
    assert len(alt) <= MAX_ALT


def test_alt_text_stays_complete_within_1000_characters():
    added = [f"Update number {n} arrived from the valley with more news." for n in range(300)]
    alt = alt_text(analyze(art("T", OLD), art("T", [*OLD, *added])), META)
    assert len(alt) <= MAX_ALT
    assert alt.endswith(" more changes.") and alt.split(". And ")[0].endswith("news.'")


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def story(cli, config_file, server):  # type: ignore[no-untyped-def]
    url = server.page("/story", article_html("Flood waters rise in the valley", OLD))
    assert cli("add", url).code == 0 and cli("check", url).code == 0
    new = [OLD[0].replace("35,000", "48,000"), *OLD[1:]]
    server.page("/story", article_html("Flood waters reach record in the valley", new))
    assert cli("check", url).code == 0
    return url


def test_cli_writes_the_card_and_prints_its_alt_text(cli, story, tmp_path):
    out = tmp_path / "card.png"
    r = cli("diff", story, "--format", "png", "--output", str(out), "--width", "800")
    assert r.code == 0, r.stderr
    assert Image.open(out).size[0] == 800
    r = cli("diff", story, "--format", "alt")
    assert r.code == 0 and "35,000 homes became 48,000 homes." in r.stdout
    assert "Headline changed from 'Flood waters rise in the valley'" in r.stdout
    assert cli("diff", story, "--format", "png", "--width", "90", "-o", str(out)).code == 2


def _tracker(*args: str, config, stdout) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    cmd = [sys.executable, "-m", "tracker", "--config", str(config), *args]
    return subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, timeout=60, env=os.environ)


def test_cli_png_goes_to_a_pipe_but_not_to_a_terminal(story, config_file):
    piped = _tracker("diff", story, "--format", "png", config=config_file, stdout=subprocess.PIPE)
    assert piped.returncode == 0, piped.stderr
    assert Image.open(io.BytesIO(piped.stdout)).format == "PNG"
    main, child = pty.openpty()
    try:
        on_tty = _tracker("diff", story, "--format", "png", config=config_file, stdout=child)
    finally:
        os.close(child)
        os.close(main)
    assert on_tty.returncode == 2 and b"--output" in on_tty.stderr
    r = _tracker("diff", story, "--format", "json", config=config_file, stdout=subprocess.PIPE)
    assert json.loads(r.stdout)["to"] == 2  # the other formats unchanged


def test_export_cards_writes_a_png_and_alt_text_per_change(cli, story, server, tmp_path):
    other = server.page("/other", article_html("Council meets", OLD))
    assert cli("add", other, "--label", "council").code == 0 and cli("check", other).code == 0
    server.page("/other", article_html("Council meets", [*OLD, "The vote was postponed."]))
    assert cli("check", other).code == 0
    out = tmp_path / "cards"
    r = cli("export", "--what", "cards", "-o", str(out))
    assert r.code == 0, r.stderr
    assert "wrote 2 cards" in r.stderr
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["story1-v1-v2.png", "story2-v1-v2.png"]
    assert Image.open(out / "story1-v1-v2.png").size[0] == 1200
    alt = (out / "story1-v1-v2.txt").read_text()
    assert "35,000 homes became 48,000 homes." in alt and len(alt) <= 1001
    only = tmp_path / "council"
    assert cli("export", "--what", "cards", "--label", "council", "-o", str(only)).code == 0
    assert [p.name for p in only.glob("*.png")] == ["story2-v1-v2.png"]
    assert "The vote was postponed." in (only / "story2-v1-v2.txt").read_text()
    assert cli("export", "--what", "cards").code == 2  # a directory is required
