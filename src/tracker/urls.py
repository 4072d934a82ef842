"""URL normalisation for stories: one article, one URL, whatever the tracking parameters."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker.errors import FetchError
from tracker.fetch import validate_url

TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_ga",
    "ocid",
    "cmpid",
    "smid",
    "ref",
    "ref_src",
    "src",
    "share",
    "at_medium",
    "at_campaign",
}
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")
MAX_URL_LENGTH = 2048  # the story.url column; browsers and servers cap near here too


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters; FetchError if invalid."""
    url = validate_url(url)
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    netloc = parts.netloc.lower()
    if parts.scheme == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    if parts.scheme == "https" and netloc.endswith(":443"):
        netloc = netloc[:-4]
    clean = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))
    if len(clean) > MAX_URL_LENGTH:
        raise FetchError(f"URL longer than {MAX_URL_LENGTH} characters", kind="bad_url")
    return clean
