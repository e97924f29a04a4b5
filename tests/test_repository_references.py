"""Every file the code's comments, the README and the docs name exists in the repository,
and none of them cites a page that lives outside it (docs/architecture.md)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP = ("api", "sync", "schemas", "seed", "tests", "bench", "docs", "clients", ".ci")
# A path of the repository: a top-level folder, then names; not part of a URL path
# ("/sync/hirfa/_sync", "/api/v1/...") nor of another word.
PATH = re.compile(r"(?<![\w/.:@-])((?:" + "|".join(re.escape(t) for t in TOP) + r")/[\w./-]*[\w])")
MARKDOWN_NAME = re.compile(r"(?<![\w/.-])([A-Z][A-Z_]+\.md)\b")
LINK = re.compile(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)")


def _tracked() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]


def _sources() -> list[Path]:
    """Code, the README and the docs; CHANGES.md is history and keeps the names of its day."""
    return [
        p
        for p in _tracked()
        if (p.suffix in (".py", ".js", ".cfg", ".toml") or p.name in ("Makefile", "run"))
        or (p.suffix == ".md" and p.name != "CHANGES.md")
    ]


UNITS = {"docs/s"}  # documents per second, not the folder


def _exists(ref: str) -> bool:
    ref = ref.rstrip(".")
    if ref in UNITS:
        return True
    return (ROOT / ref).exists() or any((ROOT / ref).parent.glob(Path(ref).name + ".*"))


def test_every_file_named_exists():
    missing = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for match in PATH.finditer(text):
            if not _exists(match.group(1)):
                line = text.count("\n", 0, match.start()) + 1
                missing.append(f"{path.relative_to(ROOT)}:{line}: {match.group(1)}")
    assert missing == []


def test_no_page_outside_the_repository_is_cited():
    cited = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for match in MARKDOWN_NAME.finditer(text):
            name = match.group(1)
            if not ((ROOT / name).exists() or (ROOT / "docs" / name).exists()):
                cited.append(f"{path.relative_to(ROOT)}: {name}")
    assert cited == []


@pytest.mark.parametrize(
    "page", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))]
)
def test_links_between_pages_resolve(page):
    path = ROOT / page if page == "README.md" else ROOT / "docs" / page
    broken = [
        link
        for link in LINK.findall(path.read_text(encoding="utf-8"))
        if "://" not in link and not (path.parent / link).exists()
    ]
    assert broken == []
