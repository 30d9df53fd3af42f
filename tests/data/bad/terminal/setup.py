"""Set-ups for terminal cases whose input is a file *name* no checkout should hold."""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[3] / "src" / "dealernet" / "_data" / "networks" / "sample"


def esc_file_name(tmp: Path, out: Path) -> None:
    """The sample's Infiniti stores in a file named with a window title and a clear screen."""
    shutil.copyfile(SAMPLE / "infiniti.csv", tmp / "\x1b]0;pwned\x07 \x1b[2J\u202edealers.csv")


def markup_file_name(tmp: Path, out: Path) -> None:
    """The sample's Infiniti stores in a file whose name is rich markup."""
    shutil.copyfile(SAMPLE / "infiniti.csv", tmp / "x[bold red]y[blink].csv")


#: What ``tampered_run`` writes into a finished run's tables (a results folder sent by
#: someone else is input too, and it never passes the dealer-file reader).
TAMPERED = {
    "name": "Infiniti \x1b]0;pwned\x07 \x1b[2Jof Anchorage",
    "city": "Anch\x9b2Jorage",
    "owner_group": "Own \u202eer \x1b[31mGroup",
    "host_name": "Host\x1b[2KNissan\x08\x08",  # no CR: a CR in a quoted cell splits the row
}


def tampered_run(tmp: Path, out: Path) -> None:
    """A finished ``run --no-reports`` of the sample in ``{tmp}/run``, whose first store's
    name, city, owner and host then had escape sequences written into them."""
    import pandas as pd
    from click.testing import CliRunner

    from dealernet.cli.main import cli

    run = tmp / "run"
    args = ["run", "--no-reports", "--no-sensitivity", "--dealers", str(SAMPLE), "--out", str(run)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    path = run / "data" / "decisions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    owner = frame.loc[0, "owner_group"]
    for column, value in TAMPERED.items():
        frame.loc[0, column] = value
    frame.to_csv(path, index=False, lineterminator="\n")
    owners_path = run / "data" / "owners.csv"
    owners = pd.read_csv(owners_path, dtype=str, keep_default_na=False)
    owners.loc[owners["owner_group"] == owner, "owner_group"] = TAMPERED["owner_group"]
    owners.to_csv(owners_path, index=False, lineterminator="\n")
