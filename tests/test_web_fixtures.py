"""Story data for the web, export and browser tests, made by the real pipeline.

Helpers only (no tests here): a local server serves evolving pages, ``tracker.add`` and
``tracker.check`` fetch, extract, diff and store them exactly as in production.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.servers import LocalServer, article_html
from tracker.service import Tracker

FIRE = [
    "Firefighters are battling a wildfire that has burned about 3,800 acres near Riverton.",
    "The fire started Monday afternoon, officials said. About 12 homes have been evacuated.",
    '"We are asking everyone in the area to stay alert," Fire Chief Ana Ortiz said.',
    "The cause of the fire is under investigation. Crews from three counties are helping.",
    "This is a developing story that will be updated.",
]
FIRE_V2 = [
    FIRE[0].replace("3,800", "4,100"),
    FIRE[1] + " A shelter has opened at Riverton High School.",
    FIRE[2],
    FIRE[3],
    FIRE[4],
]
FIRE_V3 = [FIRE_V2[0], FIRE_V2[3], FIRE_V2[1], FIRE_V2[2], FIRE_V2[4]]
HOSTILE = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
XSS = [
    "Officials published a statement that began with &lt;script&gt;alert(1)&lt;/script&gt; "
    "by mistake, according to readers who noticed the odd text on the page.",
    "The city council met on Tuesday to discuss the new budget for road repairs in the area.",
    "Residents asked questions about the schedule of the works and the expected closures.",
]
XSS_V2 = [
    XSS[0],
    XSS[1] + " A second note read &lt;img src=x onerror=alert(1)&gt; before it was removed.",
    XSS[2],
]


@dataclass
class Stories:
    fire: int
    fire_url: str
    xss: int
    xss_url: str
    broken: int


def make_stories(server: LocalServer, tracker: Tracker) -> Stories:
    """Three stories: fire (3 versions), xss (2 versions, hostile text), broken (HTTP 500)."""
    fire_url = server.page("/fire", article_html("Wildfire grows near Riverton", FIRE))
    xss_url = server.page("/council", article_html("Council debates the budget", XSS))
    broken_url = server.page("/broken", "oops", status=500)
    fire = tracker.add([fire_url], labels=["fire", "local"])[0].story_id
    xss = tracker.add([xss_url], labels=["local"])[0].story_id
    broken = tracker.add([broken_url], labels=["misc"])[0].story_id
    outcomes = {o.story_id: o for o in tracker.check([fire, xss, broken])}
    assert outcomes[fire].outcome == "first_version", outcomes[fire]
    assert outcomes[broken].outcome == "failed"
    server.page("/fire", article_html("Wildfire grows near Riverton", FIRE_V2))
    server.page("/council", article_html("Council debates the budget", XSS_V2))
    outcomes = {o.story_id: o for o in tracker.check([fire, xss])}
    assert outcomes[fire].outcome == "new_version", outcomes[fire]
    assert outcomes[xss].outcome == "new_version", outcomes[xss]
    server.page("/fire", article_html("Wildfire forces evacuations near Riverton", FIRE_V3))
    assert tracker.check([fire])[0].outcome == "new_version"
    return Stories(fire, fire_url, xss, xss_url, broken)
