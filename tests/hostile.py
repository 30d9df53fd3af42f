"""A small network whose every text field is an attack, and the run made from it.

Shared by the map tests and the browser tests: names that would run script if put into a
page unescaped, names that a Jinja template would evaluate (``{{ 7*7 }}``), and names that
are already escaped (which must not be unescaped on the way). Five Infiniti stores near
Dallas, Fort Worth, Houston, Austin and Roswell give every decision: absorbed into a
same-owner host, absorbed into another owner's host, closed, unaffected, kept.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

import dealernet
from dealernet.analysis.pipeline import default_scenario, run
from dealernet.analysis.result import Result

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = '"><script>window.__pwned=1</script>'
CLOSE_SCRIPT = "</script><script>window.__pwned=1</script>"
SVG = '"><svg onload=window.__pwned=1>'
QUOTE = "' onmouseover='window.__pwned=1 '"
JINJA = "{{ 7*7 }} Motors {% if true %}x{% endif %}"
ESCAPED = "&lt;b&gt;Already escaped&lt;/b&gt; & Co"
SCENARIO_NAME = "<script>window.__pwned=1</script> {{ 7*7 }} plan"

COLUMNS = (
    "dealer_id",
    "name",
    "brand",
    "owner_group",
    "address",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "annual_new_units",
)
ROWS = (
    ("H-INF-1", IMG, "Infiniti", SCRIPT, CLOSE_SCRIPT, "Dallas", "TX", "75201", 32.78, -96.80, 150),
    (
        "H-INF-2",
        JINJA,
        "Infiniti",
        "{{ self.__init__.__globals__ }}",
        "1 Main St",
        "Fort Worth",
        "TX",
        "76102",
        32.75,
        -97.33,
        150,
    ),
    (
        "H-INF-3",
        SVG,
        "Infiniti",
        "' onmouseover='window.__pwned=1",
        "2 Main St",
        "Roswell",
        "NM",
        "88201",
        33.39,
        -104.52,
        150,
    ),
    (
        "H-INF-4",
        QUOTE,
        "Infiniti",
        "&lt;escaped-already&gt; & Sons",
        "3 Main St",
        "Houston",
        "TX",
        "77002",
        29.76,
        -95.37,
        150,
    ),
    (
        "H-INF-5",
        ESCAPED,
        "Infiniti",
        "<b>Bold Owner</b>",
        "4 Main St",
        "Austin",
        "TX",
        "78701",
        30.27,
        -97.74,
        900,
    ),
    (
        "H-NIS-1",
        "<b onmouseover=window.__pwned=1>Nissan One</b>",
        "Nissan",
        SCRIPT,
        "5 Main St",
        "Dallas",
        "TX",
        "75201",
        32.80,
        -96.75,
        300,
    ),
    (
        "H-NIS-2",
        "javascript:window.__pwned=1",
        "Nissan",
        "<i>Owner Two</i>",
        "6 Main St",
        "Houston",
        "TX",
        "77002",
        29.7601,
        -95.3701,
        300,
    ),
    (
        "H-NIS-3",
        "{{ 6*7 }} Nissan",
        "Nissan",
        "Plain Owner",
        "7 Main St",
        "Fort Worth",
        "TX",
        "76102",
        32.70,
        -97.30,
        300,
    ),
)
#: The decision each hostile store gets under the default scenario.
EXPECTED = {
    "H-INF-1": "absorb",
    "H-INF-2": "absorb",
    "H-INF-3": "close",
    "H-INF-4": "unaffected",
    "H-INF-5": "keep",
}


def hostile_result(folder: Path) -> Result:
    """Write the hostile dealer file into ``folder``, load it as a user would, and run it."""
    path = Path(folder) / "dealers.csv"
    pd.DataFrame(list(ROWS), columns=list(COLUMNS)).to_csv(path, index=False)
    network = dealernet.load_network(path)
    scenario = dataclasses.replace(default_scenario(), name=SCENARIO_NAME)
    return run(network, scenario)
