"""Settings: a TOML file -> typed, validated dataclasses.

Every setting is declared once below with its default and help; ``config.example.toml`` is
checked against these classes by a test. Errors name the file and the dotted key.

Durations are written ``"90s"``, ``"2m"``, ``"1h"``, ``"1d"`` (or a number of seconds) and
parsed once, here: after loading, every duration setting is a float of seconds. Choices that
belong to the tracker's vocabulary (channel kinds, change classes) are ``Literal`` types from
``tracker.vocab`` and are checked against it.

Numbers, durations and choices carry their bounds in the declaration (``setting(...,
min=, max=)``, ``duration(..., max=)``, ``choices=``); a value outside them is refused at load
with the file and the dotted key. ``check_interval`` applies the interval bounds to values
that come from elsewhere (``tracker add --interval``, the API).

Secrets stay out of the file: any string value may be ``${NAME}`` (or contain it), which is
replaced by the environment variable NAME, and ``TRACKER_DATABASE_URL`` overrides
``[database] url``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal

from tracker.errors import ConfigError, UsageError
from tracker.lang.detect import LANGUAGES
from tracker.patterns import compile_user_pattern
from tracker.timeparse import format_duration, parse_duration
from tracker.vocab import CHANGE_CLASSES, CHANNEL_KINDS, ChangeClass, ChannelKind

CONFIG_ENV = "TRACKER_CONFIG"
DEFAULT_CONFIG_NAME = "tracker.toml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

DAY = 86400.0
# Any story's interval, from any entry point: the config, `tracker add --interval`, the API.
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 366 * DAY
MAX_AGE_S = 10 * 366 * DAY  # ages and windows (max_age, settled_for...): ten years
PORT_MAX = 65535


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range a number may take: ``min <= value <= max``; ``above`` is a strict floor."""

    min: float | None = None
    max: float | None = None
    above: float | None = None
    seconds: bool = False  # a duration: bounds and values written like "1s", "366d"

    def problem(self, value: float) -> str | None:
        """What is wrong with ``value`` (one line), or None when it is inside."""
        low_ok = (self.min is None or value >= self.min) and (
            self.above is None or value > self.above
        )
        if low_ok and (self.max is None or value <= self.max):
            return None
        return f"{self.describe()}, got {self._text(value)}"

    def describe(self) -> str:
        text = self._text
        if self.min is not None and self.max is not None:
            return f"must be between {text(self.min)} and {text(self.max)}"
        parts = []
        if self.min is not None:
            parts.append(f"at least {text(self.min)}")
        if self.above is not None:
            parts.append(f"more than {text(self.above)}")
        if self.max is not None:
            parts.append(f"at most {text(self.max)}")
        return "must be " + " and ".join(parts)

    def _text(self, value: float) -> str:
        if not math.isfinite(value):
            return str(value)
        whole = value == int(value)
        if self.seconds:
            return format_duration(value) if whole and value >= 1 else f"{value:g}s"
        return str(int(value)) if whole else f"{value:g}"


INTERVAL = Bounds(min=MIN_INTERVAL_S, max=MAX_INTERVAL_S, seconds=True)


def setting(
    default: Any,
    help: str,
    *,
    min: float | None = None,
    max: float | None = None,
    above: float | None = None,
    choices: tuple[str, ...] = (),
) -> Any:
    """A field with a default, its documentation and what values it takes."""
    meta: dict[str, Any] = {"help": help}
    if (min, max, above) != (None, None, None):
        meta["bounds"] = Bounds(min=min, max=max, above=above)
    if choices:
        meta["choices"] = choices
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def duration(
    default: str, help: str, *, allow_zero: bool = False, max: float = MAX_INTERVAL_S
) -> Any:
    """A duration field: written like ``"10m"`` in the file, held as seconds (float).

    At least one second (or 0 with ``allow_zero``), at most ``max``."""
    seconds = parse_duration(default, allow_zero=allow_zero)
    bounds = Bounds(min=0.0 if allow_zero else MIN_INTERVAL_S, max=max, seconds=True)
    meta = {"help": help, "duration": True, "allow_zero": allow_zero, "bounds": bounds}
    return field(default=seconds, metadata=meta)


