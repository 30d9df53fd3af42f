"""Setups of the limits corpus: files too big to commit, a FIFO, copies of the assumptions.

Each function is ``name(tmp, out)``, run before the case (after its ``out_files`` are made).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from dealernet.settings import DEFAULT_ASSUMPTIONS

HEAD = '[scenario]\nname = "limits"\nsource_brand = "Infiniti"\nhost_brand = "Nissan"\n\n'
CLOSE = '[[rules]]\nid = "close-rest"\naction = "close"\n'


def huge_scenario(tmp: Path, out: Path) -> None:
    """6 MiB of comments after a valid scenario: over the 5 MiB limit for settings files."""
    text = HEAD + CLOSE + "# padding\n" * (6 * 1024 * 1024 // 10)
    (tmp / "huge.toml").write_text(text, encoding="utf-8")


def huge_assumptions(tmp: Path, out: Path) -> None:
    text = Path(DEFAULT_ASSUMPTIONS).read_text(encoding="utf-8")
    (tmp / "huge.toml").write_text(text + "# padding\n" * (6 * 1024 * 1024 // 10), "utf-8")


def fifo(tmp: Path, out: Path) -> None:
    """A named pipe nobody writes to: opening it for reading would wait for ever."""
    os.mkfifo(tmp / "settings.toml")


def many_rules(tmp: Path, out: Path) -> None:
    rules = "".join(
        f'[[rules]]\nid = "r{i}"\naction = "absorb"\nmax_distance_miles = 1\n\n'
        for i in range(10_000)
    )
    (tmp / "many_rules.toml").write_text(HEAD + rules + CLOSE, encoding="utf-8")


def condition_100kb(tmp: Path, out: Path) -> None:
    when = " or ".join(["annual_new_units >= 600"] * 4_000)  # 107,996 characters
    rule = f'[[rules]]\nid = "keep-big"\naction = "keep"\nwhen = "{when}"\n\n'
    (tmp / "long_condition.toml").write_text(HEAD + rule + CLOSE, encoding="utf-8")


def rule_id_100kb(tmp: Path, out: Path) -> None:
    rule = f'[[rules]]\nid = "{"k" * 100_000}"\naction = "keep"\n\n'
    (tmp / "long_id.toml").write_text(HEAD + rule + CLOSE, encoding="utf-8")


def million_draws(tmp: Path, out: Path) -> None:
    """The shipped assumptions with ``draws = 1000000``, the documented maximum."""
    text = Path(DEFAULT_ASSUMPTIONS).read_text(encoding="utf-8")
    text = re.sub(r"(?m)^draws = \d+", "draws = 1000000", text, count=1)
    (tmp / "assumptions.toml").write_text(text, encoding="utf-8")
