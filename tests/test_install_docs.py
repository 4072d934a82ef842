"""Install instructions name our distribution, never the unrelated `tracker` on PyPI.

The distribution is `news-edit-tracker`; the import package and the command stay `tracker`.
`pip install tracker` or `pip install 'tracker[postgres]'` would install someone else's
software, so no document may say it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import tracker

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "news-edit-tracker"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# `pip install tracker`, `pip install -U tracker==1.0`, `pip install "tracker[postgres]"`...
WRONG_INSTALL = re.compile(r"pip3?\s+install\s+(?:-\S+\s+)*['\"]?tracker(?![\w.-])")
# ... and the extra spelled on the bare name anywhere: 'tracker[postgres]'
WRONG_EXTRA = re.compile(r"['\"]tracker\[")
WHEEL = re.compile(r"news_edit_tracker-([^-\s'\"]+)-py3-none-any\.whl")


def documents() -> list[Path]:
    """Everything a user reads for installing: the READMEs, docs/, contrib/, CI and make."""
    found = [*ROOT.glob("*.md"), *ROOT.glob("docs/**/*.md"), *ROOT.glob("benchmarks/*.md")]
    found += [p for p in ROOT.glob("contrib/*") if p.is_file()]
    found += [ROOT / "Makefile", ROOT / ".ci" / "run"]
    return sorted(p for p in found if p.exists())


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_document_installs_the_unrelated_tracker_distribution(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    wrong = [m.group(0) for m in (*WRONG_INSTALL.finditer(text), *WRONG_EXTRA.finditer(text))]
    assert not wrong, f"{path.name} installs `tracker` from PyPI (an unrelated project): {wrong}"


def test_the_patterns_catch_the_wrong_commands_and_pass_the_right_ones() -> None:
    for bad in (
        "pip install tracker",
        "pip install 'tracker[postgres]'",
        '/opt/tracker/bin/pip install "tracker[postgres]"',
        "pip install -U tracker==0.1",
    ):
        assert WRONG_INSTALL.search(bad) or WRONG_EXTRA.search(bad), bad
    for good in (
        "pip install .",
        "pip install '.[postgres]'",
        "pip install 'news-edit-tracker[postgres]'",
        "/opt/tracker/bin/pip install '/path/to/checkout[postgres]'",
        "pip install tracker-other",  # another distribution whose name merely starts so
        "pip install datasette",
    ):
        assert not WRONG_INSTALL.search(good) and not WRONG_EXTRA.search(good), good


def test_the_project_is_news_edit_tracker_with_the_tracker_command() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == DISTRIBUTION
    assert project["scripts"] == {"tracker": "tracker.cli:main"}
    assert project["version"] == tracker.__version__  # what `tracker --version` prints


def test_the_readme_shows_every_way_to_install() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install ." in readme
    assert "pip install '.[postgres]'" in readme
    assert "pip wheel . --no-deps -w dist" in readme
    assert f"pip install '{DISTRIBUTION}[postgres]'" in readme


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_wheel_names_in_the_documents_carry_the_current_version(path: Path) -> None:
    versions = set(WHEEL.findall(path.read_text(encoding="utf-8")))
    assert versions <= {PYPROJECT["project"]["version"]}, (path.name, versions)
