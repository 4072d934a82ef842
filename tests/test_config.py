import re
from pathlib import Path

import pytest

from tracker.config import documented_keys, load_settings
from tracker.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "t.toml"
    p.write_text(text)
    return p


def test_defaults_without_a_file_use_sqlite_in_the_working_directory():
    s = load_settings(None)
    assert s.database.url == "sqlite:///tracker.db"
    assert s.fetch.allow_private_addresses is False


def test_database_url_is_read(tmp_path):
    s = load_settings(write(tmp_path, '[database]\nurl = "postgresql+psycopg://u@h/db"\n'))
    assert s.database.url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[database]\nurl = 3\n", "database.url"),
        ("[fetch]\nallow_private_addresses = 'yes'\n", "fetch.allow_private_addresses"),
        ("[fetch]\nmax_bytes = 1.5\n", "fetch.max_bytes"),
        ("[fetch]\nunknown_thing = 1\n", "fetch.unknown_thing"),
        ("[nosuchsection]\nx = 1\n", "nosuchsection"),
        ("[schedule]\nafter_change = 'soon'\n", "schedule.after_change"),
        ("[schedule]\nmin_interval = '0'\n", "schedule.min_interval"),
        ("[schedule]\nmax_age = true\n", "schedule.max_age"),
        ("[daemon]\nlease = '5 minutes'\n", "daemon.lease"),
        ("[daemon]\nlease = -1\n", "daemon.lease"),
        ("[extract]\nignore_patterns = ['(']\n", "extract.ignore_patterns"),
        ("[[channels]]\nname = 'a'\nkind = 'pigeon'\nurl = 'x'\n", "channels[0].kind"),
        ("[[channels]]\nname = 'a'\nkind = 'webhook'\n", "channels[0].url"),
        (
            "[[channels]]\nname = 'a'\nkind = 'webhook'\nurl = 'http://x'\nmin_class = 'huge'\n",
            "channels[0].min_class",
        ),
    ],
)
def test_bad_values_name_the_file_and_the_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == key
    assert str(path) in str(info.value) and key in str(info.value)
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_durations_are_seconds_after_loading(tmp_path):
    defaults = load_settings(None)
    assert (defaults.schedule.default_interval, defaults.daemon.lease) == (600.0, 300.0)
    s = load_settings(
        write(
            tmp_path,
            "[schedule]\ndefault_interval = '90s'\nafter_change = '2m'\nmax_interval = '1h'\n"
            "settled_interval = '1d'\nmin_interval = '45'\nyoung_age = 30\n"
            "quiet_window = 1.5\nsettled_for = '0'\n[daemon]\nlease = '1h30m'\n",
        )
    )
    sch = s.schedule
    assert (sch.default_interval, sch.after_change, sch.max_interval) == (90, 120, 3600)
    assert (sch.settled_interval, sch.min_interval, sch.young_age) == (86400, 45, 30)
    assert (sch.quiet_window, sch.settled_for, s.daemon.lease) == (1.5, 0, 5400)
    assert all(isinstance(v, float) for v in (sch.default_interval, sch.young_age))


def test_a_duration_may_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LEASE", "2m")
    assert load_settings(write(tmp_path, "[daemon]\nlease = '${LEASE}'\n")).daemon.lease == 120


def test_broken_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[database\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    s = load_settings(
        write(
            tmp_path,
            "[[channels]]\nname='n'\nkind='webhook'\nurl='http://x'\nsecret='${HOOK_SECRET}'\n",
        )
    )
    assert s.channels[0].secret == "s3cret"
    monkeypatch.delenv("HOOK_SECRET")
    unset = load_settings(
        write(
            tmp_path,
            "[[channels]]\nname='n'\nkind='webhook'\nurl='http://x'\nsecret='${HOOK_SECRET}'\n",
        )
    )  # a channel's unset secret stops only what uses the channel (issue 12)
    from tracker.notify import validate_channels

    with pytest.raises(ConfigError, match="HOOK_SECRET"):
        validate_channels(unset)


def test_database_url_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", "sqlite:///other.db")
    assert load_settings(None).database.url == "sqlite:///other.db"


def test_example_config_loads_and_documents_every_key():
    example = ROOT / "config.example.toml"
    s = load_settings(example)
    assert s.database.url.startswith("sqlite:///")
    text = example.read_text()
    for key in documented_keys():
        leaf = re.sub(r"^channels\.", "", key).split(".")[-1]
        assert re.search(rf"^#?\s*{re.escape(leaf)}\s*=", text, re.M), (
            f"{key} is not in config.example.toml"
        )


def test_example_webhook_channel_contract_parses(tmp_path):
    """The documented minimum of a signed webhook channel, uncommented, is valid."""
    s = load_settings(
        write(
            tmp_path,
            """
[[channels]]
name = "newsdesk"
kind = "webhook"
url = "http://127.0.0.1:9000/hook"
secret = "change-me"
min_class = "substantive"
""",
        )
    )
    ch = s.channels[0]
    assert (ch.name, ch.kind, ch.url, ch.secret, ch.min_class) == (
        "newsdesk",
        "webhook",
        "http://127.0.0.1:9000/hook",
        "change-me",
        "substantive",
    )


def test_channel_secrets_are_read_only_when_a_channel_is_used(tmp_path, monkeypatch, cli):
    """`list` and `history` work with a channel whose ${SECRET} is unset; sending does not."""
    monkeypatch.delenv("HOOK_SECRET_FOR_TEST", raising=False)
    path = tmp_path / "tracker.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "s.db"}"\n\n[[channels]]\nname = "desk"\n'
        'kind = "webhook"\nurl = "http://127.0.0.1:9/hook"\nsecret = "${HOOK_SECRET_FOR_TEST}"\n'
    )
    settings = load_settings(path)
    assert settings.channels[0].missing_env() == ["HOOK_SECRET_FOR_TEST"]
    assert cli("list", config=path).code == 0
    r = cli("notify", "test", "desk", config=path)
    assert r.code == 2 and "HOOK_SECRET_FOR_TEST is not set" in r.stderr, r
    monkeypatch.setenv("HOOK_SECRET_FOR_TEST", "s3cret")
    assert load_settings(path).channels[0].resolved().secret == "s3cret"
    undefined_db = path.read_text().replace("sqlite:///", "sqlite:///${NO_SUCH_DIR_VAR}/")
    path.write_text(undefined_db)
    with pytest.raises(ConfigError, match="NO_SUCH_DIR_VAR is not set"):
        load_settings(path)  # outside the channels, a missing variable still stops at once
