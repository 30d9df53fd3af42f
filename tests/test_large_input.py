"""A million-row dealer file loads and validates, with progress, within the memory budget.

The error planted on line 987,654 must be reported with that line number.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROWS = 1_000_000
BAD_LINE = 987_654  # line 1 is the header, so this is data row 987,653
#: The benchmark's memory budget (issue 8: access on 10 M points under 4 GB).
MEMORY_BUDGET_BYTES = 4 * 1024**3


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(1)
    lat = rng.uniform(30.0, 33.5, ROWS).round(5).astype(object)  # inside Texas, as "state" says
    lat[BAD_LINE - 2] = "32,78"
    frame = pd.DataFrame(
        {
            "dealer_id": [f"D{i:07d}" for i in range(ROWS)],
            "name": [f"Store {i}" for i in range(ROWS)],
            "brand": np.where(rng.random(ROWS) < 0.2, "Infiniti", "Nissan"),
            "state": "TX",
            "latitude": lat,
            "longitude": rng.uniform(-100.0, -95.0, ROWS).round(5),
        }
    )
    path = tmp_path_factory.mktemp("big") / "dealers.csv"
    frame.to_csv(path, index=False)
    return path


#: Loads the file in a fresh interpreter (so its peak memory is its own) and prints what a
#: user would see: each progress step, then the errors.
_SCRIPT = """
import sys
from dealernet import validate_network
def show(label, done, total):
    print("step", label, done, total)
report = validate_network(sys.argv[1], progress=show)
print(report.summary())
for problem in report.errors:
    print(problem.describe())
"""


def test_million_row_file_reports_the_bad_line_with_progress_within_budget(big_csv: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(big_csv)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    lines = proc.stdout.splitlines()
    steps = [line for line in lines if line.startswith("step ")]
    assert steps[0].startswith("step Reading dealers.csv")
    assert any(line.startswith("step Checking 1,000,000 rows") for line in steps)
    assert steps[-1] == "step Loaded 3 3"
    assert "1 file, 1,000,000 rows: 1 error, 0 warnings" in lines
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1
    assert f"line {BAD_LINE:,}, column 'latitude': value '32,78': not a number" in errors[0]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    assert peak < MEMORY_BUDGET_BYTES, f"peak memory {peak / 1024**3:.2f} GiB"