def check_interval(seconds: float, what: str) -> float:
    """``seconds`` if it is a usable story interval, else UsageError naming ``what``."""
    problem = INTERVAL.problem(seconds)
    if problem:
        raise UsageError(f"{what} {problem}")
    return seconds


def one_of(choices: tuple[str, ...]) -> str:
    """``"a, b or c"``: the choices of a setting, for help texts and errors."""
    return ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]


RENDER_MODES = ("auto", "always", "never")


def render_mode(value: str | None, what: str = "--render") -> str | None:
    """``value`` as a rendering mode (None stays None: the default), else UsageError."""
    if value is None:
        return None
    mode = value.strip().lower()
    if mode not in RENDER_MODES:
        raise UsageError(f"{what} must be {one_of(RENDER_MODES)}, got {value!r}")
    return mode


@dataclass
class DatabaseSettings:
    url: str = setting(
        "sqlite:///tracker.db",
        "Any SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user:pw@host/db",
    )
    echo: bool = setting(False, "Log every SQL statement (debugging).")
    keep_checks: float = duration(
        "0",
        "Remove unchanged, not-modified and failed check rows older than this (counted per "
        "story and day in check_rollup; checks that wrote a version stay); 0 keeps all.",
        allow_zero=True,
        max=MAX_AGE_S,
    )


@dataclass
class FetchSettings:
    user_agent: str = setting(
        "tracker/0.1 (+https://github.com/tracker-news/tracker)",
        "User-Agent header sent with every request.",
    )
    timeout: float = setting(
        20.0,
        "Seconds allowed for one check: every attempt, redirect and retry pause together.",
        above=0,
        max=3600,
    )
    connect_timeout: float = setting(5.0, "Seconds allowed to connect.", above=0, max=3600)
    max_bytes: int = setting(
        5_000_000,
        "Byte cap on a body, enforced on the wire and again after decompression.",
        min=1024,
        max=1 << 30,
    )
    max_redirects: int = setting(5, "Redirects followed before the check fails.", min=0, max=50)
    retries: int = setting(
        2, "Extra attempts after a timeout, connection error or 5xx.", min=0, max=10
    )
    retry_backoff: float = setting(
        0.5, "Seconds before the first retry; doubles each time.", min=0, max=60
    )
    allow_private_addresses: bool = setting(
        False, "Allow private, loopback and link-local targets (tests, intranets)."
    )
    concurrency: int = setting(
        16, "Requests in flight at once, all hosts together.", min=1, max=1000
    )
    per_host_concurrency: int = setting(
        2, "Requests in flight at once to one host.", min=1, max=1000
    )
    per_host_delay: float = setting(
        0.0, "Minimum seconds between two requests to one host.", min=0, max=3600
    )
    respect_robots_txt: bool = setting(False, "Honour robots.txt (fetched once per host per day).")
    # Rendering pages built by JavaScript in Chromium (docs/rendering.md).
    render: str = setting(
        "auto",
        "Render pages in Chromium: auto (only when the static page yields no article, or one "
        "far shorter than its embedded data), always, or never. Per story: tracker add --render.",
        choices=RENDER_MODES,
    )
    chromium_path: str = setting(
        "",
        "Chromium to render with; empty: chromium on PATH, else Playwright's own browser.",
    )
    render_concurrency: int = setting(
        2,
        "Pages rendered at once (browser contexts in the pool; one browser per process).",
        min=1,
        max=64,
    )
    render_timeout: float = setting(
        30.0,
        "Seconds one rendering may take: navigation, scripts and settling together.",
        above=0,
        max=600,
    )
    render_max_bytes: int = setting(
        20_000_000, "Byte cap on everything one rendered page fetches.", min=1024, max=1 << 31
    )
    render_allow_media: bool = setting(
        False, "Let rendered pages load images, fonts and media (blocked: text is what we track)."
    )
    render_memory_mb: int = setting(
        1024,
        "Restart the browser when its processes use more memory than this (MB).",
        min=64,
        max=1 << 20,
    )
    render_static_retry: int = setting(
        20,
        "A host known to need rendering is tried statically again every this many checks.",
        min=1,
        max=100_000,
    )


