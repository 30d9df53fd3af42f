"""Regenerate the inputs of the output-folder corpus: ``python tests/data/bad/outdir/make.py``.

Small, deterministic files: a four-store dealer file (a run with reports in seconds), the
same stores under an owner group that a later run no longer has (its reports go stale),
and bad inputs that must be refused before ``--out`` is touched.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = (
    "dealer_id,name,brand,owner_group,address,city,state,zip,latitude,longitude,"
    "annual_new_units,annual_used_units\n"
)
ROWS = [
    "INF-1,Infiniti of Austin,Infiniti,Alpha Group,100 Main St,Austin,TX,78701,"
    "30.2672,-97.7431,300,200",
    "INF-2,Infiniti of Waco,Infiniti,{owner},200 Main St,Waco,TX,76701,31.5493,-97.1467,250,150",
    "NIS-1,Austin Nissan,Nissan,Alpha Group,300 Oak St,Austin,TX,78702,30.2700,-97.7200,900,600",
    "NIS-2,Dallas Nissan,Nissan,Delta Cars,400 Elm St,Dallas,TX,75201,32.7767,-96.7970,900,600",
]


def dealers(owner: str) -> str:
    return HEADER + "\n".join(row.format(owner=owner) for row in ROWS) + "\n"


FILES = {
    # the run every case makes: Alpha Group and Beta Motors are affected
    "tiny.csv": dealers("Beta Motors"),
    # an earlier run (setup.py): "Old Group" instead of Beta Motors, so its reports go stale
    "tiny_before.csv": dealers("Old Group"),
    # a latitude out of range: refused when the dealer files are read
    "bad_latitude.csv": HEADER
    + "INF-1,Infiniti of Austin,Infiniti,Alpha Group,100 Main St,Austin,TX,78701,"
    "999,-97.7431,300,200\n",
    # a scenario that is not TOML
    "bad_scenario.toml": '[scenario\nname = "broken"\n',
    # assumptions with a key that does not exist
    "bad_assumptions.toml": "[retention]\nsale = 0.5\n",
}


def main() -> None:
    for name, text in FILES.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
