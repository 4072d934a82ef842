"""A local newsroom for benchmarks: N realistic ~100 KB article pages on 127.0.0.1.

Run it as its own process, so it never competes with the tracker for the same interpreter:

    .venv/bin/python benchmarks/newsroom.py --stories 1000 --port 0

It prints ``READY http://127.0.0.1:PORT`` once listening. Every page is generated
deterministically from ``--seed`` and the story number: a site chrome shared by all stories
(nav, inline CSS, vendor scripts, ad slots, footer: most of the ~100 KB, like real news
sites), then per story a headline, JSON-LD, related links and an 800-1500 word article body
made from templates (numbers, quotes, officials, places). Nothing comes from the corpus.

Routes:

- ``GET /story/{i}``: the page. ETag/Last-Modified validators (304 on If-None-Match or
  If-Modified-Since) unless validators are off; in noise mode every response carries a new
  nonce in a ``<script>`` and a visible "Updated N minutes ago" line, same article.
- ``POST /edit/{i}``, ``POST /edit-all`` (``?ids=1,2,3`` for a subset): change one number
  in one sentence of the story, recording the edit time (epoch seconds).
- ``POST /unpublish/{i}``: the story answers 404 from then on, for real (``GET /unpublished``
  lists them with their times).
- ``GET /stats``: requests per story and per status; ``GET /edits``: the edit log;
  ``POST /config?validators=0|1&noise=0|1&faults=RATE``: switch modes at run time;
  ``POST /reset``: zero the counters.
- ``GET /faults``: every fault served (story, time, kind) and the count per kind.

Faults (``--faults RATE``, off by default): that share of story responses is faulty, like a
real flaky origin: ``500``, ``503`` with a Retry-After of a few seconds, ``stall`` (say nothing
for ``--stall`` seconds, longer than the tracker's fetch timeout, then hang up), ``truncated``
(a Content-Length larger than what is sent, then hang up), one-off ``404`` and
``interstitial`` (a 200 "checking your browser" page) and one-off ``error200`` (a short
"something went wrong" page served with 200, no challenge phrase): after those three the
next request for the story is served normally, the same article. Which request is faulty,
and how, depends only on ``--fault-seed``, the story and the request's number for that
story: the same run serves the same faults whatever the timing. An unpublished story only
gets error faults (500, 503, stall): any 200 would be a return.

The server is a minimal HTTP/1.1 keep-alive loop on ``asyncio.start_server`` (no framework),
so it stays far from being the bottleneck; ``serve_ceiling`` in ``bench_pipeline`` measures it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import html
import json
import os
import random
import sys
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

# ---------------------------------------------------------------- words and templates

FIRST = [
    "Ana",
    "Maria",
    "James",
    "Sarah",
    "David",
    "Elena",
    "Michael",
    "Priya",
    "Thomas",
    "Laura",
    "Kwame",
    "Mei",
    "Robert",
    "Fatima",
    "Daniel",
    "Olivia",
    "Carlos",
    "Hannah",
    "Ibrahim",
    "Grace",
    "Peter",
    "Sofia",
    "Jonathan",
    "Aisha",
    "Mark",
    "Nadia",
]
LAST = [
    "Ortiz",
    "Chen",
    "Walker",
    "Okafor",
    "Novak",
    "Fischer",
    "Rahman",
    "Duarte",
    "Keller",
    "Lindqvist",
    "Moreau",
    "Haddad",
    "Brennan",
    "Tanaka",
    "Ivanova",
    "Mensah",
    "Kowalski",
    "Sullivan",
    "Petrov",
    "Abebe",
    "Romero",
    "Whitfield",
    "Nakamura",
]
ROLES = (
    "Fire Chief",
    "Mayor",
    "Governor",
    "police spokesperson",
    "county commissioner",
    "state health director",
    "emergency management director",
    "city council member",
    "transport minister",
    "hospital administrator",
    "school superintendent",
    "sheriff",
)
PLACES = (
    "Riverton",
    "Millbrook",
    "Cedar Falls",
    "Port Ellis",
    "Ashford",
    "Granite Bay",
    "Oakmont",
    "Redhill",
    "Lakeview",
    "Summit County",
    "the Harbor District",
    "Northgate",
    "Fairhaven",
    "Westbury",
    "Pine Ridge",
)
ORGS = (
    "the National Weather Service",
    "the Department of Transportation",
    "the state emergency agency",
    "the Red Cross",
    "the county sheriff's office",
    "the regional utility",
    "the health ministry",
    "the transit authority",
    "the coast guard",
    "the school district",
    "the power company",
    "the city council",
)
SUBJECTS = (
    "residents",
    "homes",
    "customers",
    "students",
    "passengers",
    "workers",
    "patients",
    "families",
    "businesses",
    "vehicles",
)
VERBS = (
    "evacuated",
    "left without power",
    "moved to shelters",
    "affected",
    "stranded",
    "reported missing",
    "treated for injuries",
    "told to stay indoors",
)
EVENTS = (
    "wildfire",
    "flood",
    "storm",
    "bridge collapse",
    "chemical spill",
    "power outage",
    "rail strike",
    "water main break",
    "landslide",
    "heat wave",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
QUOTES = (
    "We are asking everyone in the area to stay alert and follow instructions",
    "Our crews have been working through the night and will keep going",
    "It is too early to say what caused this, and we will not speculate",
    "I have never seen anything like it in thirty years on the job",
    "The priority right now is getting people to safety",
    "We expect conditions to improve by the end of the week, but that could change",
    "Everyone who needs help will get it, and nobody will be turned away",
    "We are still counting, and those numbers are likely to rise",
    "The community has come together in a way that makes me proud",
    "We will review every decision that was made, and we will be transparent about it",
)
SECTIONS = [
    "News",
    "World",
    "US",
    "Politics",
    "Business",
    "Tech",
    "Science",
    "Health",
    "Sport",
    "Culture",
    "Opinion",
    "Climate",
    "Travel",
    "Food",
    "Style",
    "Video",
    "Podcasts",
    "Weather",
    "Local",
    "Education",
    "Money",
    "Markets",
    "Books",
    "Film",
    "Music",
]

SENTENCES = (
    "{official} said on {day} that {n:,} {subj} had been {verb} in {place}.",
    "About {n:,} {subj} were {verb} by {day} evening, according to {org}.",
    '"{quote}," {official} told reporters at a briefing in {place}.',
    '"{quote}," said {name}, who lives near {place} with {small} children.',
    "The {event} had spread across roughly {n:,} acres by {day}, {org} said.",
    "Officials estimated the damage at ${small}.{digit} million, up from an earlier figure.",
    "{org_cap} said {small} people had been taken to hospital, {tiny} of them in serious "
    "condition.",
    "Roads into {place} remained closed on {day}, and {n:,} {subj} were still waiting to return.",
    "{name}, a {role2} in {place}, said the warning came {small} minutes before the {event} hit.",
    "A shelter at the {place} community center was housing {n:,} people on {day} night.",
    "The last comparable {event}, in {year}, forced {n:,} {subj} from their homes.",
    "Forecasters expect winds of up to {small} miles per hour through {day}.",
    "{org_cap} has opened a hotline and said it had received {n:,} calls by noon.",
    "The {event} is the {ordinal} of its kind in the region this year, officials said.",
    "At least {tiny} schools in {place} will stay closed until {day}, {official} said.",
    "Crews had restored service to {n:,} {subj} by {day} morning, {org} said.",
    "{official} declined to say when the investigation would be complete.",
    "Volunteers from {place} collected {n:,} bottles of water and {small} truckloads of food.",
)
EDIT_SENTENCE = "The number of {subj} {verb} stood at {edit} on {day}, {official} said."
TITLES = (
    "{event_cap} in {place}: {n:,} {subj} {verb} as crews race to respond",
    "Thousands {verb} as {event} sweeps through {place}",
    "{place} {event}: what we know so far",
    "{event_cap} forces {n:,} {subj} from homes near {place}",
    "Live: {event} in {place} leaves {n:,} {subj} {verb}",
)
ORDINALS = ("second", "third", "fourth", "fifth", "sixth")
DEVELOPING = "This is a developing story and will be updated."


def _slots(rng: random.Random) -> dict[str, object]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    event = rng.choice(EVENTS)
    org = rng.choice(ORGS)
    return {
        "official": f"{rng.choice(ROLES)} {first} {last}",
        "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "role2": rng.choice(("teacher", "nurse", "farmer", "shop owner", "retired engineer")),
        "day": rng.choice(DAYS),
        "n": rng.randrange(120, 48_000),
        "small": rng.randrange(3, 95),
        "tiny": rng.randrange(2, 12),
        "digit": rng.randrange(0, 10),
        "year": rng.randrange(1987, 2024),
        "subj": rng.choice(SUBJECTS),
        "verb": rng.choice(VERBS),
        "place": rng.choice(PLACES),
        "org": org,
        "org_cap": org[0].upper() + org[1:],
        "quote": rng.choice(QUOTES),
        "event": event,
        "event_cap": event[0].upper() + event[1:],
        "ordinal": rng.choice(ORDINALS),
    }


def _sentence(rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(**_slots(rng))


# ---------------------------------------------------------------- pages


@dataclass
class Story:
    """One generated story: the page split around its editable number."""

    head: bytes  # up to the nonce script
    middle: bytes  # after the nonce, up to the "Updated" line
    before_edit: bytes  # after the "Updated" line, up to the edited number
    after_edit: bytes  # the rest of the page
    base_number: int
    title: str


@dataclass
class StoryState:
    rev: int = 0
    edited_at: float = 0.0


def _chrome(seed: int) -> dict[str, str]:
    """Site chrome shared by every page (generated once): ~85 KB, like a real news site."""
    rng = random.Random(seed)
    nav = "\n".join(
        f'<li class="nav__item"><a class="nav__link" href="/section/{s.lower()}" '
        f'data-track="nav-{s.lower()}">{s}</a></li>'
        for s in SECTIONS * 2
    )
    css_rules = "\n".join(
        f".c-{rng.randrange(16**6):06x}{{margin:{rng.randrange(0, 32)}px {rng.randrange(0, 32)}px;"
        f"padding:{rng.randrange(0, 24)}px;color:#{rng.randrange(16**6):06x};"
        f"font-size:{rng.randrange(11, 28)}px;line-height:{rng.uniform(1.1, 1.8):.2f}}}"
        for _ in range(300)
    )
    js_keys = [f"k{rng.randrange(16**8):08x}" for _ in range(260)]
    vendor_js = (
        "(function(w,d){var cfg={"
        + ",".join(f'"{k}":"{rng.randrange(16**12):012x}"' for k in js_keys)
        + "};function t(e){w.dataLayer=w.dataLayer||[];w.dataLayer.push(e)}"
        + "".join(
            f"function f{i}(a,b){{return a&&b?a[{i}%a.length]+b:cfg.{js_keys[i % len(js_keys)]}}}"
            for i in range(400)
        )
        + "d.addEventListener('DOMContentLoaded',function(){t({event:'page'})})})(window,document);"
    )
    state = json.dumps(
        {
            "props": {
                "experiments": {
                    f"exp_{rng.randrange(16**6):06x}": rng.random() for _ in range(150)
                },
                "menus": [
                    {"label": s, "href": f"/section/{s.lower()}", "children": list(SECTIONS[:8])}
                    for s in SECTIONS
                ],
                "adConfig": {
                    f"slot{k}": {"sizes": [[300, 250], [728, 90]], "floor": rng.random()}
                    for k in range(40)
                },
            }
        }
    )
    ads = [
        f'<div class="ad-slot ad-slot--{k}" id="ad-{k}" data-ad-unit="/21775744923/news/{k}" '
        f'data-sizes="[[728,90],[970,250],[300,250]]" data-refresh="30" aria-hidden="true">'
        f'<span class="ad-label">Advertisement</span></div>'
        for k in ("top", "mid1", "mid2", "mid3", "side", "bottom")
    ]
    footer = "\n".join(
        f'<li><a href="/{s.lower()}/{k}">{s} {k.title()}</a></li>'
        for s in SECTIONS
        for k in ("latest", "archive", "newsletters")
    )
    return {
        "nav": f'<nav class="nav" aria-label="Sections"><ul class="nav__list">{nav}</ul></nav>',
        "css": f"<style>{css_rules}</style>",
        "vendor_js": f"<script>{vendor_js}</script>",
        "state": f'<script id="__APP_STATE__" type="application/json">{state}</script>',
        "consent_js": (
            "<script>(function(){var c=document.cookie.match(/consent=([^;]+)/);"
            "window.__consent=c?c[1]:'unknown';})();</script>"
        ),
        "ads": ads,  # type: ignore[dict-item]
        "footer": (
            '<footer class="site-footer"><ul class="footer__links">'
            f"{footer}</ul><p>&copy; 2026 The Benchmark Gazette. All rights reserved.</p>"
            '<form class="newsletter" action="/subscribe" method="post"><label>Get the morning '
            'briefing <input type="email" name="email"></label><button>Sign up</button></form>'
            "</footer>"
        ),
    }


class Newsroom:
    """The pages and the edit state; no I/O (the server below serves it)."""

    def __init__(self, stories: int, *, seed: int = 7, cache: int = 2500) -> None:
        self.count = stories
        self.seed = seed
        self.chrome = _chrome(seed)
        self.states: dict[int, StoryState] = {}
        self._cache: OrderedDict[int, Story] = OrderedDict()
        self._cache_size = cache
        self.edits: list[tuple[int, int, float]] = []
        self.published = "2026-11-28T08:00:00Z"

    def story(self, i: int) -> Story:
        s = self._cache.get(i)
        if s is None:
            s = self._generate(i)
            self._cache[i] = s
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(i)
        return s

    def state(self, i: int) -> StoryState:
        st = self.states.get(i)
        if st is None:
            st = self.states[i] = StoryState()
        return st

    def edit(self, i: int) -> StoryState:
        st = self.state(i)
        st.rev += 1
        st.edited_at = time.time()
        self.edits.append((i, st.rev, st.edited_at))
        return st

    def _generate(self, i: int) -> Story:
        rng = random.Random(self.seed * 1_000_003 + i)
        slots = _slots(rng)
        title = rng.choice(TITLES).format(**slots)
        words_target = rng.randrange(800, 1500)
        paragraphs: list[str] = []
        words = 0
        while words < words_target:
            para = " ".join(_sentence(rng) for _ in range(rng.randrange(2, 5)))
            paragraphs.append(para)
            words += para.count(" ") + 1
        base = rng.randrange(1_000, 9_000)
        edit_at = min(2, len(paragraphs) - 1)
        edit_tpl = EDIT_SENTENCE.format(**{**_slots(rng), "edit": "\x00"})
        paragraphs.insert(edit_at, edit_tpl)
        paragraphs.append(DEVELOPING)
        c = self.chrome
        ads = c["ads"]
        body_parts = []
        for k, p in enumerate(paragraphs):
            body_parts.append(f"<p>{html.escape(p, quote=False)}</p>")
            if k % 5 == 4:
                body_parts.append(ads[1 + (k // 5) % 3])
        body = "\n".join(body_parts)
        before, after = body.split("\x00")
        esc_title = html.escape(title)
        author = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        related = "\n".join(
            f'<li class="related__item"><a href="/story/{rng.randrange(self.count)}">'
            f"{html.escape(rng.choice(TITLES).format(**_slots(rng)))}</a></li>"
            for _ in range(40)
        )
        most_read = "\n".join(
            f'<li><a href="/story/{rng.randrange(self.count)}">'
            f"{html.escape(_sentence(rng)[:90])}</a></li>"
            for _ in range(10)
        )
        jsonld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": title,
                "datePublished": self.published,
                "author": {"@type": "Person", "name": author},
                "publisher": {"@type": "Organization", "name": "The Benchmark Gazette"},
                "mainEntityOfPage": f"https://gazette.example/story/{i}",
                "description": paragraphs[0][:200],
                "articleSection": rng.choice(SECTIONS),
            }
        )
        head = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc_title} | The Benchmark Gazette</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta property="og:title" content="{esc_title}">'
            '<meta property="og:type" content="article">'
            f'<meta property="og:url" content="https://gazette.example/story/{i}">'
            f'<meta name="twitter:card" content="summary_large_image">'
            f'<meta property="article:published_time" content="{self.published}">'
            f'<meta name="author" content="{author}">'
            f'<link rel="canonical" href="https://gazette.example/story/{i}">'
            '<link rel="preconnect" href="https://cdn.gazette.example">'
            '<link rel="stylesheet" href="/static/site.3f9a2c.css">'
            f"{c['css']}"
            f'<script type="application/ld+json">{jsonld}</script>'
        )
        middle = (
            f'</head><body class="article-page">{c["consent_js"]}'
            '<header class="masthead"><a class="logo" href="/">The Benchmark Gazette</a>'
            '<a class="subscribe" href="/subscribe">Subscribe</a></header>'
            f"{c['nav']}{ads[0]}"
            '<main class="layout"><article class="story">'
            f'<h1 class="story__headline">{esc_title}</h1>'
            f'<p class="byline">By <a href="/authors/{author.lower().replace(" ", "-")}">'
            f"{author}</a></p>"
            f'<time datetime="{self.published}">November 28, 2026, 8:00 AM</time>'
        )
        before_edit = (
            '<figure><img src="/img/lead.jpg" alt="The scene on Monday" width="1200" height="800">'
            "<figcaption>The scene on Monday. Photo: Gazette staff</figcaption></figure>"
            f'<div class="story__body">{before}'
        )
        after_edit = (
            f"{after}</div></article>"
            f'<aside class="sidebar">{ads[4]}<h2>Related coverage</h2>'
            f'<ul class="related">{related}</ul><h2>Most read</h2><ol>{most_read}</ol></aside>'
            f"</main>{ads[5]}{c['footer']}{c['state']}{c['vendor_js']}</body></html>"
        )
        return Story(
            head=head.encode(),
            middle=middle.encode(),
            before_edit=before_edit.encode(),
            after_edit=after_edit.encode(),
            base_number=base,
            title=title,
        )

    def page(self, i: int, *, noise: bool) -> tuple[bytes, StoryState]:
        s, st = self.story(i), self.state(i)
        number = f"{s.base_number + 7 * st.rev:,}".encode()
        if noise:
            nonce = os.urandom(8).hex()
            script = (
                f'<script>window.__pv={{"nonce":"{nonce}","ts":{time.time():.3f}}};</script>'
            ).encode()
            minutes = 1 + int(time.time() * 7) % 58
            updated = f'<p class="updated">Updated {minutes} minutes ago</p>'.encode()
        else:
            script = b'<script>window.__pv={"nonce":"static"};</script>'
            updated = b'<p class="updated">Updated 5 minutes ago</p>'
        modified = b""
        if st.rev:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(st.edited_at))
            modified = f'<meta property="article:modified_time" content="{stamp}">'.encode()
        return b"".join(
            (s.head, modified, script, s.middle, updated, s.before_edit, number, s.after_edit)
        ), st


# ---------------------------------------------------------------- faults

FAULT_KINDS = ("500", "503", "stall", "truncated", "404", "interstitial", "error200")
# Relative frequencies: server errors most, stalls rarer (each holds a fetch for its timeout).
FAULT_WEIGHTS = {
    "500": 3,
    "503": 2,
    "stall": 1,
    "truncated": 2,
    "404": 1,
    "interstitial": 1,
    "error200": 1,
}
GONE_KINDS = ("500", "503", "stall")  # what an unpublished story may get: never a 200
ONE_OFF = ("404", "interstitial", "error200")  # the next request for the story is served clean
INTERSTITIAL = (
    b"<!doctype html><html><head><title>Just a moment...</title></head><body>"
    b"<h1>Checking your browser before accessing the site.</h1>"
    b"<p>This process is automatic. Your browser will redirect to the requested content "
    b"shortly.</p></body></html>"
)
ERROR_PAGE = (
    b"<!doctype html><html><head><title>The Benchmark Gazette</title></head><body>"
    b"<h1>Sorry, something went wrong</h1><p>We are having trouble loading this page "
    b"right now. Please try again in a few minutes.</p></body></html>"
)


@dataclass
class Faults:
    """Which story responses are faulty: a pure function of (seed, story, request number)."""

    rate: float = 0.0
    seed: int = 7
    kinds: tuple[str, ...] = FAULT_KINDS
    stall_s: float = 25.0
    retry_after_max: int = 5
    served: list[tuple[int, float, str]] = field(default_factory=list)
    requests: Counter[int] = field(default_factory=Counter)  # never reset: numbers the requests
    clean_next: set[int] = field(default_factory=set)

    def pick(self, story: int, gone: bool) -> tuple[str, random.Random] | None:
        """The fault for this story's next request (and its own generator), or None."""
        self.requests[story] += 1
        if story in self.clean_next:
            self.clean_next.discard(story)
            return None
        if self.rate <= 0:
            return None
        rng = random.Random(f"{self.seed}:{story}:{self.requests[story]}")
        if rng.random() >= self.rate:
            return None
        kinds = [k for k in self.kinds if not gone or k in GONE_KINDS]
        if not kinds:
            return None
        kind = rng.choices(kinds, weights=[FAULT_WEIGHTS[k] for k in kinds])[0]
        self.served.append((story, time.time(), kind))
        if kind in ONE_OFF:
            self.clean_next.add(story)
        return kind, rng

    def to_json(self) -> dict[str, object]:
        return {
            "rate": self.rate,
            "seed": self.seed,
            "kinds": list(self.kinds),
            "stall_s": self.stall_s,
            "by_kind": dict(Counter(kind for _, _, kind in self.served)),
            "faults": self.served,
        }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    action: str = ""  # "stall": say nothing, then hang up; "truncate": half the body, hang up


