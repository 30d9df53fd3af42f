"""Regenerate the owner-identity corpus: ``python tests/data/bad/owners/make.py``.

Small Texas networks cut from the synthetic sample, whose owner names are written in ways
that must still mean one owner (case, spacing, tabs, non-breaking and zero-width spaces,
full-width letters) or must stay two owners (punctuation), plus names that are hostile as
file names. ``EXPECTED.toml`` says what each command must do with them.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
SAMPLE = HERE.parents[3] / "src" / "dealernet" / "_data" / "networks" / "sample"
OWNER = "Copper Meadow Auto Partners"
#: One owner, written five ways on its four Infiniti stores and its Nissan stores.
SPELLINGS = (
    OWNER,
    "copper meadow auto partners",
    "Copper  Meadow   Auto Partners",
    "Copper\tMeadow Auto Partners",
    "Copper\u00a0Meadow Auto\u00a0Partners",
)


def rows(name: str) -> tuple[list[str], list[list[str]]]:
    """The sample's Texas rows of one brand file."""
    with (SAMPLE / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        state = header.index("state")
        return header, [r for r in reader if r[state] == "TX"]


def write(path: Path, header: list[str], body: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(body)


def respelt(body: list[list[str]], owner: int, spellings: tuple[str, ...]) -> list[list[str]]:
    """``body`` with the rows of :data:`OWNER` written with ``spellings`` in turn."""
    out, n = [], 0
    for row in body:
        row = list(row)
        if row[owner] == OWNER:
            row[owner] = spellings[n % len(spellings)]
            n += 1
        out.append(row)
    return out


def renamed(body: list[list[str]], owner: int, old: str, new: str) -> list[list[str]]:
    return [[new if i == owner and v == old else v for i, v in enumerate(r)] for r in body]


def main() -> None:
    inf_header, inf = rows("infiniti.csv")
    nis_header, nis = rows("nissan.csv")
    o_inf, o_nis = inf_header.index("owner_group"), nis_header.index("owner_group")
    write(HERE / "tx" / "nissan.csv", nis_header, nis)
    write(HERE / "tx" / "infiniti.csv", inf_header, inf)
    write(HERE / "variants" / "infiniti.csv", inf_header, respelt(inf, o_inf, SPELLINGS))
    write(HERE / "variants" / "nissan.csv", nis_header, respelt(nis, o_nis, SPELLINGS[::-1]))
    invisible = (OWNER, "Copper Meadow\u200b Auto Partners", "Ｃｏｐｐｅｒ Meadow Auto Partners")
    write(HERE / "invisible" / "infiniti.csv", inf_header, respelt(inf, o_inf, invisible))
    # Two owners whose readable names are one slug stem: they must keep two files.
    punct = renamed(inf, o_inf, "Summit Peak Automotive", "A/B Motors")
    punct = renamed(punct, o_inf, "Lone Point Automotive", "A-B Motors")
    write(HERE / "punctuation" / "infiniti.csv", inf_header, punct)
    hostile = renamed(inf, o_inf, "Summit Peak Automotive", "../../etc/passwd")
    hostile = renamed(hostile, o_inf, "Lone Point Automotive", "CON")
    hostile = renamed(hostile, o_inf, "Harbor Lake Auto Partners", "x" * 900)
    hostile = renamed(hostile, o_inf, "Clear Bluff Motors", "   ")
    write(HERE / "hostile_names" / "infiniti.csv", inf_header, hostile)
    # One owner's name is a prefix of another's: the exact name must win over a partial match.
    prefix = renamed(inf, o_inf, "Summit Peak Automotive", "Lone Point Auto")
    write(HERE / "prefix" / "infiniti.csv", inf_header, prefix)
    # An owners file that spells a dealer file's owner another way.
    with (HERE / "owners_respelt.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("dealer_id,owner_group\n")
        handle.write("SAMPLE-INF-0161,SUMMIT PEAK  AUTOMOTIVE\n")
        handle.write("SAMPLE-INF-0165,summit peak automotive\n")


if __name__ == "__main__":
    main()
