"""Regenerate the inputs of the commands corpus: ``python tests/data/bad/commands/make.py``.

Small, deterministic dealer files for commands that used to end in a traceback: a network
without one of the two brands, one whose source-brand rows are all invalid, a four-store
network for fast earlier runs (``setup.py``), and the same network with dealer ids and an
owner that a spreadsheet would run as formulas (``=``, ``+``, ``-``, ``@``), which the CSV
guard writes as ``'=...`` into the saved tables.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = (
    "dealer_id,name,brand,owner_group,address,city,state,zip,latitude,longitude,"
    "annual_new_units,annual_used_units\n"
)
INFINITI = [
    "{i1},Infiniti of Austin,Infiniti,{owner},100 Main St,Austin,TX,78701,30.2672,-97.7431,300,200",
    "{i2},Infiniti of Waco,Infiniti,Beta Motors,200 Main St,Waco,TX,76701,31.5493,-97.1467,250,150",
]
NISSAN = [
    "{n1},Austin Nissan,Nissan,Alpha Group,300 Oak St,Austin,TX,78702,30.2700,-97.7200,900,600",
    "{n2},Dallas Nissan,Nissan,Delta Cars,400 Elm St,Dallas,TX,75201,32.7767,-96.7970,900,600",
]
PLAIN = {"i1": "INF-1", "i2": "INF-2", "n1": "NIS-1", "n2": "NIS-2", "owner": "Alpha Group"}
FORMULAS = {"i1": "=INF-1", "i2": "+INF-2", "n1": "-NIS-1", "n2": "@NIS-2", "owner": "Alpha Group"}
UNLOCATABLE = [
    "INF-1,Infiniti of Nowhere,Infiniti,Alpha Group,,Nowhere,TX,,north,west,300,200",
    "INF-2,Infiniti of Elsewhere,Infiniti,Beta Motors,,Elsewhere,TX,,abc,def,250,150",
]


def table(rows: list[str], names: dict[str, str]) -> str:
    return HEADER + "\n".join(row.format(**names) for row in rows) + "\n"


FILES = {
    "nissan_only.csv": table(NISSAN, PLAIN),
    "infiniti_only.csv": table(INFINITI, PLAIN),
    "unlocatable_infiniti.csv": HEADER
    + "\n".join(UNLOCATABLE)
    + "\n"
    + table(NISSAN, PLAIN)[len(HEADER) :],
    "tiny.csv": table(INFINITI + NISSAN, PLAIN),
    "formula_ids.csv": table(INFINITI + NISSAN, FORMULAS),
}


def main() -> None:
    for name, text in FILES.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
