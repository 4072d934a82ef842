import pytest

from tracker.revision import split_sentences
from tracker.revision.sentences import split_paragraphs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Gov. Mike Parson said the U.S. Army would help. Rep. Jane Doe agreed.",
            ["Gov. Mike Parson said the U.S. Army would help.", "Rep. Jane Doe agreed."],
        ),
        (
            "Rep. Jane Doe, D-St. Louis County, said so. St. Louis is next.",
            ["Rep. Jane Doe, D-St. Louis County, said so.", "St. Louis is next."],
        ),
        (
            "On Sept. 30, Mr. Smith arrived at 9 a.m. Tuesday. He left.",
            ["On Sept. 30, Mr. Smith arrived at 9 a.m. Tuesday.", "He left."],
        ),
        ("He left at 5 p.m. The fire grew.", ["He left at 5 p.m.", "The fire grew."]),
        ("Talks end at 5 p.m. Nobody was hurt.", ["Talks end at 5 p.m.", "Nobody was hurt."]),
        ("It opens at 9 a.m. ET on Monday.", ["It opens at 9 a.m. ET on Monday."]),
        (
            "He moved to the U.S. The next day he died.",
            ["He moved to the U.S.", "The next day he died."],
        ),
        (
            'He said, "We will rebuild." Officials agreed.',
            ['He said, "We will rebuild."', "Officials agreed."],
        ),
        ('"Why?" she asked. Nobody knew.', ['"Why?" she asked.', "Nobody knew."]),
        ("“Stop!” he said. Then he ran.", ["“Stop!” he said.", "Then he ran."]),
        ("Rates rose 3.5 percent. Then fell.", ["Rates rose 3.5 percent.", "Then fell."]),
        ("It paused... and went on. Done.", ["It paused... and went on.", "Done."]),
        ("Wait… Nothing happened.", ["Wait…", "Nothing happened."]),
        ("John F. Kennedy and J. K. Rowling met.", ["John F. Kennedy and J. K. Rowling met."]),
        ("He lives at No. 5 Main St. in town.", ["He lives at No. 5 Main St. in town."]),
        (
            "Acme Inc. said so. Acme Inc. The firm declined.",
            ["Acme Inc. said so.", "Acme Inc.", "The firm declined."],
        ),
        ("Is it over? Yes! It is.", ["Is it over?", "Yes!", "It is."]),
        ("Über alles. Éric left.", ["Über alles.", "Éric left."]),
        ("火事が広がった。住民は避難した。", ["火事が広がった。", "住民は避難した。"]),
        ("lower case after a period. stays one", ["lower case after a period. stays one"]),
        (
            "Dr. Lee (a.k.a. Doc) spoke. (Then left.)",
            ["Dr. Lee (a.k.a. Doc) spoke.", "(Then left.)"],
        ),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_raw_slices_join_back_to_the_article_text():
    paragraphs = ("  First one. Second one.", "", "Third, with Gov. Smith.  ", "Last!")
    sentences = split_paragraphs(paragraphs)
    assert "".join(s.raw for s in sentences) == "\n\n".join(paragraphs)
    assert [s.text for s in sentences] == [
        "First one.",
        "Second one.",
        "Third, with Gov. Smith.",
        "Last!",
    ]
    assert [s.paragraph for s in sentences] == [0, 0, 2, 3]


def test_blank_paragraphs_before_any_sentence_are_kept():
    paragraphs = ("", " ", "Only one.")
    sentences = split_paragraphs(paragraphs)
    assert [s.text for s in sentences] == ["Only one."]
    assert "".join(s.raw for s in sentences) == "\n\n".join(paragraphs)