@dataclass
class IgnoreRule:
    url: str = setting("", "Regex matched against the story URL; empty matches every story.")
    patterns: list[str] = setting([], "Regexes: matching text is removed before comparing.")
    selectors: list[str] = setting(
        [], "CSS selectors: matching elements are removed before extraction."
    )


@dataclass
class ExtractSettings:
    favor_precision: bool = setting(
        True, "trafilatura's precision mode: less boilerplate, sometimes less text."
    )
    fallback_min_chars: int = setting(
        250, "Below this many characters, try the fallback extractor.", min=0, max=1_000_000
    )
    processes: int = setting(
        0, "Extraction processes for bulk checks; 0 = one per core.", min=0, max=256
    )
    learned_profiles: bool = setting(
        True,
        "Per host, use trafilatura's fast mode once it gave the full mode's result on the "
        "host's first pages, then a learned recipe (the article's element read straight off "
        "the page) once it gave trafilatura's result on 3 pages; both re-verified every 16th "
        "page (docs/extraction.md).",
    )
    adaptive_precheck: bool = setting(
        True,
        "Per host, skip the fingerprint pre-check while it costs more CPU than the "
        "extractions it spares (text that moves at most fetches, a cheap recipe); the "
        "articles are the same either way (docs/extraction.md).",
    )
    ignore_patterns: list[str] = setting(
        [], "Regexes removed from every article's text before comparing."
    )
    ignore_selectors: list[str] = setting(
        [], "CSS selectors removed from every page before extraction."
    )
    developing_phrases: list[str] = setting(
        [
            "developing story",
            "will be updated",
            "live updates",
            "breaking news",
            "this story is developing",
        ],
        "Phrases (case-insensitive) that mark a page as a developing story.",
    )
    rules: list[IgnoreRule] = setting([], "Per-story ignore rules ([[extract.rules]] tables).")


@dataclass
class ScheduleSettings:
    default_interval: float = duration("10m", "Interval for a new story without --interval.")
    after_change: float = duration("2m", "Check this soon after a change.")
    backoff_factor: float = setting(
        1.5, "Multiply the interval by this after each unchanged check.", min=1, max=100
    )
    min_interval: float = duration("1m", "Never check one story more often than this.")
    max_interval: float = duration("1h", "Ceiling for a developing story's interval.")
    error_backoff_factor: float = setting(
        2.0, "Multiply the interval by this after a failed check, 429 or 503.", min=1, max=100
    )
    jitter: float = setting(
        0.1, "Random spread of each interval, as a fraction (0.1 = +-10%).", min=0, max=1
    )
    young_age: float = duration(
        "6h", "Stories younger than this are checked at most every min_interval * 2.", max=MAX_AGE_S
    )
    quiet_window: float = duration(
        "48h", "A developing story with no change for this long settles.", max=MAX_AGE_S
    )
    max_age: float = duration(
        "14d", "A story older than this settles, whatever its markers say.", max=MAX_AGE_S
    )
    settled_interval: float = duration("1d", "How often a settled story is checked.")
    settled_for: float = duration(
        "7d",
        "Stop checking a settled story after this long (0 = never stop).",
        allow_zero=True,
        max=MAX_AGE_S,
    )
    gone_after: int = setting(
        3, "Consecutive 404/410 answers before a story is gone.", min=1, max=1000
    )
    confirm_gone: int = setting(
        2,
        "Re-fetches that must also answer 404/410 before a story counts as unpublished "
        "and alerts (0 = believe the first).",
        min=0,
        max=20,
    )
    confirm_delay: float = duration(
        "1m", "Wait between the fetches that confirm an unpublish or a sudden shrink.", max=86400
    )
    confirm_shrink_below: float = setting(
        0.5,
        "A new version with less than this share of the last one's text (an error page, a "
        "paywall) is stored only once a re-fetch shows it again; 0 = never confirm.",
        min=0,
        max=1,
    )
    max_error_delay: float = duration(
        "5m",
        "Longest wait after failed checks of a developing story (Retry-After aside).",
        max=MAX_AGE_S,
    )


