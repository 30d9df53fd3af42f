"""The figures the documentation quotes are today's: committed snippets equal a fresh run.

Pages never type a run's result; they include ``docs/_generated/*.md``, written by
``python docs/make_figures.py``. These tests regenerate the snippets from the runs the suite
shares (the sample's and the real roster's) and from the shipped data, and fail when a
committed one differs, naming the command that brings it up to date.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from types import ModuleType

import pytest

from docs_text import DOCS, all_pages, snippets_of

FIX = "regenerate the documentation's figures: python docs/make_figures.py"


@pytest.fixture(scope="module")
def figures() -> ModuleType:
    """``docs/make_figures.py`` as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_figures"] = module
    spec.loader.exec_module(module)
    return module


def committed(name: str) -> str:
    return (DOCS / "_generated" / name).read_text(encoding="utf-8")


def test_snippets_of_the_shipped_data_are_fresh(figures: ModuleType) -> None:
    for name, text in figures.data_snippets().items():
        assert committed(name) == text, f"docs/_generated/{name} is out of date: {FIX}"


def test_snippets_of_the_sample_are_fresh(figures: ModuleType, sample_result) -> None:
    for name, text in figures.sample_snippets(sample_result).items():
        assert committed(name) == text, f"docs/_generated/{name} is out of date: {FIX}"


def test_snippets_of_the_real_roster_are_fresh(
    figures: ModuleType, real_result, sample_result
) -> None:
    fresh = {
        "headline.md": figures.headline(real_result, sample_result),
        "scenarios-real.md": figures.scenario_counts(real_result.network),
        "two-stores.md": figures.two_stores(real_result),
        "market-split.md": figures.market_split(real_result),
        "owner-inference.md": figures.owner_inference(),
    }
    for name, text in fresh.items():
        assert committed(name) == text, f"docs/_generated/{name} is out of date: {FIX}"


def test_every_snippet_is_shown_and_every_include_exists() -> None:
    generated = {p.name for p in (DOCS / "_generated").glob("*.md")}
    included = {
        path.rsplit("/", 1)[-1]
        for name in all_pages()
        for path in snippets_of(name)
        if path.startswith("docs/_generated/")
    }
    assert generated == included, "a snippet no page shows, or a page showing a missing one"


def test_pages_do_not_type_the_headline_figures_by_hand() -> None:
    """A run figure copied into a page would go stale: only the snippets may hold them."""
    figures_now = set()
    for name in ("headline.md", "two-stores.md", "owner-card.md"):
        rows = "\n".join(r for r in committed(name).splitlines() if r.startswith("| "))
        figures_now |= set(re.findall(r"\$?\d{1,3}(?:,\d{3})+|\$\d+\.\d+ [kMB]", rows))
    assert len(figures_now) > 10
    for name, text in all_pages().items():
        typed = sorted(f for f in figures_now if f in text)
        assert not typed, f"docs/{name} types run figures {typed}: include a snippet instead"