# ---------------------------------------------------------------- the HTTP server


@dataclass
class Server:
    room: Newsroom
    validators: bool = True
    noise: bool = False
    faults: Faults = field(default_factory=Faults)
    hits: Counter[int] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    bytes_sent: int = 0
    started: float = field(default_factory=time.time)
    unpublished: dict[int, float] = field(default_factory=dict)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.transport.set_write_buffer_limits(high=1 << 20)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    return
                method, target, version = parts
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                reply = self.route(method, target, headers)
                if reply.action == "stall":
                    await asyncio.sleep(self.faults.stall_s)
                    return
                keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                keep = keep and not reply.action
                await self._send(writer, method, reply, keep)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _send(
        self, writer: asyncio.StreamWriter, method: str, reply: Reply, keep: bool
    ) -> None:
        status, body = reply.status, reply.body
        out = [f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}"]
        out += [f"{k}: {v}" for k, v in reply.headers.items()]
        out.append(f"Content-Length: {len(body)}")
        out.append("Connection: keep-alive" if keep else "Connection: close")
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        if reply.action == "truncate":
            body = body[: len(body) // 2]  # the promised length never arrives
        if body and method != "HEAD":
            writer.write(body)
        self.statuses[status] += 1
        self.bytes_sent += len(body)
        await writer.drain()

    def route(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        url = urlsplit(target)
        path, query = url.path, parse_qs(url.query)
        if path.startswith("/story/") and method in ("GET", "HEAD"):
            return self.story(path, headers)
        if method == "POST":
            return self.post(path, query)
        if path == "/stats":
            return _json(200, self.stats())
        if path == "/edits":
            return _json(200, {"edits": self.room.edits})
        if path == "/faults":
            return _json(200, self.faults.to_json())
        if path == "/unpublished":
            return _json(200, {"unpublished": sorted(self.unpublished.items())})
        if path == "/healthz":
            return _json(200, {"ok": True})
        return Reply(404, {"Content-Type": "text/plain"}, b"not found\n")

    def post(self, path: str, query: dict[str, list[str]]) -> Reply:
        if path.startswith(("/edit/", "/unpublish/")):
            i = _story_number(path.rsplit("/", 1)[1], self.room.count)
            if i is None:
                return _json(404, {"error": "no such story"})
            if path.startswith("/unpublish/"):
                at = self.unpublished.setdefault(i, time.time())
                return _json(200, {"story": i, "at": at})
            st = self.room.edit(i)
            return _json(200, {"story": i, "rev": st.rev, "at": st.edited_at})
        if path == "/edit-all":
            ids = _ids(query, self.room.count)
            for i in ids:
                self.room.edit(i)
            return _json(200, {"edited": len(ids), "at": time.time()})
        if path == "/config":
            if "validators" in query:
                self.validators = query["validators"][0] in ("1", "true", "on")
            if "noise" in query:
                self.noise = query["noise"][0] in ("1", "true", "on")
            if "faults" in query:
                self.faults.rate = float(query["faults"][0])
            modes = {"validators": self.validators, "noise": self.noise, "faults": self.faults.rate}
            return _json(200, modes)
        if path == "/reset":
            self.hits.clear()
            self.statuses.clear()
            self.bytes_sent = 0
            return _json(200, {"ok": True})
        return Reply(404, {"Content-Type": "text/plain"}, b"not found\n")

    def stats(self) -> dict[str, object]:
        return {
            "stories": self.room.count,
            "total": sum(self.hits.values()),
            "requests": {str(k): v for k, v in sorted(self.hits.items())},
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "bytes_sent": self.bytes_sent,
            "edits": len(self.room.edits),
            "faults": len(self.faults.served),
            "unpublished": len(self.unpublished),
            "validators": self.validators,
            "noise": self.noise,
            "uptime_s": time.time() - self.started,
        }

    def story(self, path: str, headers: dict[str, str]) -> Reply:
        i = _story_number(path.removeprefix("/story/"), self.room.count)
        if i is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"no such story\n")
        self.hits[i] += 1
        gone = i in self.unpublished
        fault = self.faults.pick(i, gone)
        if fault is not None:
            return self.faulty(i, *fault)
        if gone:
            return Reply(404, {"Content-Type": "text/html"}, b"<h1>This story was removed</h1>")
        st = self.room.state(i)
        etag = f'"s{i}-r{st.rev}"'
        changed = st.edited_at or self.started
        last_modified = email.utils.formatdate(changed, usegmt=True)
        extra = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "max-age=60"}
        if self.validators:
            extra["ETag"] = etag
            extra["Last-Modified"] = last_modified
            inm = headers.get("if-none-match")
            ims = headers.get("if-modified-since")
            if (inm is not None and inm == etag) or (
                inm is None and ims is not None and _not_modified_since(ims, changed)
            ):
                return Reply(304, {"ETag": etag, "Last-Modified": last_modified}, b"")
        body, _ = self.room.page(i, noise=self.noise)
        return Reply(200, extra, body)

    def faulty(self, i: int, kind: str, rng: random.Random) -> Reply:
        """A faulty answer for story ``i``; ``rng`` is this request's own generator."""
        text = {"Content-Type": "text/plain", "Cache-Control": "no-store"}
        page = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
        if kind == "500":
            return Reply(500, text, b"internal server error\n")
        if kind == "503":
            top = self.faults.retry_after_max
            wait = rng.randint(min(2, top), top)
            return Reply(503, {**text, "Retry-After": str(wait)}, b"busy, try again later\n")
        if kind == "404":
            return Reply(404, text, b"not found\n")
        if kind == "interstitial":
            return Reply(200, page, INTERSTITIAL)
        if kind == "error200":
            return Reply(200, page, ERROR_PAGE)
        if kind == "truncated":
            body, _ = self.room.page(i, noise=self.noise)
            return Reply(200, page, body, action="truncate")
        return Reply(0, {}, b"", action="stall")


