"""File names from hostile names stay inside the output folder and never collide."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dealernet.slugs import slug

SAFE = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


def test_readable_and_stable() -> None:
    assert slug("Lone Star Auto Group").startswith("lone-star-auto-group-")
    assert slug("Lone Star Auto Group") == slug("Lone  Star Auto Group ")


def test_hostile_names_become_harmless_file_names(tmp_path: Path) -> None:
    names = ["../../etc/passwd", "CON", "A/B", "A\\B", "", "nul", "..", "<script>", "🚗"]
    slugs = [slug(n) for n in names]
    assert len(set(slugs)) == len(names)
    for s in slugs:
        assert SAFE.match(s), s
        target = (tmp_path / f"{s}.html").resolve()
        assert target.parent == tmp_path.resolve()
        assert s.split("-")[0].upper() not in {"CON", "NUL", "PRN", "AUX"} or "-" in s


def test_names_differing_only_in_punctuation_or_case_do_not_collide() -> None:
    assert slug("A/B Motors") != slug("A-B Motors")
    assert slug("ABC") != slug("abc")


@given(st.text(max_size=300))
def test_any_name_gives_a_safe_slug(name: str) -> None:
    s = slug(name)
    assert SAFE.match(s)
    assert len(s) <= 49
