"""`tracker notify test|list|retry|flush`, in-process through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import CliResult, sessions
from tests.test_notify_channels import SECRET, HookReceiver, SmtpSink, free_port
from tests.test_notify_outbox import seed_change
from tracker import cli as cli_module
from tracker.commands.notify import notify_app
from tracker.config import load_settings
from tracker.service import Tracker
from tracker.store import db
from tracker.store import outbox as ob
from tracker.timeparse import utcnow


@pytest.fixture(autouse=True)
def mounted() -> None:
    """The lead mounts `notify` in cli._mount(); until then, mount it for these tests."""
    if not any(g.name == "notify" for g in cli_module.app.registered_groups):
        cli_module.app.add_typer(notify_app, name="notify")


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    r = HookReceiver().start()
    yield r
    r.stop()


def write_config(path: Path, channels: str) -> Path:
    path.write_text(path.read_text() + "\n" + channels)
    return path


def webhook_table(url: str, name: str = "desk", extra: str = "") -> str:
    return (
        f'[[channels]]\nname = "{name}"\nkind = "webhook"\nurl = "{url}"\n'
        f'secret = "{SECRET}"\n{extra}\n'
    )


def test_notify_test_prints_what_the_webhook_answered(
    cli, config_file: Path, hook: HookReceiver
) -> None:  # type: ignore[no-untyped-def]
    write_config(config_file, webhook_table(hook.url))
    r: CliResult = cli("notify", "test", "desk")
    assert r.code == 0, r.stderr
    assert "desk (webhook): delivered" in r.stdout and "HTTP 200 OK: accepted" in r.stdout
    [sample] = hook.unique.values()
    assert sample["event"] == "test" and sample["idempotency_key"].startswith("test-")
    assert sample["facts"]["numbers_changed"]  # a real analysis of the sample edit
    assert cli("notify", "test", "desk").code == 0 and len(hook.unique) == 2  # fresh keys


def test_notify_test_failure_exits_1_with_the_answer(
    cli, config_file: Path, hook: HookReceiver
) -> None:  # type: ignore[no-untyped-def]
    hook.fail_first, hook.fail_status = 1, 500
    write_config(config_file, webhook_table(hook.url))
    r = cli("notify", "test", "desk")
    assert r.code == 1 and "not delivered" in r.stdout
    assert "HTTP 500 Internal Server Error: try again later" in r.stdout
    assert "error: HTTP 500" in r.stderr


def test_notify_test_email_prints_apprise_log(cli, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    sink = SmtpSink()
    sink.controller.start()
    try:
        write_config(
            config_file,
            f'[[channels]]\nname = "mail"\nkind = "apprise"\n'
            f'url = "{sink.url()}"\nformat = "html"\n',
        )
        r = cli("notify", "test", "mail")
    finally:
        sink.controller.stop()
    assert r.code == 0 and "Sent Email to desk@example.org" in r.stdout
    assert sink.messages[0]["Subject"].startswith("[test] Major change: Flood warnings")


def test_notify_test_unreachable_and_unknown(cli, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"mailto://127.0.0.1:{free_port()}?from=a@example.org&to=b@example.org"
    write_config(
        config_file, f'[[channels]]\nname = "mail"\nkind = "apprise"\nurl = "{url}"\ntimeout = 3\n'
    )
    r = cli("notify", "test", "mail")
    assert r.code == 1 and "Connection refused" in r.stdout
    missing = cli("notify", "test", "nope")
    assert missing.code == 2 and "no channel named 'nope'" in missing.stderr


def test_bad_cron_is_a_config_error(cli, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    write_config(config_file, webhook_table("http://127.0.0.1:9/x", extra='digest = "8am"'))
    r = cli("notify", "list")
    assert r.code == 2 and "channels[0].digest" in r.stderr


def seeded(config_file: Path, channel_names: list[str]) -> Tracker:
    t = Tracker(load_settings(config_file))
    t.init()
    seed_change(t, channel_names, at=utcnow() - timedelta(minutes=1))
    return t


def test_list_flush_retry(cli, config_file: Path, hook: HookReceiver) -> None:  # type: ignore[no-untyped-def]
    write_config(
        config_file,
        webhook_table(hook.url, extra="max_attempts = 1")
        + webhook_table(hook.url, name="digesty", extra='digest = "0 8 * * *"'),
    )
    t = seeded(config_file, ["desk"])
    seed_change(t, ["digesty"], state="digest")
    t.close()

    listed = json.loads(cli("notify", "list", "--json").stdout)
    assert [(c["name"], c["pending"], c["in_digest"]) for c in listed] == [
        ("desk", 1, 0),
        ("digesty", 0, 1),
    ]
    assert listed[1]["digest"] == "0 8 * * *"

    hook.fail_first = 1
    r = cli("notify", "flush", "--json")
    assert r.code == 0 and json.loads(r.stdout)["failed"] == 1  # max_attempts = 1
    assert json.loads(cli("notify", "list", "--json").stdout)[0]["last_error"] == "HTTP 503"
    table = cli("notify", "list").stdout
    assert "desk" in table and "HTTP 503" in table

    assert cli("notify", "retry").code == 2  # neither --channel nor --all
    assert cli("notify", "retry", "--channel", "nope").code == 2
    r = cli("notify", "retry", "--channel", "desk")
    assert r.code == 0 and "1 failed notification queued again" in r.stdout
    r = cli("notify", "flush", "--digests")
    assert r.code == 0 and "delivered 1, retry later 0, failed 0" in r.stdout
    assert "digest digesty: 1 changes, sent" in r.stdout
    listed = json.loads(cli("notify", "list", "--json").stdout)
    assert [(c["delivered"], c["failed"], c["pending"]) for c in listed] == [(1, 0, 0), (1, 0, 0)]


def test_retry_all(cli, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    write_config(
        config_file,
        webhook_table("http://127.0.0.1:9/a", name="a")
        + webhook_table("http://127.0.0.1:9/b", name="b"),
    )
    t = seeded(config_file, ["a", "b"])
    with db.transaction(sessions(t)) as s:
        claimed = ob.claim_due(s, owner="x", now=utcnow(), timeouts={"a": 1, "b": 1}, limit=9)
        for row in claimed:
            ob.record_outcome(s, row.id, ob.Outcome(state="failed", attempts=8), owner="x")
    t.close()
    r = cli("notify", "retry", "--all")
    assert "2 failed notifications queued again" in r.stdout


def test_list_without_channels(cli, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    assert "no channels configured" in cli("notify", "list").stdout
    assert json.loads(cli("notify", "list", "--json").stdout) == []


def test_list_shows_rows_of_channels_no_longer_configured(cli, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    write_config(config_file, webhook_table("http://127.0.0.1:9/a", name="a"))
    seeded(config_file, ["a", "old-channel"]).close()
    listed = {c["name"]: c for c in json.loads(cli("notify", "list", "--json").stdout)}
    assert listed["old-channel"]["configured"] is False and listed["old-channel"]["pending"] == 1
    assert "old-channel: not in the config; its rows wait" in cli("notify", "list").stdout
