"""What a version puts in the sentence index: its distinct sentences (and title) by key.

Pure and light (no database): the store's index (``store/sentences.py``) uses it, and so do
the extraction workers, which key a new text beside its extraction so that the process that
writes every version does not split it again (``workers.extract_for_check``).
"""

from __future__ import annotations

import hashlib

from tracker.records import Article

TITLE, TEXT = "title", "text"
MAX_SENTENCE_CHARS = 10_000  # a "sentence" longer than this is kept cut (hostile pages)

# {key: (kind, text)}
VersionSentences = dict[int, tuple[str, str]]


def sentence_key(kind: str, sentence: str) -> int:
    """A sentence's identity in its story: 64 bits of BLAKE2b, signed to fit a BIGINT."""
    digest = hashlib.blake2b(f"{kind}\0{' '.join(sentence.split())}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def version_sentences(article: Article, *, unpublished: bool) -> VersionSentences:
    """The distinct sentences (and title) of a version, by key: ``{key: (kind, text)}``."""
    if unpublished:
        return {}
    # here, not at the top: a read command that imports the store needs no revision engine
    from tracker.revision.sentences import split_paragraphs

    found: VersionSentences = {}
    if article.title.strip():
        title = article.title.strip()[:MAX_SENTENCE_CHARS]
        found[sentence_key(TITLE, title)] = (TITLE, title)
    for s in split_paragraphs(article.paragraphs):
        body = s.text[:MAX_SENTENCE_CHARS]
        found.setdefault(sentence_key(TEXT, body), (TEXT, body))
    return found
