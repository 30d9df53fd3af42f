"""Cases of the loading corpus that need a FIFO, a symlink, a folder or a big file at test time."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).parent
GOOD = (
    "dealer_id,name,brand,state,latitude,longitude\n"
    "L-1,Infiniti of Dallas,Infiniti,TX,32.7767,-96.7970\n"
)


def fifo(tmp: Path, out: Path) -> None:
    """A named pipe called dealers.csv: reading it would block forever."""
    os.mkfifo(tmp / "dealers.csv")


def zero_link(tmp: Path, out: Path) -> None:
    """dealers.csv is a symlink to /dev/zero, which would never end."""
    (tmp / "dealers.csv").symlink_to("/dev/zero")


def litter_folder(tmp: Path, out: Path) -> None:
    """A dealer folder with Excel's lock file and a macOS resource fork beside the data."""
    folder = tmp / "dealers"
    folder.mkdir()
    (folder / "infiniti.csv").write_text(GOOD, encoding="utf-8")
    (folder / "~$dealers.xlsx").write_bytes(b"\x05owner" + b"\x00" * 150)
    (folder / "._infiniti.csv").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X" * 8)


def only_litter(tmp: Path, out: Path) -> None:
    """A folder holding nothing but a lock file."""
    folder = tmp / "dealers"
    folder.mkdir()
    (folder / "~$dealers.xlsx").write_bytes(b"\x05owner" + b"\x00" * 150)


def million_columns(tmp: Path, out: Path) -> None:
    """One header line of a million cells (2 MB): refused before any row is parsed."""
    cells = ",".join(f"c{i}" for i in range(1_000_000))
    (tmp / "wide.csv").write_text("dealer_id,name,brand," + cells + "\nL-1,X,Infiniti\n")
