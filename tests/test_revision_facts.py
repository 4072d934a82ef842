import pytest

from tracker.records import Article
from tracker.revision.facts import CORRECTION, DEVELOPING, has_developing_marker, numbers, quotes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The fire grew to 3,800 acres on Sept. 30.", ["3,800 acres", "30"]),
        ("Police said 12 died.", ["12"]),
        ("12 people and 1 person", ["12 people", "1 person"]),
        ("$2 million was lost; 4.5 million acres burned.", ["$2 million", "4.5 million acres"]),
        ("at 9 a.m. and 3:45 p.m. Tuesday", ["9 a.m.", "3:45 p.m."]),
        ("Up 12.5% and 3 percent", ["12.5%", "3 percent"]),
        ("It fell to -3 degrees.", ["-3 degrees"]),
        ("COVID-19 hit ages 3-5", ["3", "5"]),
        ("in 2020 and", ["2020"]),
        ("lie 14th in the 2nd round", ["14th", "2nd"]),
        ("the A380 on the M4", []),
        ("回答者の約85％が", ["85％"]),
        ("no figures here", []),
    ],
)
def test_numbers_with_units(text, expected):
    assert numbers(text) == expected


def test_quotes_need_three_words_and_lose_trailing_commas():
    paras = [
        '"We will rebuild," she said of the "Hat Creek" area.',
        '“Curly quotes count too.” And a lone " mark does not.',
    ]
    assert quotes(paras) == ["We will rebuild", "Curly quotes count too."]


@pytest.mark.parametrize(
    "text",
    [
        "Correction: The fire started Monday.",
        "CORRECTION : the name was wrong.",
        "Editor's note: names were withheld.",
        "Editors’ note: names were withheld.",
        "This story has been updated with new figures.",
        "This article was corrected to fix a name.",
        "An earlier version of this story misstated the date.",
    ],
)
def test_correction_phrases(text):
    assert CORRECTION.search(text)


@pytest.mark.parametrize(
    "text", ["The correction officer spoke.", "Editors noted the fire.", "The story updated"]
)
def test_not_correction_phrases(text):
    assert not CORRECTION.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "This is a developing story.",
        "This story will be updated.",
        "Live updates: fire",
        "This story is developing and more is coming.",
    ],
)
def test_developing_phrases(text):
    assert DEVELOPING.search(text)


def test_developing_marker_reads_title_text_and_flag():
    plain = Article("Fire", "", None, None, ("Nothing here.",))
    assert not has_developing_marker(plain)
    assert has_developing_marker(Article("Live updates: Fire", "", None, None, ()))
    assert has_developing_marker(Article("Fire", "", None, None, (), developing=True))


def _story(sentence: str) -> Article:
    lede = "The county opened two shelters on Monday as the flood waters kept rising downstream."
    return Article("Flood", "By A. Writer", None, None, (lede, sentence))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a typo in the month leaves a bare "12": the figure did not come or go
        (
            "The first two illnesses were confirmed on November 12.",
            "The first two illnesses were confirmed on Nvoember 12.",
        ),
        (
            "The first cases were confirmed on Nvoember 12.",
            "The first cases were confirmed on November 12.",
        ),
    ],
)
def test_a_figure_that_only_changes_kind_is_not_added_or_removed(old: str, new: str) -> None:
    from tracker.revision import analyze

    report = analyze(_story(old), _story(new))
    assert not report.facts.numbers_added and not report.facts.numbers_removed
    assert report.change_class == "cosmetic", report.summary


def test_a_figure_added_beside_a_date_is_still_added() -> None:
    from tracker.revision import analyze

    old = _story("The first illnesses were confirmed on November 12.")
    new = _story("The first 14 illnesses were confirmed on November 12.")
    assert analyze(old, new).facts.numbers_added == ("14",)
