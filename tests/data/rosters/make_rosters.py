"""Rebuild the roster fixtures here: ``python tests/data/rosters/make_rosters.py``.

Reads ``../shared/data/dealers-2015/`` (the published JSON, MIT licence) only when run; the
tests read the excerpts written here, so they need nothing outside the repository. The JSON
excerpts are the published objects unchanged (nested ``address`` and ``geo``, ``department``
lists and all); the CSVs hold the same Infiniti and Nissan excerpts flattened the way export
tools do it, with dotted and with slashed headers. The excerpts keep the cases the tests need:
stores without a website, a Nissan store named "Harry Green Chevrolet", and the two codes
(08053, 06033) that a Nissan and a Lincoln store share.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROSTERS = HERE.parents[2].parent / "shared" / "data" / "dealers-2015"
#: Objects kept from each roster, by position in the published array.
EXCERPTS = {
    "infiniti": [*range(17), 25, 32, 42],  # 25, 32: no url; 42: an e-mail
    "nissan": [
        *range(16),
        44,
        234,
        261,
        354,
    ],  # 44: no url; 261: "Chevrolet"; 234, 354: shared codes
    "lincoln": [0, 1, 2, 194, 312],  # 194, 312: the codes Nissan also uses
}


def flat(record: dict[str, object], sep: str, prefix: str = "") -> dict[str, str]:
    """A record with nested objects as ``sep``-joined keys; lists of objects left out."""
    out: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(flat(value, sep, f"{prefix}{key}{sep}"))
        elif isinstance(value, list):
            if not any(isinstance(v, (dict, list)) for v in value):
                out[f"{prefix}{key}"] = "; ".join(str(v) for v in value)
        else:
            out[f"{prefix}{key}"] = "" if value is None else str(value)
    return out


def write_csv(path: Path, records: list[dict[str, object]], sep: str) -> None:
    rows = [flat(r, sep) for r in records]
    header = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    if not ROSTERS.is_dir():
        sys.exit(f"{ROSTERS}: the published rosters are needed to regenerate the excerpts")
    excerpts = {}
    for make, picks in EXCERPTS.items():
        published = json.loads((ROSTERS / f"{make}.json").read_text(encoding="utf-8"))
        excerpts[make] = [published[i] for i in picks]
        text = json.dumps(excerpts[make], indent=2, ensure_ascii=False, sort_keys=True)
        (HERE / f"{make}.json").write_text(text + "\n", encoding="utf-8")
    write_csv(HERE / "infiniti_dotted.csv", excerpts["infiniti"], ".")
    write_csv(HERE / "nissan_dotted.csv", excerpts["nissan"], ".")
    write_csv(HERE / "infiniti_slashed.csv", excerpts["infiniti"], "/")
    write_csv(HERE / "nissan_slashed.csv", excerpts["nissan"], "/")
    shutil.copyfile(ROSTERS / "LICENSE.txt", HERE / "LICENSE.txt")


if __name__ == "__main__":
    main()