@dataclass
class DaemonSettings:
    batch_size: int = setting(
        100,
        "Stories claimed per dispatch round (a larger claim costs less per check).",
        min=1,
        max=10_000,
    )
    lease: float = duration(
        "5m", "How long a claim holds before another daemon may take it over.", max=DAY
    )
    dispatch_every: float = setting(1.0, "Seconds between dispatch rounds.", above=0, max=3600)
    shards: bool = setting(
        True,
        "Check in worker processes that each fetch, extract and write ([extract] processes "
        "of them); false: fetch and write in the daemon, extract in a pool.",
    )
    feed_poll_every: float = setting(60.0, "Seconds between feed polling rounds.", above=0, max=DAY)
    outbox_every: float = setting(
        2.0, "Seconds between notification delivery rounds.", above=0, max=3600
    )
    housekeeping_every: float = setting(
        300.0, "Seconds between housekeeping rounds.", above=0, max=DAY
    )
    shutdown_grace: float = setting(
        20.0, "Seconds in-flight checks get to finish on SIGTERM.", min=0, max=3600
    )
    log_format: str = setting(
        "text", "text or json (one JSON object per line).", choices=("text", "json")
    )
    log_level: str = setting(
        "INFO", "DEBUG, INFO, WARNING or ERROR.", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )
    metrics_host: str = setting("127.0.0.1", "Address for /healthz and /metrics.")
    metrics_port: int = setting(
        0, "Port for /healthz and /metrics; 0 turns them off.", min=0, max=PORT_MAX
    )
    serve_web: bool = setting(
        False, "Also serve the web UI inside `tracker run` ([web] host/port)."
    )


@dataclass
class WebSettings:
    host: str = setting("127.0.0.1", "Address the web UI binds to.")
    port: int = setting(8787, "Port the web UI binds to.", min=1, max=PORT_MAX)
    token: str = setting("", "Bearer token for write endpoints; empty = the API is read-only.")
    read_token_required: bool = setting(False, "Require the token for reads too.")
    base_url: str = setting("", "Public base URL, for links in alerts and feeds.")
    page_size: int = setting(50, "Default page size of API lists.", min=1, max=1000)
    max_body_bytes: int = setting(
        1_048_576,
        "Largest request body the server reads (bytes); a bigger one gets 413 before any parsing"
        " or authentication.",
        min=1024,
        max=1_073_741_824,
    )
    # The desk (docs/desk.md): people's accounts, used once `tracker user add` made one.
    session_lifetime: float = duration(
        "12h", "How long a desk login lasts before it must be repeated."
    )
    login_free_attempts: int = setting(
        5, "Wrong passwords allowed per account before each next try waits.", min=1, max=1000
    )
    login_lockout: float = duration(
        "30s", "The first wait after too many wrong passwords; it doubles each time (up to 1h)."
    )
    desk_private_destinations: bool = setting(
        False,
        "Let desk users send alerts to private, loopback and link-local addresses (tests,"
        " intranets); off, such destinations are refused.",
    )


