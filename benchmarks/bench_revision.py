"""Revision intelligence: how often analyze() names the right edit and class, and how fast.

1. **Accuracy.** Every real page in the corpus (``pages/NNN.html``; the text comes from
   ``NNN.truth.json`` when it holds the article body, else ``trafilatura.extract(html,
   favor_precision=True)``) is split into paragraphs and edited, with a fixed seed, in each of
   the ways below. ``analyze(old, new)`` should report exactly the expected sentence op (no
   other non-equal op) and the expected class:

   ============== ========================================= ========= ===========
   edit           what is done                              op        class
   ============== ========================================= ========= ===========
   add_sentence   a new sentence after a random one         insert    substantive
   delete         a sentence removed                        delete    substantive
   update_word    one word of a sentence replaced           update    minor
   move           a sentence moved to another paragraph     move      minor
   number         one figure changed (its last digit)       update    substantive
   fix_typo       a swapped pair of letters put back        update    cosmetic
   add_typo       two neighbouring letters swapped          update    cosmetic
   headline       the title replaced                        (none)    major
   ============== ========================================= ========= ===========

   Edits stay out of the lede (first paragraph) when there is more than one paragraph, so
   the lede rule does not turn them major; ``update_word`` and ``move`` leave sentences with
   quote marks alone (an edit there is a quote change: substantive); new and moved sentences
   go after a sentence that ends in terminal punctuation. ``number`` also needs the changed
   pair in ``facts.numbers_changed``. Sentences are found with the tracker's own splitter.
2. **Speed.** Median and p95 of ``analyze()`` over every corpus pair above, and over a
   10,000-word article (synthetic, and one stitched from corpus paragraphs) with a word
   changed, a sentence added, one deleted, a figure changed and a paragraph moved; also a
   full rewrite of the synthetic article (the worst case).

Run: ``.venv/bin/python benchmarks/bench_revision.py [--corpus DIR] [--json PATH]``. Without
the corpus the accuracy part and the stitched article are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tracker.records import Article
from tracker.revision import ChangeReport, analyze
from tracker.revision.sentences import split_paragraphs

SEED = 20261128
TRIALS = 3  # edits of each kind per page
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
NEW_SENTENCES = (
    "Officials said the situation remained fluid late on Tuesday evening.",
    "A spokesperson declined to comment further when reached by telephone.",
    "Residents were urged to follow guidance from local authorities.",
)
REPLACEMENTS = ("reportedly", "significant", "controversial", "unexpected", "preliminary")
LETTERS = re.compile(r"[^\W\d_]{5,}")
WORD = re.compile(r"(?<=\s)[^\W\d_]{4,}(?![\w.])")  # not a sentence's first word, nor "Sept."
# A figure standing on its own (ordinals allowed), not a code glued to letters like "M4".
FIGURE = re.compile(r"(?<![\w.,])(?:\d[\d,.]*\d|\d)(?=st\b|nd\b|rd\b|th\b|[^\w]|$)")
ENDS = re.compile(r"""[.!?…。！？]["'”’»)\]]*\s*$""")  # a sentence that really ends
# Quote marks the tracker reads as quotes (tracker.lang.phrases.QUOTE): an edit inside one is
# a quote altered (substantive), so the minor edits keep out of them. ’ is left out: it is
# also the apostrophe.
QUOTES = re.compile(r"[\"“”«»„「」『』‹›]")


def _ends(sentence: str) -> bool:
    return bool(ENDS.search(sentence))


# ---------------------------------------------------------------- corpus


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(" ".join(p.split()) for p in text.split("\n") if p.strip())


def load_corpus(corpus: Path) -> list[Article]:
    """One Article per page, text from the truth file or trafilatura."""
    import trafilatura

    articles = []
    for page in sorted((corpus / "pages").glob("[0-9][0-9][0-9].html")):
        html = page.read_text(encoding="utf-8", errors="replace")
        truth = page.with_suffix(".truth.json")
        body = ""
        if truth.exists():
            body = json.loads(truth.read_text(encoding="utf-8")).get("articleBody") or ""
        if not body:
            body = trafilatura.extract(html, favor_precision=True) or ""
        meta = trafilatura.extract_metadata(html)
        title = (meta.title if meta else None) or page.stem
        paragraphs = _paragraphs(body)
        if len(split_paragraphs(paragraphs)) >= 3:
            articles.append(Article(title, "", None, None, paragraphs))
    return articles


