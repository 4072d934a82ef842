"""The CLI contract: commands, flags, JSON fields and exit codes that scripts rely on."""

import json

import pytest

from tests.servers import article_html

PARAS = [
    "Firefighters are battling a wildfire that has burned about 3,800 acres near Riverton.",
    "The fire started Monday afternoon, officials said. About 12 homes have been evacuated.",
    '"We are asking everyone in the area to stay alert," Fire Chief Ana Ortiz said.',
    "The cause of the fire is under investigation. Crews from three counties are helping.",
    "This is a developing story that will be updated.",
]


def test_full_story_cycle(cli, config_file, server):
    url = server.page("/story", article_html("Wildfire grows near Riverton", PARAS))
    assert cli("init").code == 0
    assert cli("init").code == 0  # safe twice
    r = cli("add", url, "--label", "fire", "--interval", "5m")
    assert r.code == 0 and "added" in r.stdout
    assert "already tracked" in cli("add", url).stdout

    r = cli("check", url, "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)[0]["outcome"] == "first_version"

    edited = [p.replace("3,800", "4,100") for p in PARAS]
    server.page("/story", article_html("Wildfire grows near Riverton", edited))
    r = cli("check", url, "--json")
    out = json.loads(r.stdout)[0]
    assert out["outcome"] == "new_version" and out["version"] == 2

    r = cli("history", url, "--json")
    rows = json.loads(r.stdout)
    assert [v["version"] for v in rows] == [1, 2]
    for row in rows:
        assert {"version", "first_seen", "last_seen", "title", "sha256"} <= set(row)
        assert len(row["sha256"]) == 64

    r = cli("diff", url, "--format", "json")
    d = json.loads(r.stdout)
    assert d["from"] == 1 and d["to"] == 2
    assert d["title"] == {
        "old": "Wildfire grows near Riverton",
        "new": "Wildfire grows near Riverton",
    }
    assert ["delete", "3,800"] in d["ops"] and ["insert", "4,100"] in d["ops"]
    assert all(op in ("equal", "insert", "delete") for op, _ in d["ops"])

    r = cli("diff", url, "--format", "unified")
    assert r.code == 0 and "4,100" in r.stdout
    r = cli("diff", url)
    assert r.code == 0 and "4,100" in r.stdout

    r = cli("show", url, "--version", "1")
    assert "3,800 acres" in r.stdout
    r = cli("show", url, "--raw")
    assert "<article>" in r.stdout and "4,100" in r.stdout

    listed = json.loads(cli("list", "--json").stdout)
    assert (
        listed[0]["url"] == url and listed[0]["labels"] == ["fire"] and listed[0]["versions"] == 2
    )

    assert cli("pause", url).code == 0
    assert json.loads(cli("list", "--json").stdout)[0]["state"] == "paused"
    assert cli("resume", url).code == 0
    assert cli("remove", url).code == 0
    assert json.loads(cli("list", "--json").stdout) == []  # out of the default list
    kept = json.loads(cli("list", "--state", "removed", "--json").stdout)
    assert [(s["url"], s["state"], s["versions"]) for s in kept] == [(url, "removed", 2)]
    assert len(json.loads(cli("history", url, "--json").stdout)) == 2  # history kept
    assert "4,100" in cli("diff", url).stdout
    refused = cli("remove", url, "--purge")  # not a terminal: needs --yes
    assert refused.code == 2 and "--yes" in refused.stderr
    assert cli("remove", url, "--purge", "--yes").code == 0
    assert cli("history", url).code == 2  # gone for good


def test_add_from_file_and_stdin(cli, config_file, tmp_path, server):
    urls = [server.url(f"/s{i}") for i in range(3)]
    f = tmp_path / "urls.txt"
    f.write_text("# my list\n" + "\n".join(urls[:2]) + "\n\n")
    assert cli("add", "--from-file", str(f)).code == 0
    assert cli("add", "--from-file", "-", stdin=urls[2] + "\n").code == 0
    assert len(json.loads(cli("list", "--json").stdout)) == 3


def test_tracking_parameters_are_dropped(cli, config_file):
    cli("add", "https://news.example.org/a?id=7&utm_source=x&fbclid=y#top")
    assert json.loads(cli("list", "--json").stdout)[0]["url"] == "https://news.example.org/a?id=7"


def test_exit_codes_and_one_line_errors(cli, config_file, tmp_path, server):
    r = cli("add", "not a url")
    assert r.code == 2 and r.stderr.startswith("error:") and r.stderr.count("\n") == 1
    r = cli("add", "https://x.example/a", "--interval", "soon")
    assert r.code == 2 and "duration" in r.stderr
    r = cli("history", "https://unknown.example/")
    assert r.code == 2 and "no story" in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[fetch]\ntimeout = 'long'\n")
    r = cli("list", config=bad)
    assert r.code == 2 and str(bad) in r.stderr and "fetch.timeout" in r.stderr
    r = cli("nosuchcommand")
    assert r.code == 2
    # a failed check: exit 1, recorded
    url = server.url("/missing")
    cli("add", url)
    r = cli("check", url)
    assert r.code == 1
    r = cli("check", url, "--all", "--json")
    out = json.loads(r.stdout)[0]
    assert r.code == 1 and out["outcome"] == "failed" and out["status_code"] == 404


def test_check_due_and_all(cli, config_file, server):
    url = server.page("/a", article_html("A", PARAS))
    cli("add", url)
    assert json.loads(cli("check", "--json").stdout)[0]["outcome"] == "first_version"
    assert json.loads(cli("check", "--json").stdout) == []  # nothing due now
    assert json.loads(cli("check", "--all", "--json").stdout)[0]["outcome"] == "unchanged"


def test_help_teaches(cli):
    r = cli("--help")
    assert r.code == 0
    for command in (
        "init",
        "add",
        "list",
        "check",
        "history",
        "diff",
        "show",
        "run",
        "status",
        "feed",
    ):
        assert command in r.stdout


def test_hostile_titles_print_literally(cli, config_file, server):
    """Page text is hostile: Rich markup in a title must not style or hide anything."""
    url = server.page("/evil", article_html("[red]Fake[/red] [link=x]y[/link]", PARAS))
    cli("add", url)
    assert cli("check", url).code == 0
    assert "[red]Fake[/red]" in cli("list").stdout
    assert "[link=x]y[/link]" in cli("history", url).stdout


def test_add_interval_below_the_minimum_is_raised_with_a_notice(cli, config_file):
    r = cli("add", "http://127.0.0.1:9/a", "--interval", "20s", "--json", config=config_file)
    assert r.code == 0, r.stderr
    assert "below [schedule] min_interval (1m): checked every 1m" in r.stderr
    assert json.loads(r.stdout)[0]["interval"] == 60


@pytest.mark.parametrize("interval", ["99999999999d", "0s", "-5m", "soon", "1e400s"])
def test_add_refuses_unusable_intervals_in_one_line(cli, config_file, interval):
    r = cli("add", "http://127.0.0.1:9/a", "--interval", interval, config=config_file)
    assert r.code == 2, r
    assert len(r.stderr.strip().splitlines()) == 1 and "--interval" in r.stderr
    assert "Traceback" not in r.stderr


def test_add_with_a_ceiling_or_fixed_interval(cli, config_file):
    from tests.conftest import sessions  # noqa: F401  (the CLI's own database is read below)

    r = cli("add", "http://127.0.0.1:9/c", "--interval", "2m", "--max-interval", "5m",
            config=config_file)  # fmt: skip
    assert r.code == 0, r.stderr
    r = cli("add", "http://127.0.0.1:9/f", "--interval", "3m", "--fixed", config=config_file)
    assert r.code == 0, r.stderr
    rows = {s["url"]: s for s in json.loads(cli("list", "--json", config=config_file).stdout)}
    assert rows["http://127.0.0.1:9/c"]["max_interval"] == 300
    assert rows["http://127.0.0.1:9/f"]["fixed"] is True
    r = cli("add", "http://127.0.0.1:9/x", "--interval", "10m", "--max-interval", "5m",
            config=config_file)  # fmt: skip
    assert r.code == 2 and "shorter than the interval" in r.stderr