@dataclass
class ChannelSettings:
    name: str = setting("", "Unique channel name.")
    kind: ChannelKind = setting("webhook", f"{one_of(CHANNEL_KINDS)}.")
    url: str = setting("", "Webhook URL, or any Apprise URL (mailto://, slack://, ntfy://...).")
    secret: str = setting(
        "", "HMAC-SHA256 key for webhooks; use ${ENV_VAR} to keep it out of the file."
    )
    command: list[str] = setting([], "For kind = command: argv; the JSON payload arrives on stdin.")
    min_class: ChangeClass = setting("substantive", " | ".join(CHANGE_CLASSES))
    labels: list[str] = setting([], "Only stories with one of these labels; empty = all.")
    keywords: list[str] = setting([], "Regexes; at least one must match the changed text.")
    headline_only: bool = setting(False, "Only changes of the headline.")
    always_unpublished: bool = setting(
        True, "Always notify when a story is unpublished or returns."
    )
    always_corrections: bool = setting(
        True, "Always notify when a correction or editor's note appears."
    )
    quiet_hours: str = setting(
        "", "HH:MM-HH:MM local time when nothing is sent (held until after)."
    )
    digest: str = setting("", "Cron expression (5 fields); collect changes and send one digest.")
    format: str = setting(
        "markdown",
        "text, markdown, html, or social (one short post per change: headline or lede first).",
        choices=("text", "markdown", "html", "social"),
    )
    max_length: int = setting(
        0, "Longest message; 0 = the service's own limit.", min=0, max=10_000_000
    )
    overflow: str = setting(
        "split",
        "split or truncate a message longer than max_length.",
        choices=("split", "truncate"),
    )
    template: str = setting(
        "", "Path to a Jinja2 template replacing the default body (relative: to the config)."
    )
    max_attempts: int = setting(8, "Attempts before a delivery fails for good.", min=1, max=100)
    timeout: float = setting(10.0, "Seconds allowed for one delivery.", above=0, max=3600)
    attach_card: bool = setting(
        False, "Attach the change's diff card (PNG) where Apprise's service takes attachments."
    )
    embed_card: bool = setting(False, "Webhook/command: the card's PNG inline as base64 too.")
    min_interval: float = duration(
        "0s",
        "Send at most one message per this interval (0 = no limit); the rest wait.",
        allow_zero=True,
    )
    timezone: str = setting(
        "", "IANA time zone of quiet_hours (e.g. Europe/Berlin); empty = the machine's local time."
    )
    title_language: str = setting(
        "",
        "Titles that say what happened, in this language (en, de, fr...): "
        '"Unpublished:", "Correction:", "Headline changed:"; empty = "<Class> change:".',
        choices=("", *LANGUAGES),
    )

    def missing_env(self) -> list[str]:
        """The variables its ``${NAME}`` references need that are not set now."""
        return unset_env([self.url, self.secret, *self.command])

    def resolved(self) -> ChannelSettings:
        """A copy with its ``${NAME}`` references read from the environment, for sending."""
        missing = self.missing_env()
        if missing:
            raise ConfigError(
                "(environment)", f"channel {self.name}", f"variable {missing[0]} is not set"
            )
        return replace(
            self,
            url=expand_now(self.url),
            secret=expand_now(self.secret),
            command=[expand_now(arg) for arg in self.command],
        )


@dataclass
class ArchiveSettings:
    enabled: bool = setting(False, "Submit each new version's URL to a third-party archive.")
    endpoint: str = setting(
        "", "Save Page Now-style endpoint (POST url=...); ${ENV_VAR} to keep it out of the file."
    )
    access_key: str = setting("", "Access key, sent as 'Authorization: LOW key:secret'; ${VAR}.")
    secret_key: str = setting("", "Secret key for that header; use ${ENV_VAR}.")
    max_attempts: int = setting(8, "Attempts before a submission fails for good.", min=1, max=100)
    timeout: float = setting(60.0, "Seconds allowed for one submission.", above=0, max=3600)

    def resolved(self) -> ArchiveSettings:
        """A copy with ``${NAME}`` references read from the environment, for submitting."""
        missing = unset_env([self.endpoint, self.access_key, self.secret_key])
        if missing:
            raise ConfigError("(environment)", "archive", f"variable {missing[0]} is not set")
        return replace(
            self,
            endpoint=expand_now(self.endpoint),
            access_key=expand_now(self.access_key),
            secret_key=expand_now(self.secret_key),
        )