# ---------------------------------------------------------------- edits


@dataclass(frozen=True)
class Edit:
    kind: str
    old: Article
    new: Article
    op: str | None  # the one non-equal sentence op expected, None for none
    change_class: str
    pair: tuple[str, str] | None = None  # a figure that must show in numbers_changed


def _sentences(article: Article) -> list[list[str]]:
    """Raw sentence slices per paragraph (joining a paragraph's slices gives it back)."""
    out: list[list[str]] = [[] for _ in article.paragraphs]
    for s in split_paragraphs(article.paragraphs):
        out[s.paragraph].append(s.raw.rstrip("\n"))
    return out


def _build(article: Article, parts: list[list[str]]) -> Article:
    paragraphs = tuple("".join(p).strip() for p in parts)
    return replace(article, paragraphs=tuple(p for p in paragraphs if p))


def _pick(rng: random.Random, parts: list[list[str]], ok: Callable[[str], bool]) -> tuple[int, int]:
    """A random (paragraph, sentence) outside the lede, where ok(sentence) holds."""
    first = 1 if len(parts) > 1 else 0
    spots = [(p, k) for p in range(first, len(parts)) for k, s in enumerate(parts[p]) if ok(s)]
    if not spots:
        raise LookupError
    return rng.choice(spots)


def _sub_word(rng: random.Random, sentence: str, pattern: re.Pattern[str]) -> tuple[str, str]:
    """(the matched word, sentence with it) for a random match of pattern."""
    m = rng.choice(list(pattern.finditer(sentence)))
    return m.group(), sentence[: m.start()] + "\x00" + sentence[m.end() :]


def _swap(word: str, rng: random.Random) -> str:
    """Two different neighbouring letters swapped (not the first letter)."""
    spots = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1]]
    if not spots:
        raise LookupError
    i = rng.choice(spots)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def make_edit(kind: str, article: Article, rng: random.Random) -> Edit:
    parts = _sentences(article)
    if kind == "headline":
        new = replace(article, title="Update: " + " ".join(reversed(article.title.split())))
        return Edit(kind, article, new, None, "major")
    if kind == "add_sentence":
        p, k = _pick(rng, parts, _ends)
        sentence = rng.choice(NEW_SENTENCES)
        raw = parts[p][k]
        parts[p][k] = raw.rstrip() + " " + sentence + raw[len(raw.rstrip()) :]
        return Edit(kind, article, _build(article, parts), "insert", "substantive")
    if kind == "delete":
        p, k = _pick(rng, parts, lambda s: bool(re.search(r"\w", s)))
        del parts[p][k]
        return Edit(kind, article, _build(article, parts), "delete", "substantive")
    if kind == "move":
        p, k = _pick(rng, parts, lambda s: _ends(s) and not QUOTES.search(s))
        # To the end of another paragraph that ends a sentence, and out of order (the end of
        # the paragraph just before is where a paragraph's first sentence already is).
        targets = [
            q
            for q in range(1 if len(parts) > 2 else 0, len(parts))
            if q != p and not (q == p - 1 and k == 0) and _ends(parts[q][-1])
        ]
        if not targets:
            raise LookupError
        q = rng.choice(targets)
        sentence = parts[p].pop(k).strip()
        parts[q][-1] = parts[q][-1].rstrip() + " " + sentence
        return Edit(kind, article, _build(article, parts), "move", "minor")
    if kind == "update_word":
        # Outside quotes: a word changed in a quote is a quote altered (substantive).
        p, k = _pick(
            rng,
            parts,
            lambda s: len(s.split()) >= 4 and bool(WORD.search(s)) and not QUOTES.search(s),
        )
        word, template = _sub_word(rng, parts[p][k], WORD)
        parts[p][k] = template.replace("\x00", rng.choice([r for r in REPLACEMENTS if r != word]))
        return Edit(kind, article, _build(article, parts), "update", "minor")
    if kind == "number":
        p, k = _pick(rng, parts, lambda s: bool(FIGURE.search(s)))
        figure, template = _sub_word(rng, parts[p][k], FIGURE)
        changed = figure[:-1] + str((int(figure[-1]) + rng.randint(1, 8)) % 10)
        parts[p][k] = template.replace("\x00", changed)
        new = _build(article, parts)
        return Edit(kind, article, new, "update", "substantive", (figure, changed))
    if kind in ("fix_typo", "add_typo"):
        p, k = _pick(rng, parts, lambda s: bool(LETTERS.search(s)))
        word, template = _sub_word(rng, parts[p][k], LETTERS)
        typo = parts[p][:]
        typo[k] = template.replace("\x00", _swap(word, rng))
        with_typo = _build(article, [*parts[:p], typo, *parts[p + 1 :]])
        if kind == "fix_typo":
            return Edit(kind, with_typo, article, "update", "cosmetic")
        return Edit(kind, article, with_typo, "update", "cosmetic")
    raise ValueError(kind)


