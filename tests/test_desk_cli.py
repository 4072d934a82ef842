"""`tracker user ...`: the desk's accounts from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.desk_helpers import Desk
from tracker.config import load_settings
from tracker.service import Tracker


def test_user_add_list_set_role_reset_remove(cli, config_file: Path) -> None:
    added = cli(
        "user",
        "add",
        "ana",
        "--role",
        "editor",
        "--password-stdin",
        config=config_file,
        stdin="a long password\n",
    )
    assert added.code == 0 and "added ana (editor)" in added.stdout
    assert "welcome?token=" not in added.stdout  # a password was given: no link
    linked = cli(
        "user", "add", "bo", "--role", "viewer", "--timezone", "Asia/Tokyo", config=config_file
    )
    assert linked.code == 0 and "/desk/welcome?token=" in linked.stdout
    listed = json.loads(cli("user", "list", "--json", config=config_file).stdout)
    assert [(u["name"], u["role"], u["has_password"], u["timezone"]) for u in listed] == [
        ("ana", "editor", True, "UTC"),
        ("bo", "viewer", False, "Asia/Tokyo"),
    ]
    assert set(listed[0]) == {
        "id",
        "name",
        "display_name",
        "role",
        "timezone",
        "has_password",
        "created_at",
    }
    assert cli("user", "set-role", "bo", "admin", config=config_file).code == 0
    assert cli("user", "set-role", "bo", "root", config=config_file).code == 2
    reset = cli("user", "reset", "ana", config=config_file)
    assert reset.code == 0 and "/desk/welcome?token=" in reset.stdout
    listed = json.loads(cli("user", "list", "--json", config=config_file).stdout)
    assert [(u["role"], u["has_password"]) for u in listed] == [("editor", False), ("admin", False)]
    assert cli("user", "remove", "bo", config=config_file).code == 0
    assert cli("user", "remove", "bo", config=config_file).code == 2
    assert [
        u["name"] for u in json.loads(cli("user", "list", "--json", config=config_file).stdout)
    ] == ["ana"]


def test_user_add_refuses_bad_names_roles_time_zones_and_short_passwords(
    cli, config_file: Path
) -> None:
    assert cli("user", "add", "Ana Smith", config=config_file).code == 2
    assert cli("user", "add", "ana", "--role", "owner", config=config_file).code == 2
    assert cli("user", "add", "ana", "--timezone", "Mars/Base", config=config_file).code == 2
    short = cli("user", "add", "ana", "--password-stdin", config=config_file, stdin="short\n")
    assert short.code == 2 and "at least 10" in short.stderr
    assert cli("user", "add", "ana", config=config_file).code == 0
    assert cli("user", "add", "ana", config=config_file).code == 2  # exists


def test_the_printed_link_sets_the_password_and_logs_in(cli, config_file: Path) -> None:
    out = cli("user", "add", "ana", "--role", "admin", config=config_file).stdout
    token = out.split("/desk/welcome?token=")[1].split()[0]
    tracker = Tracker(load_settings(config_file))
    try:
        d = Desk(tracker)
        page = d.client.get(f"/desk/welcome?token={token}")
        from tests.desk_helpers import csrf_of

        form = {"csrf": csrf_of(page.text), "token": token, "password": "chosen by ana!"}
        assert d.client.post("/desk/welcome", data=form).status_code == 303
        assert d.login("ana", "chosen by ana!") == 303
    finally:
        tracker.close()


def test_user_token_is_printed_once_and_works_for_the_api(cli, config_file: Path) -> None:
    cli("user", "add", "ana", "--role", "editor", config=config_file)
    token = cli("user", "token", "ana", "--label", "ci", config=config_file).stdout.strip()
    assert len(token) >= 40
    tracker = Tracker(load_settings(config_file))
    try:
        d = Desk(tracker)
        r = d.client.post(
            "/api/stories",
            json={"urls": ["not a url"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 400  # authorised, then the URL was refused
        r = d.client.post(
            "/api/stories", json={"urls": ["not a url"]}, headers={"Authorization": "Bearer nope"}
        )
        assert r.status_code == 403  # no [web] token configured: read-only as before
        assert (
            "revoked 1 token" in cli("user", "token", "ana", "--revoke", config=config_file).stdout
        )
        r = d.client.post(
            "/api/stories",
            json={"urls": ["not a url"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 403
    finally:
        tracker.close()