@dataclass
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    web: WebSettings = field(default_factory=WebSettings)
    channels: list[ChannelSettings] = field(default_factory=list)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    source: str = "(defaults)"


def find_config(explicit: str | None) -> Path | None:
    """--config wins, then $TRACKER_CONFIG, then ./tracker.toml if it exists."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else None


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate a config file; with no file, the defaults."""
    if path is None:
        settings = Settings()
    else:
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(str(path), "", "file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(str(path), "", f"cannot read: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), "", f"not valid TOML: {exc}") from exc
        settings = _build(Settings, raw, str(path), "")
        settings.source = str(path)
    if os.environ.get("TRACKER_DATABASE_URL"):
        settings.database.url = os.environ["TRACKER_DATABASE_URL"]
    _check_values(settings)
    return settings


def _build(cls: type, raw: dict[str, Any], path: str, prefix: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(path, prefix.rstrip("."), "expected a table")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.name != "source"}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in known:
            raise ConfigError(path, dotted, f"unknown key (known: {', '.join(sorted(known))})")
        meta = known[key].metadata
        if meta.get("duration"):
            kwargs[key] = _duration(value, path, dotted, allow_zero=meta["allow_zero"])
        else:
            kwargs[key] = _coerce(hints[key], value, path, dotted)
        kwargs[key] = _in_range(kwargs[key], meta, path, dotted)
    return cls(**kwargs)


def _in_range(value: Any, meta: Mapping[str, Any], path: str, key: str) -> Any:
    """The declared bounds and choices of a setting; choices match in any case."""
    bounds: Bounds | None = meta.get("bounds")
    if bounds is not None:
        problem = bounds.problem(value)
        if problem:
            raise ConfigError(path, key, problem)
    choices: tuple[str, ...] = meta.get("choices", ())
    if choices:
        spelled = {c.lower(): c for c in choices}.get(value.lower())
        if spelled is None:
            raise ConfigError(path, key, f"must be {one_of(choices)}, got {value!r}")
        return spelled
    return value


