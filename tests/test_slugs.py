"""File names from hostile names stay inside the output folder, read plainly, never collide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealernet._errors import DealernetError
from dealernet.slugs import MAX_STEM, WINDOWS_RESERVED, file_stems, slug

SAFE = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$")
#: A stem two names shared: the plain stem, a hyphen and hex digits of the name's hash.
HASHED = re.compile(r"^.+-[0-9a-f]{8,}$")


def test_a_name_is_its_plain_stem() -> None:
    assert slug("Maple Lake Automotive") == "maple-lake-automotive"
    assert slug("Maple  Lake Automotive ") == "maple-lake-automotive"
    assert slug("Texas and Oklahoma", prefix="region") == "texas-and-oklahoma"
    assert slug("", prefix="region") == "region"


def test_names_alone_keep_their_plain_stems() -> None:
    names = ["Maple Lake Automotive", "Prairie Lake Motors", "Sewell"]
    assert file_stems(names) == {n: slug(n) for n in names}


def test_hostile_names_become_harmless_file_names(tmp_path: Path) -> None:
    names = ["../../etc/passwd", "CON", "A/B", "A\\B", "", "nul", "..", "<script>", "🚗"]
    names += ["com1", "LPT9", "aux", "Prn"]
    stems = file_stems(names)
    assert len(set(stems.values())) == len(set(names))
    for stem in stems.values():
        assert SAFE.match(stem), stem
        target = (tmp_path / f"{stem}.html").resolve()
        assert target.parent == tmp_path.resolve()
        # a stem has no dot, so the whole stem is what Windows would check
        assert stem.upper() not in WINDOWS_RESERVED, stem
    assert stems["../../etc/passwd"] == "etc-passwd"
    assert HASHED.match(stems["CON"]) and stems["CON"].startswith("con-")


def test_names_differing_only_in_punctuation_accents_or_case_get_a_hash_each() -> None:
    names = ["A/B Motors", "A-B Motors", "Café Motors", "Cafe Motors", "ABC", "abc", "Solo"]
    stems = file_stems(names)
    assert len(set(stems.values())) == len(names)
    assert stems["Solo"] == "solo"
    for name in names[:-1]:
        assert HASHED.match(stems[name]) and stems[name].startswith(slug(name) + "-"), name
    # as earlier versions named them, so a colliding owner's file keeps its name
    assert stems["A/B Motors"] == "a-b-motors-aae45e46"


def test_a_hashed_stem_never_takes_another_owners_plain_stem() -> None:
    taken = file_stems(["A/B Motors", "A-B Motors"])["A/B Motors"]
    # an owner whose plain stem is exactly that hashed stem keeps it; A/B Motors moves on
    stems = file_stems(["A/B Motors", "A-B Motors", "A B Motors aae45e46"])
    assert stems["A B Motors aae45e46"] == taken
    assert stems["A/B Motors"] != taken and stems["A/B Motors"].startswith(taken)
    assert len(set(stems.values())) == 3


def test_long_names_sharing_their_start_do_not_collide() -> None:
    a, b = "x" * MAX_STEM + " North", "x" * MAX_STEM + " South"
    stems = file_stems([a, b])
    assert stems[a] != stems[b] and slug(a) == slug(b) == "x" * MAX_STEM


def test_stems_depend_on_the_set_of_names_not_their_order() -> None:
    names = ["A/B Motors", "A-B Motors", "A B Motors", "Solo"]
    assert file_stems(names) == file_stems(reversed(names))


def test_names_differing_only_in_spacing_still_get_a_file_each() -> None:
    # the loader writes them one way; should two ever arrive, neither overwrites the other
    stems = file_stems(["Lone  Star", "Lone Star"])
    assert len(set(stems.values())) == 2


def test_a_clash_of_whole_hashes_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dealernet.slugs._digest", lambda _text: "0" * 64)
    assert len(set(file_stems(["A/B", "A-B"]).values())) == 2  # a longer hash for one
    with pytest.raises(DealernetError, match="would share the file name 'a-b'"):
        file_stems([f"A{mark}B" for mark in "/-.,:;_+=~!@#$%^"])  # more than hash lengths


@given(st.lists(st.text(max_size=60), max_size=8))
def test_any_names_give_distinct_safe_stems(names: list[str]) -> None:
    stems = file_stems(names)
    assert len(set(stems.values())) == len(set(names))
    for stem in stems.values():
        assert SAFE.match(stem), stem
        assert stem.upper() not in WINDOWS_RESERVED
        assert len(stem) <= MAX_STEM + 1 + 64


@given(st.text(max_size=300))
def test_any_name_gives_a_safe_slug(name: str) -> None:
    s = slug(name)
    assert SAFE.match(s)
    assert s.upper() not in WINDOWS_RESERVED
    assert len(s) <= MAX_STEM + 9