KINDS = (
    "add_sentence",
    "delete",
    "update_word",
    "move",
    "number",
    "fix_typo",
    "add_typo",
    "headline",
)


def _figure(mention: str) -> str:
    m = FIGURE.search(mention)
    return m.group() if m else ""


def judge(edit: Edit, report: ChangeReport) -> tuple[bool, bool]:
    """(op right, class right)."""
    ops = [s.op for s in report.sentences if s.op != "equal"]
    op_ok = ops == ([edit.op] if edit.op else [])
    if edit.pair is not None:  # "$44 million" holds the figure 44
        op_ok = op_ok and any(
            _figure(a) == edit.pair[0] and _figure(b) == edit.pair[1]
            for a, b in report.facts.numbers_changed
        )
    return op_ok, report.change_class == edit.change_class


def accuracy(articles: list[Article]) -> tuple[dict[str, dict[str, Any]], list[float]]:
    """Per kind: n, op and class accuracy and the classes seen; and every analyze() time."""
    results: dict[str, dict[str, Any]] = {}
    timings: list[float] = []
    for kind in KINDS:
        n = op_ok = cls_ok = 0
        seen: Counter[str] = Counter()
        misses: list[dict[str, Any]] = []
        for index, article in enumerate(articles):
            rng = random.Random(f"{SEED}:{kind}:{index}")
            for _ in range(TRIALS):
                try:
                    edit = make_edit(kind, article, rng)
                except LookupError:
                    continue  # no sentence fits this edit (e.g. no figure on the page)
                t = time.perf_counter()
                report = analyze(edit.old, edit.new)
                timings.append((time.perf_counter() - t) * 1000)
                a, b = judge(edit, report)
                n, op_ok, cls_ok = n + 1, op_ok + a, cls_ok + b
                seen[report.change_class] += 1
                if not (a and b) and len(misses) < 3:
                    misses.append(
                        {
                            "page": index,
                            "class": report.change_class,
                            "summary": report.summary,
                            "ops": [s.op for s in report.sentences if s.op != "equal"],
                        }
                    )
        results[kind] = {
            "n": n,
            "op_accuracy": round(op_ok / n, 4) if n else None,
            "class_accuracy": round(cls_ok / n, 4) if n else None,
            "classes": dict(seen),
            "misses": misses,
        }
    return results, timings


# ---------------------------------------------------------------- speed


COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "was",
    "with",
    "he",
    "it",
    "as",
    "at",
    "by",
    "from",
    "his",
    "they",
    "said",
    "police",
    "officials",
    "fire",
    "county",
    "city",
    "state",
    "people",
    "residents",
    "report",
    "government",
    "year",
    "new",
    "after",
    "would",
    "could",
    "about",
    "more",
    "than",
    "also",
    "been",
    "were",
    "has",
    "had",
    "their",
    "who",
    "which",
    "when",
]


def synthetic_article(words: int, seed: int = SEED) -> Article:
    """English-looking prose: Zipf-ish common words, rarer content words, some figures."""
    rng = random.Random(seed)
    rare = [f"{rng.choice('bcdfghklmnprstvw')}{rng.choice('aeiou')}{i}x" for i in range(5000)]
    paragraphs: list[str] = []
    total = 0
    while total < words:
        sentences = []
        for _ in range(rng.randint(2, 5)):
            n = rng.randint(8, 30)
            toks = [
                rng.choice(COMMON) if rng.random() < 0.55 else rng.choice(rare) for _ in range(n)
            ]
            if rng.random() < 0.3:
                toks.insert(rng.randrange(n), f"{rng.randint(2, 9999):,}")
            sentences.append(" ".join(toks).capitalize() + ".")
            total += n
        paragraphs.append(" ".join(sentences))
    return Article("Synthetic story", "By Bench", None, None, tuple(paragraphs))


