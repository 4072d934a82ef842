"""Draw the example diff cards shown in the README and docs/cards.md (docs/cards/*.png).

    .venv/bin/python scripts/example_cards.py [OUT_DIR]

Three changes made up for the purpose (no real page is copied): an English headline change,
a figure revised in the body, and a Chinese-language story. Each card is written with its alt
text beside it (``.txt``), exactly as ``tracker export --what cards`` writes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tracker.cards import render_card
from tracker.records import Article
from tracker.revision import analyze

HERE = Path(__file__).resolve().parents[1]


def article(title: str, paragraphs: list[str]) -> Article:
    return Article(title, "", None, None, tuple(paragraphs), language=None)


def headline() -> tuple[Article, Article, dict[str, object]]:
    body = [
        "Firefighters battled a wildfire near Riverton on Tuesday as strong winds pushed the "
        "flames toward the town. Officials ordered residents of two neighbourhoods to leave.",
        "The fire started on Monday afternoon. Its cause is under investigation.",
    ]
    new = [body[0].replace("two neighbourhoods", "five neighbourhoods"), body[1]]
    meta = {"url": "https://www.example-news.com/us/riverton-wildfire", "from": 3, "to": 4,
            "from_time": "2026-11-30T09:12:00+00:00", "to_time": "2026-11-30T09:40:00+00:00",
            "web_url": "https://tracker.example.org/stories/12/diff/3/4"}  # fmt: skip
    return (
        article("Wildfire threatens homes near Riverton", body),
        article("Thousands flee as wildfire reaches Riverton", new),
        meta,
    )


def number() -> tuple[Article, Article, dict[str, object]]:
    body = [
        "The storm left 35,000 homes without power across the region, the utility said.",
        "Crews from three states were on their way. Schools will stay closed on Wednesday.",
        "The governor said the state would ask for federal aid.",
    ]
    new = [
        body[0].replace("35,000", "48,000"),
        "Crews from five states were on their way. Schools will stay closed on Wednesday.",
        "The governor declared a state of emergency on Tuesday night.",
        body[2],
    ]
    meta = {"url": "https://news.example.com/2026/11/30/storm-outages", "from": 1, "to": 2,
            "from_time": "2026-11-30T06:05:00+00:00", "to_time": "2026-11-30T11:47:00+00:00",
            "web_url": "https://tracker.example.org/stories/7/diff/1/2"}  # fmt: skip
    title = "Storm leaves thousands without power"
    return article(title, body), article(title, new), meta


def cjk() -> tuple[Article, Article, dict[str, object]]:
    body = [
        "台风“海燕”周二晚在沿海登陆，当地已紧急转移约两万名居民。",
        "气象部门表示，风力将在未来十二小时内逐渐减弱。",
    ]
    new = [
        "台风“海燕”周二晚在沿海登陆，当地已紧急转移约三万名居民。",
        "气象部门表示，风力将在未来十二小时内逐渐减弱。",
        "目前已有两座机场暂停运营。",
    ]
    meta = {"url": "https://news.example.cn/2026/11/30/typhoon", "from": 2, "to": 3,
            "from_time": "2026-11-30T13:00:00+00:00", "to_time": "2026-11-30T14:25:00+00:00",
            "web_url": "https://tracker.example.org/stories/31/diff/2/3"}  # fmt: skip
    return article("台风登陆 两万人转移", body), article("台风登陆 三万人紧急转移", new), meta


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "docs" / "cards"
    out.mkdir(parents=True, exist_ok=True)
    for name, make in (("headline", headline), ("number", number), ("cjk", cjk)):
        old, new, meta = make()
        card = render_card(analyze(old, new), meta)
        (out / f"{name}.png").write_bytes(card.png)
        (out / f"{name}.txt").write_text(card.alt + "\n", encoding="utf-8")
        print(f"{out / name}.png: {card.layout.width}x{card.layout.height}, {len(card.png)} bytes")


if __name__ == "__main__":
    main()
