"""`tracker user ...`: the desk's accounts (docs/desk.md).

Passwords never go on the command line (it shows in `ps` and shell history): either
``--password-stdin`` reads one line from stdin, or the command prints a one-time link
(24 hours) where the person sets it themselves.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from tracker import rowjson
from tracker.clikit import App, echo, local_time, print_json, say, show_table, state

user_app = App(
    help="People who use the web desk: add them with a role, list, change, remove.",
    no_args_is_help=True,
)

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (no link)."
    ),
]


def _password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    return sys.stdin.readline().rstrip("\r\n")


def _show_link(token: str, name: str) -> None:
    from tracker.desk.accounts import LINK_LIFETIME, link_url

    base = state.tracker.settings.web.base_url
    hours = int(LINK_LIFETIME.total_seconds() // 3600)
    say(escape(f"one-time link for {name} (valid {hours} h, shown only now):"))
    echo(link_url(base, token))
    if not base:
        say(
            escape(
                "(set [web] base_url to print a full address; open this path on the desk's host)"
            )
        )


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name (lower case).", metavar="NAME")],
    role: Annotated[
        str, typer.Option("--role", metavar="ROLE", help="viewer, editor or admin.")
    ] = "viewer",
    display_name: Annotated[
        str, typer.Option("--display-name", metavar="TEXT", help="Shown on pages.")
    ] = "",
    timezone: Annotated[
        str, typer.Option("--timezone", metavar="TZ", help="IANA time zone for their pages.")
    ] = "UTC",
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a person. viewer: read, follow, own alerts; editor: also add, pause, label and
    remove stories and feeds; admin: also people and the audit log."""
    from tracker.desk import accounts

    t = state.tracker
    t.ready()
    user, link = accounts.add_user(
        t.store,
        name,
        role,
        now=t.clock(),
        password=_password(password_stdin),
        display_name=display_name,
        timezone=timezone,
    )
    say(escape(f"added {user.name} ({user.role})"))
    if link:
        _show_link(link, user.name)


@user_app.command("list")
def list_(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every account: name, role, time zone, whether a password is set."""
    from tracker.store import people

    t = state.tracker
    t.ready()
    users = t.store.read(people.list_users)
    if json_out:
        print_json([rowjson.user_json(u) for u in users])
        return
    show_table(
        ("name", "role", "display name", "time zone", "password", "added"),
        [
            (
                u.name,
                u.role,
                u.display_name,
                u.timezone,
                "set" if u.has_password else "link pending",
                local_time(u.created_at),
            )
            for u in users
        ],
    )


@user_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="Login name.", metavar="NAME")]) -> None:
    """Remove a person with their sessions, tokens, follows and destinations."""
    from tracker.store import people

    t = state.tracker
    t.ready()
    user = t.store.write(people.remove_user, name)
    t.store.write(people.audit, None, "user.remove", user.name, now=t.clock())
    say(escape(f"removed {user.name}"))


@user_app.command("set-role")
def set_role(
    name: Annotated[str, typer.Argument(help="Login name.", metavar="NAME")],
    role: Annotated[str, typer.Argument(help="viewer, editor or admin.", metavar="ROLE")],
) -> None:
    """Change a person's role (their sessions and tokens act with it at once)."""
    from tracker.desk.accounts import check_role
    from tracker.store import people

    t = state.tracker
    t.ready()
    user = t.store.write(people.set_role, name, check_role(role))
    t.store.write(people.audit, None, "user.set-role", name, now=t.clock(), detail=role)
    say(escape(f"{user.name} is now {user.role}"))


@user_app.command("reset")
def reset(
    name: Annotated[str, typer.Argument(help="Login name.", metavar="NAME")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Forget a person's password and end their sessions; prints a new one-time link (or
    sets the password read from stdin)."""
    from tracker.desk import accounts

    t = state.tracker
    t.ready()
    link = accounts.reset(t.store, name, now=t.clock(), password=_password(password_stdin))
    if link:
        _show_link(link, name)
    else:
        say(escape(f"password of {name} set; their sessions ended"))


@user_app.command("token")
def token(
    name: Annotated[str, typer.Argument(help="Login name.", metavar="NAME")],
    label: Annotated[str, typer.Option("--label", metavar="TEXT", help="What it is for.")] = "",
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Instead: revoke every token of NAME.")
    ] = False,
) -> None:
    """Print a new bearer token for scripts, bound to NAME (it acts with NAME's role:
    editor or admin may write through the API). Shown only now."""
    from tracker.desk import accounts
    from tracker.store import people

    t = state.tracker
    t.ready()
    if revoke:
        n = t.store.write(people.revoke_tokens, name)
        t.store.write(people.audit, None, "token.revoke", name, now=t.clock(), detail=str(n))
        say(escape(f"revoked {n} token(s) of {name}"))
        return
    echo(accounts.new_token(t.store, name, label, t.clock()))