def stitched_article(articles: list[Article], words: int) -> Article:
    paragraphs: list[str] = []
    for article in articles:
        for p in article.paragraphs:
            paragraphs.append(p)
            if sum(len(x.split()) for x in paragraphs) >= words:
                return Article("Stitched story", "By Bench", None, None, tuple(paragraphs))
    return Article("Stitched story", "By Bench", None, None, tuple(paragraphs))


def several_edits(article: Article) -> Article:
    """A word changed, a sentence added and one deleted, a figure changed, a paragraph moved."""
    rng = random.Random(SEED)
    parts = _sentences(article)
    n = len(parts)
    p, k = next((p, k) for p in range(n // 10, n) for k, x in enumerate(parts[p]) if WORD.search(x))
    _, template = _sub_word(rng, parts[p][k], WORD)
    parts[p][k] = template.replace("\x00", "edited")
    parts[n // 5][-1] += " " + NEW_SENTENCES[0]
    if len(parts[n // 3]) > 1:
        del parts[n // 3][0]
    for sentence_list in parts[n // 2 :]:
        for k, s in enumerate(sentence_list):
            if FIGURE.search(s):
                sentence_list[k] = FIGURE.sub("12,345", s, count=1)
                break
        else:
            continue
        break
    parts.insert(int(n * 0.8), parts.pop(n // 4))
    return _build(article, parts)


def timed(old: Article, new: Article, runs: int) -> list[float]:
    analyze(old, new)  # warm up caches and imports
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        analyze(old, new)
        out.append((time.perf_counter() - t) * 1000)
    return out


def figures(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "runs": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


# ---------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def run(corpus: Path | None, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {"machine": machine(), "seed": SEED, "speed": {}}
    articles = load_corpus(corpus) if corpus and (corpus / "pages").is_dir() else []
    if articles:
        acc, timings = accuracy(articles)
        out["corpus"] = {
            "pages": len(articles),
            "words": sum(len(a.text.split()) for a in articles),
        }
        out["accuracy"] = acc
        out["speed"]["corpus_pairs"] = figures(timings)
    synthetic = synthetic_article(10_000)
    cases = {"synthetic_10k": (synthetic, several_edits(synthetic))}
    if articles:
        stitched = stitched_article(articles, 10_000)
        cases["corpus_10k"] = (stitched, several_edits(stitched))
    cases["synthetic_10k_full_rewrite"] = (synthetic, synthetic_article(10_000, seed=SEED + 1))
    for name, (old, new) in cases.items():
        out["speed"][name] = figures(timed(old, new, runs)) | {
            "words": len(old.text.split()),
            "class": analyze(old, new).change_class,
            "summary": analyze(old, new).summary[:120],
        }
    return out


def show(result: dict[str, Any], console: Console) -> None:
    m = result["machine"]
    console.print(f"Python {m['python']}, {m['cpus']} CPUs, {m['platform']}")
    if "accuracy" in result:
        c = result["corpus"]
        table = Table(title=f"Accuracy on {c['pages']} corpus pages ({TRIALS} edits per kind)")
        for col in ("edit", "n", "op right", "class right", "classes seen"):
            table.add_column(col, justify="left" if col in ("edit", "classes seen") else "right")
        for kind, r in result["accuracy"].items():
            table.add_row(
                kind,
                str(r["n"]),
                f"{r['op_accuracy']:.1%}" if r["n"] else "-",
                f"{r['class_accuracy']:.1%}" if r["n"] else "-",
                ", ".join(f"{k} {v}" for k, v in sorted(r["classes"].items())),
            )
        console.print(table)
    else:
        console.print("[yellow]corpus not found: accuracy skipped[/]")
    table = Table(title="analyze() time")
    for col in ("case", "words", "runs", "median ms", "p95 ms", "max ms", "class"):
        table.add_column(
            col, justify="left" if col in ("case", "class") else "right", no_wrap=col == "case"
        )
    for name, s in result["speed"].items():
        table.add_row(
            name,
            str(s.get("words", "")),
            str(s["runs"]),
            f"{s['median_ms']:.1f}",
            f"{s['p95_ms']:.1f}",
            f"{s['max_ms']:.1f}",
            s.get("class", ""),
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per 10k-word case")
    args = parser.parse_args(argv)
    result = run(args.corpus, args.runs)
    show(result, Console())
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
