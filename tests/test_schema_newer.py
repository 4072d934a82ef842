"""A database a newer tracker wrote: this one says so and leaves it alone, no traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def test_a_database_from_a_newer_tracker_is_refused_with_a_clear_error(cli, config_file: Path):
    assert cli("init", config=config_file).code == 0
    path = config_file.parent / "cli.db"
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.close()

    result = cli("list", config=config_file)

    assert result.code != 0
    assert "schema 0099_future" in result.stderr and "newer tracker" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(path) as conn:  # untouched
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "0099_future",
        )
    conn.close()