def _duration(value: Any, path: str, key: str, *, allow_zero: bool) -> float:
    """Seconds in ``"90s"``, ``"2m"``, ``"1h30m"``, ``"1d"``, or a number (TOML or string)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(path, key, f'expected a duration like "5m", got {value!r}')
    text = _expand_env(value, path, key) if isinstance(value, str) else f"{value:f}"
    try:
        return parse_duration(text, allow_zero=allow_zero)
    except ValueError as exc:
        raise ConfigError(path, key, str(exc)) from None


def _coerce(hint: Any, value: Any, path: str, key: str) -> Any:
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and is_dataclass(hint):
        return _build(hint, value, path, key + ".")
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(path, key, f"expected a list, got {type(value).__name__}")
        return [_coerce(item, v, path, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if origin is Literal:
        choices = typing.get_args(hint)
        if isinstance(value, str):
            value = _expand_env(value, path, key)
        if value not in choices:
            raise ConfigError(path, key, f"must be {one_of(choices)}, got {value!r}")
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is bool and not isinstance(value, bool):
        raise ConfigError(path, key, f"expected true or false, got {value!r}")
    if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(path, key, f"expected an integer, got {value!r}")
    if not isinstance(value, hint):
        raise ConfigError(path, key, f"expected {hint.__name__}, got {type(value).__name__}")
    if isinstance(value, str):
        # A channel's secrets are needed only when it is used: a read-only command must not
        # stop on an unset variable, so there ${NAME} stays until then (see ChannelSettings);
        # the same for the archive's endpoint and keys (ArchiveSettings.resolved).
        later = key.startswith(("channels[", "archive."))
        return _expand_env(value, path, key, defer=later)
    return value


def _expand_env(value: str, path: str, key: str, *, defer: bool = False) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            if defer:
                return match.group(0)
            raise ConfigError(path, key, f"environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REF.sub(replace, value)


def unset_env(values: list[str]) -> list[str]:
    """The ${NAME} references in these strings whose variable is not set now."""
    return [
        m.group(1) for v in values for m in _ENV_REF.finditer(v) if m.group(1) not in os.environ
    ]


def expand_now(value: str) -> str:
    """``value`` with every ${NAME} replaced from the environment (all must be set)."""
    return _ENV_REF.sub(lambda m: os.environ[m.group(1)], value)


def _check_values(settings: Settings) -> None:
    """Checks that need more than a type: choices outside the vocabulary, uniqueness."""
    src = settings.source
    sched = settings.schedule
    if sched.min_interval > sched.max_interval:
        raise ConfigError(
            src,
            "schedule.min_interval",
            f"must not be longer than schedule.max_interval ({format_duration(sched.max_interval)})"
            f", got {format_duration(sched.min_interval)}",
        )
    keep = settings.database.keep_checks
    if 0 < keep < DAY:  # a typo ("90s") must not empty the table
        raise ConfigError(
            src, "database.keep_checks", f"must be 0 or at least 1d, got {format_duration(keep)}"
        )
    for i, rule in enumerate(settings.extract.rules):
        _check_regexes(src, f"extract.rules[{i}].patterns", rule.patterns)
        _check_user_patterns(src, f"extract.rules[{i}].url", [rule.url] if rule.url else [])
    _check_regexes(src, "extract.ignore_patterns", settings.extract.ignore_patterns)
    seen: set[str] = set()
    for i, ch in enumerate(settings.channels):
        key = f"channels[{i}]"
        if not ch.name:
            raise ConfigError(src, f"{key}.name", "every channel needs a name")
        if ch.name in seen:
            raise ConfigError(src, f"{key}.name", f"duplicate channel name {ch.name!r}")
        seen.add(ch.name)
        if ch.kind in ("webhook", "apprise") and not ch.url:
            raise ConfigError(src, f"{key}.url", f"a {ch.kind} channel needs a url")
        if ch.kind == "command" and not ch.command:
            raise ConfigError(src, f"{key}.command", "a command channel needs command = [...]")
        if ch.template:
            _check_template(src, f"{key}.template", ch.template)
        _check_user_patterns(src, f"{key}.keywords", ch.keywords, ignore_case=True)


def _check_template(src: str, key: str, template: str) -> None:
    """A template file must exist now, not fail at the first alert. Relative paths start
    at the config file's folder (as ``notify.messages`` reads them)."""
    path = Path(template).expanduser()
    source = Path(src)
    if not path.is_absolute() and source.suffix:
        path = source.parent / path
    if not path.is_file():
        raise ConfigError(src, key, f"template file not found: {path}")


def _check_regexes(src: str, key: str, patterns: list[str]) -> None:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ConfigError(src, key, f"bad regular expression {p!r}: {exc}") from None


def _check_user_patterns(
    src: str, key: str, patterns: list[str], *, ignore_case: bool = False
) -> None:
    """Patterns matched by RE2 (:mod:`tracker.patterns`): refused at load if RE2 cannot
    compile them, not at the first URL or change they meet."""
    for p in patterns:
        try:
            compile_user_pattern(p, key, ignore_case=ignore_case)
        except UsageError as exc:
            raise ConfigError(src, key, str(exc).removeprefix(f"{key}: ")) from None


def documented_keys() -> dict[str, str]:
    """Every dotted key with its help text (for docs and the example-config test)."""
    out: dict[str, str] = {}

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            if f.name == "source":
                continue
            hint = hints[f.name]
            inner = typing.get_args(hint)[0] if typing.get_origin(hint) is list else hint
            if isinstance(inner, type) and is_dataclass(inner):
                walk(inner, f"{prefix}{f.name}.")
            else:
                out[f"{prefix}{f.name}"] = f.metadata.get("help", "")

    walk(Settings, "")
    return out


__all__ = [
    "MAX_INTERVAL_S",
    "MIN_INTERVAL_S",
    "Bounds",
    "Settings",
    "check_interval",
    "documented_keys",
    "find_config",
    "load_settings",
]
