"""Languages beyond English: the noise harness, extraction F1 by language, CJK analysis speed.

1. **Noise harness** (``tests/lang_harness.py``) over every corpus page: the page served
   from 127.0.0.1, then with its own language's relative-time ("Updated" word included),
   counter and share-bar lines inside the article, their figures changing at each check:
   versions made by that noise (target 0). Then a figure changed, a sentence added and a
   paragraph removed: each must make a version with its words in the JSON diff.
2. **Extraction F1** per page against the corpus's truth (scrapinghub's human-annotated
   ``articleBody``, Readability.js's expected output), and trafilatura's snippet
   annotations, split English / other languages (target: others no lower than English).
3. **CJK analysis speed**: ``analyze()`` on a 10,000-character Chinese and a Japanese article
   pair (a figure changed, a sentence added, one removed, a name changed), runs interleaved
   with an English pair of the same length (target: under 50 ms).

Run: ``.venv/bin/python benchmarks/bench_languages.py [--only noise|f1|cjk] [--json PATH]``.
The harness imports nothing of ``tracker.lang``: with ``PYTHONPATH=<other tree>/src:.`` it
measures another tree (the figures before this work, in benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)] if str(ROOT) not in sys.path else []
CORPUS = Path(os.environ.get("TRACKER_CORPUS", ROOT.parent / "shared" / "corpus"))
# Words; in Chinese and Japanese, characters (a whole CJK run would be one "word").
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_WORD = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")


def _pages() -> list[dict[str, Any]]:
    manifest = CORPUS / "manifest.json"
    return json.loads(manifest.read_text(encoding="utf-8"))["pages"] if manifest.exists() else []


# ---------------------------------------------------------------- 1. the noise harness


def noise() -> dict[str, Any]:
    from tests.conftest import make_settings
    from tests.lang_harness import run_page
    from tests.servers import LocalServer

    from tracker.extract import decode_html
    from tracker.service import Tracker

    rows = []
    server = LocalServer().start()
    try:
        for page in _pages():
            with tempfile.TemporaryDirectory() as tmp:
                tracker = Tracker(make_settings(f"sqlite:///{tmp}/t.db"))
                tracker.init()
                try:
                    html = decode_html((CORPUS / "pages" / page["file"]).read_bytes())
                    name = page["file"].removesuffix(".html")
                    rows.append(run_page(tracker, server, name, html, page["language"]))
                finally:
                    tracker.close()
    finally:
        server.stop()
    return _noise_figures(rows)


def _noise_figures(rows: list[Any]) -> dict[str, Any]:
    ran = [r for r in rows if not r.skipped]
    by_lang: dict[str, Counter[str]] = {}
    for r in ran:
        c = by_lang.setdefault(r.language, Counter())
        c["pages"] += 1
        c["noise_in_article"] += r.noise_in_article
        c["noise_versions"] += r.noise_versions
        c["edits"] += len(r.found)
        c["found"] += sum(r.found.values())
        c["in_diff"] += sum(r.in_diff.values())
    keys = ("pages", "noise_in_article", "noise_versions", "edits", "found", "in_diff")
    total = {k: sum(c[k] for c in by_lang.values()) for k in keys}
    return {
        "pages": len(rows),
        "skipped": [(r.name, r.skipped) for r in rows if r.skipped],
        "total": total,
        "by_language": {k: dict(v) for k, v in sorted(by_lang.items())},
        "noisy_pages": [r.name for r in ran if r.noise_versions],
        "missed_edits": [(r.name, k) for r in ran for k, v in r.found.items() if not v],
    }


# ---------------------------------------------------------------- 2. extraction F1


def token_f1(got: str, want: str) -> float:
    a, b = Counter(_WORD.findall(got.lower())), Counter(_WORD.findall(want.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def _truth(page: dict[str, Any]) -> str | None:
    import lxml.html

    stem = CORPUS / "pages" / page["file"].removesuffix(".html")
    body = stem.with_suffix(".truth.json")
    if body.exists():
        return str(json.loads(body.read_text(encoding="utf-8"))["articleBody"])
    expected = stem.with_suffix(".expected.html")
    if expected.exists():
        return str(lxml.html.fromstring(expected.read_text(encoding="utf-8")).text_content())
    return None


def f1() -> dict[str, Any]:
    from tracker.extract import ExtractOptions, extract_article, normalise_text

    scores: dict[str, list[float]] = {"en": [], "other": []}
    snippets: dict[str, Counter[str]] = {"en": Counter(), "other": Counter()}
    per_page = {}
    for page in _pages():
        body = (CORPUS / "pages" / page["file"]).read_bytes()
        art = extract_article(
            body, None, page.get("original_url") or "https://x/", ExtractOptions()
        )
        group = "en" if page["language"] == "en" else "other"
        truth = _truth(page)
        if truth is not None:
            score = token_f1(art.text, truth)
            scores[group].append(score)
            per_page[page["file"]] = (page["language"], round(score, 3), art.extractor)
        snip = CORPUS / "pages" / page["file"].replace(".html", ".snippets.json")
        if snip.exists():
            data = json.loads(snip.read_text(encoding="utf-8"))
            text = " ".join(art.paragraphs)
            c = snippets[group]
            c["with"] += len(data.get("with", []))
            c["kept"] += sum(normalise_text(s) in text for s in data.get("with", []))
            c["without"] += len(data.get("without", []))
            c["dropped"] += sum(normalise_text(s) not in text for s in data.get("without", []))
    return {
        "f1_mean": {g: round(statistics.fmean(v), 4) if v else None for g, v in scores.items()},
        "f1_pages": {g: len(v) for g, v in scores.items()},
        "snippets": {g: dict(c) for g, c in snippets.items()},
        "per_page": per_page,
    }


# ---------------------------------------------------------------- 3. CJK speed

ZH = (
    "成都以北的山火自9月30日以来已蔓延至{n}公顷，消防部门表示。约{m}人被迫撤离家园。"
    "市长表示，目前形势依然严峻。来自四个区县的救援队伍正在现场灭火。"
    "损失估计达{k}亿元。起火原因仍在调查中。"
)
JA = (
    "札幌の北で発生した山火事は、9月30日以降、{n}ヘクタールに拡大したと消防当局が発表した。"
    "約{m}人が避難を余儀なくされた。市長は「状況は依然として深刻だ」と述べた。"
    "被害額は{k}億円と推定される。出火原因はまだ分かっていない。"
)
EN = (
    "A wildfire north of Redding grew to {n} acres overnight, fire officials said on Tuesday. "
    "About {m} residents were ordered to leave. The sheriff said the situation remained "
    "serious. Damage is estimated at ${k} million. The cause is under investigation."
)


def _pair(template: str, chars: int) -> tuple[Any, Any]:
    from tracker.records import Article

    paras, i = [], 0
    while sum(len(p) for p in paras) < chars:
        paras.append(template.format(n=4300 + i, m=1200 + i, k=4 + i % 5))
        i += 1
    new = list(paras)
    new[3] = new[3].replace(str(4303), "4500")  # a figure changed
    new.insert(7, paras[0][:40] + "。" if template != EN else "Two firefighters were hurt.")
    del new[12]  # a paragraph removed
    new[20] = new[20].replace("成都", "重庆").replace("札幌", "旭川").replace("Redding", "Chico")
    old_a = Article("T", "", None, None, tuple(paras))
    new_a = Article("T", "", None, None, tuple(new))
    return old_a, new_a


def cjk(runs: int) -> dict[str, Any]:
    from tracker.revision import analyze

    pairs = {name: _pair(t, 10_000) for name, t in (("zh", ZH), ("ja", JA), ("en", EN))}
    times: dict[str, list[float]] = {name: [] for name in pairs}
    for a, b in pairs.values():
        analyze(a, b)  # warm
    for _ in range(runs):  # interleaved: zh, ja, en, zh, ja, en...
        for name, (a, b) in pairs.items():
            t0 = time.perf_counter()
            analyze(a, b)
            times[name].append((time.perf_counter() - t0) * 1000)
    chars = {name: len(a.text) for name, (a, _b) in pairs.items()}
    return {
        "chars": chars,
        "median_ms": {k: round(statistics.median(v), 2) for k, v in times.items()},
        "p95_ms": {k: round(sorted(v)[int(0.95 * (len(v) - 1))], 2) for k, v in times.items()},
        "runs": runs,
        "load_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=("noise", "f1", "cjk"))
    parser.add_argument("--runs", type=int, default=30, help="timed runs per CJK pair")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    parts = args.only or ["cjk", "f1", "noise"]
    out: dict[str, Any] = {"load_1m_start": round(os.getloadavg()[0], 2)}
    if "cjk" in parts:
        out["cjk"] = cjk(args.runs)
    if "f1" in parts and _pages():
        out["f1"] = f1()
    if "noise" in parts and _pages():
        out["noise"] = noise()
    text = json.dumps(out, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
