"""The documentation's pages as a reader gets them: snippets included, as MkDocs does.

Imported by the tests that check what the pages say (``test_docs``, ``test_readme_examples``,
``test_docs_figures``). A page line ``--8<-- "path"`` (pymdownx.snippets, paths from the
repository root) is replaced by the file it names, so a test reads the figures and files a
page shows, not the include line.
"""

from __future__ import annotations

import re

from helpers import ROOT

DOCS = ROOT / "docs"
#: A snippet line: ``--8<-- "docs/_generated/x.md"`` alone on its line.
SNIPPET = re.compile(r'^[ \t]*--8<--[ \t]+"([^"]+)"[ \t]*$', re.MULTILINE)


def included(text: str) -> str:
    """``text`` with every snippet line replaced by its file (a missing one fails)."""

    def one(found: re.Match[str]) -> str:
        path = ROOT / found[1]
        assert path.is_file(), f"snippet {found[1]} does not exist"
        return path.read_text(encoding="utf-8").rstrip("\n")

    return SNIPPET.sub(one, text)


def page(name: str) -> str:
    """One page of ``docs/`` (``"reference/input-formats.md"``), snippets included."""
    return included((DOCS / name).read_text(encoding="utf-8"))


def snippets_of(name: str) -> list[str]:
    """The snippet paths a page includes, in order."""
    return SNIPPET.findall((DOCS / name).read_text(encoding="utf-8"))


def all_pages() -> dict[str, str]:
    """Every page of the site (not the generated snippets or templates), by its path."""
    return {
        str(p.relative_to(DOCS)): p.read_text(encoding="utf-8")
        for p in sorted(DOCS.rglob("*.md"))
        if not p.relative_to(DOCS).parts[0].startswith("_")
    }
