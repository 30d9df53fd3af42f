"""File names from hostile names stay inside the output folder and never collide."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dealernet.slugs import slug

SAFE = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
#: A slug ends with a hyphen and the first 8 hex digits of the name's hash.
HASHED = re.compile(r"^.+-[0-9a-f]{8}$")
#: Device names Windows reserves (in any case) as the part of a file name before its first dot.
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"}
WINDOWS_RESERVED |= {f"{port}{n}" for port in ("COM", "LPT") for n in range(10)}


def test_readable_and_stable() -> None:
    assert slug("Lone Star Auto Group").startswith("lone-star-auto-group-")
    assert slug("Lone Star Auto Group") == slug("Lone  Star Auto Group ")


def test_hostile_names_become_harmless_file_names(tmp_path: Path) -> None:
    names = ["../../etc/passwd", "CON", "A/B", "A\\B", "", "nul", "..", "<script>", "🚗"]
    names += ["com1", "LPT9", "aux", "Prn"]
    slugs = [slug(n) for n in names]
    assert len(set(slugs)) == len(names)
    for s in slugs:
        assert SAFE.match(s), s
        target = (tmp_path / f"{s}.html").resolve()
        assert target.parent == tmp_path.resolve()
        # a slug has no dot, so the whole slug is what Windows would check
        assert s.upper() not in WINDOWS_RESERVED, s
        assert HASHED.match(s), s


def test_names_differing_only_in_punctuation_or_case_do_not_collide() -> None:
    assert slug("A/B Motors") != slug("A-B Motors")
    assert slug("ABC") != slug("abc")


@given(st.text(max_size=300))
def test_any_name_gives_a_safe_slug(name: str) -> None:
    s = slug(name)
    assert SAFE.match(s)
    assert HASHED.match(s)
    assert s.upper() not in WINDOWS_RESERVED
    assert len(s) <= 49
