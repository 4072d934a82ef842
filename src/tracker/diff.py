"""Text x text -> WordDiff, at word granularity.

diff-match-patch compares characters; we map every word token to one private-use character
(the "lines to chars" trick, on words), diff those, and map back. A number such as ``4,300``
is one token, so a changed figure reads ``4,300 -> 4,307``, never as changed digits; so is
a figure in a local format (``4.300``, ``4 300``, ``4’300``, ``4,3 %``, ``١٢٣``; see
``tracker.lang.numbers``). Chinese and Japanese, written without spaces, are compared
character by character (``tracker.lang.script``): a changed figure or name is that change.
Semantic cleanup then merges tiny equalities so edits read as phrases.
"""

from __future__ import annotations

import re

from diff_match_patch import diff_match_patch

from tracker.lang.numbers import NUMBER_TOKEN
from tracker.lang.script import CJK, WORD_CHAR
from tracker.records import DiffOp, WordDiff

# A token is a number (with separators and units glued on), a word (with inner apostrophes and
# hyphens), a single other visible character, or a run of whitespace.
TOKEN = re.compile(
    NUMBER_TOKEN  # 4,300  12.5%  3:45  9/11  $1,000  4 300  4,3 %
    + f"|[{CJK}]"  # one Chinese character or kana
    + rf"|{WORD_CHAR}+(?:['’\-]{WORD_CHAR}+)*"  # words, don't, D-St, हिंदी
    r"|\s+"  # whitespace runs
    r"|[^\w\s]",  # punctuation, one at a time
    re.UNICODE,
)

_OPS: dict[int, DiffOp] = {0: "equal", 1: "insert", -1: "delete"}
_BASE = 0xF0000  # supplementary private use area: 131,068 code points, never in page text


def tokenize(text: str) -> list[str]:
    """Split text into tokens that join back to exactly the text."""
    return TOKEN.findall(text)


def _encode(tokens: list[str], table: dict[str, str], vocab: list[str]) -> str:
    out = []
    for tok in tokens:
        ch = table.get(tok)
        if ch is None:
            index = len(vocab)
            # Past the private-use area (huge texts) fall back to the BMP private area and then
            # any unused code point; the mapping stays one-to-one.
            ch = chr(_BASE + index) if index < 0xFFFE else chr(0xE000 + index - 0xFFFE)
            table[tok] = ch
            vocab.append(tok)
        out.append(ch)
    return "".join(out)


def word_diff(old: str, new: str, *, cleanup: bool = True, timeout: float = 2.0) -> WordDiff:
    """Word-level diff of two texts; ops join back to old (equal+delete) and new (equal+insert)."""
    if old == new:
        return WordDiff(ops=(("equal", old),) if old else ())
    table: dict[str, str] = {}
    vocab: list[str] = []
    a = _encode(tokenize(old), table, vocab)
    b = _encode(tokenize(new), table, vocab)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    diffs = dmp.diff_main(a, b, False)
    if cleanup:
        dmp.diff_cleanupSemantic(diffs)
    index = {ch: tok for tok, ch in table.items()}
    ops: list[tuple[DiffOp, str]] = []
    for code, chars in diffs:
        text = "".join(index[c] for c in chars)
        if not text:
            continue
        op = _OPS[code]
        if ops and ops[-1][0] == op:
            ops[-1] = (op, ops[-1][1] + text)
        else:
            ops.append((op, text))
    return WordDiff(ops=tuple(ops))