REASONS = {
    200: "OK",
    304: "Not Modified",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _story_number(text: str, count: int) -> int | None:
    return int(text) if text.isdigit() and int(text) < count else None


def _ids(query: dict[str, list[str]], count: int) -> list[int]:
    if "ids" not in query:
        return list(range(count))
    out = []
    for part in ",".join(query["ids"]).split(","):
        i = _story_number(part.strip(), count)
        if i is not None:
            out.append(i)
    return out


def _not_modified_since(value: str, changed: float) -> bool:
    try:
        since = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return False
    return int(changed) <= since


def _json(status: int, data: object) -> Reply:
    return Reply(status, {"Content-Type": "application/json"}, json.dumps(data).encode())


async def serve(args: argparse.Namespace) -> None:
    room = Newsroom(args.stories, seed=args.seed, cache=args.cache)
    faults = Faults(
        rate=args.faults,
        seed=args.seed if args.fault_seed is None else args.fault_seed,
        kinds=tuple(k for k in args.fault_kinds.split(",") if k),
        stall_s=args.stall,
        retry_after_max=args.retry_after,
    )
    server = Server(room, validators=args.validators, noise=args.noise, faults=faults)
    srv = await asyncio.start_server(
        server.handle, args.host, args.port, limit=1 << 16, backlog=1024, reuse_address=True
    )
    port = srv.sockets[0].getsockname()[1]
    print(f"READY http://{args.host}:{port}", flush=True)
    async with srv:
        await srv.serve_forever()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stories", type=int, default=1000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 = any free port")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--cache", type=int, default=2500, help="generated pages kept in memory")
    p.add_argument("--validators", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--noise", action=argparse.BooleanOptionalAction, default=False)
    p.add_argument("--faults", type=float, default=0.0, help="share of faulty story responses")
    p.add_argument("--fault-seed", type=int, help="default: --seed")
    kinds = ",".join(FAULT_KINDS)
    p.add_argument("--fault-kinds", default=kinds, help=f"comma list of {kinds}")
    p.add_argument("--stall", type=float, default=25.0, help="seconds a stall lasts")
    p.add_argument("--retry-after", type=int, default=5, help="most seconds a 503 asks to wait")
    args = p.parse_args(argv)
    unknown = set(args.fault_kinds.split(",")) - {*FAULT_KINDS, ""}
    if unknown:
        sys.exit(f"unknown fault kinds: {', '.join(sorted(unknown))}")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("the newsroom only listens on loopback")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
