"""The hostile-input corpus, second round: every case gives its expected outcome, never a traceback.

Each folder under ``tests/data/bad/`` (``owners/``, ``outdir/``, ``loading/``, ``limits/``,
``terminal/``, ``commands/``) holds the inputs of one class of fault, the ``make.py`` that
regenerates them, and an ``EXPECTED.toml`` with one table per case::

    ["comma-shifts-a-row"]
    args = ["validate", "{here}/comma_shift.csv"]   # dealernet ARGS
    exit = 1                                         # the exit code it must give
    messages = ["line 3", "Fix:"]                    # each must appear in the output
    absent = ["\\u001b"]                              # none of these may appear (optional)
    out_files = { "owners/contract-20231215.pdf" = "mine" }  # made in {out} first (optional)
    setup = "symlinked_owners"                       # a function of the folder's setup.py
    may_change = ["out/data/*"]                      # globs under {tmp}: dealernet's own files
    files = ["owners/*.html"]                        # globs under {out} that must match (optional)
    no_files = ["data/*.csv"]                        # globs under {out} that must not match

Placeholders in ``args``: ``{here}`` the case's folder, ``{tmp}`` a fresh folder, ``{out}``
``{tmp}/out``, ``{sample}`` the synthetic sample network. The command runs in-process (click's
runner, the same code path as the console script) from ``{tmp}``. Every case also checks:
no traceback; the corpus folder is unchanged byte for byte; every file under ``{tmp}`` that
was there before the run (``out_files``, setup's files) is unchanged, unless ``may_change``
lists it (a file dealernet itself wrote in the setup, e.g. an earlier run).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from dealernet.cli.main import cli
from helpers import DEALERS, ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BAD = ROOT / "tests" / "data" / "bad"
GROUPS = sorted(p for p in BAD.iterdir() if p.is_dir() and (p / "EXPECTED.toml").exists())
CASES = [
    (group, name, case)
    for group in GROUPS
    for name, case in tomllib.loads((group / "EXPECTED.toml").read_text("utf-8")).items()
]


def _setup_module(group: Path) -> ModuleType | None:
    path = group / "setup.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"corpus_setup_{group.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _snapshot(folder: Path, skip: Path | None = None) -> dict[str, bytes | str]:
    """Every file (bytes) and symlink (its target) under ``folder``, not following links."""
    found: dict[str, bytes | str] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        here = Path(root)
        if skip is not None and (here == skip or skip in here.parents):
            dirs[:] = []
            continue
        for name in [*files, *dirs]:
            path = here / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_file():
                found[key] = path.read_bytes()
    return found


def _fill(value: str, places: dict[str, str]) -> str:
    for key, text in places.items():
        value = value.replace("{" + key + "}", text)
    return value


def test_corpus_is_large_and_every_input_is_used() -> None:
    assert len(CASES) >= 100, len(CASES)
    for group in GROUPS:
        text = (group / "EXPECTED.toml").read_text("utf-8")
        inputs = [
            p for p in group.iterdir() if p.name not in {"EXPECTED.toml", "make.py", "setup.py"}
        ]
        unused = [p.name for p in inputs if p.name not in text and p.name != "__pycache__"]
        assert not unused, f"{group.name}: files no case reads: {unused}"


@pytest.mark.parametrize(
    ("group", "name", "case"),
    CASES,
    ids=[f"{g.name}/{n}" for g, n, _ in CASES],
)
def test_case(
    group: Path, name: str, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    places = {"here": str(group), "tmp": str(tmp_path), "out": str(out), "sample": str(DEALERS)}
    for rel, text in case.get("out_files", {}).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    if "setup" in case:
        module = _setup_module(group)
        assert module is not None, f"{group.name}/setup.py is missing"
        getattr(module, case["setup"])(tmp_path, out)
    corpus_before = _snapshot(group)
    tmp_before = _snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = [_fill(a, places) for a in case["args"]]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"}, catch_exceptions=True)
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"{name}: traceback\n{tb[-3000:]}")
    assert "Traceback" not in output, output[-3000:]
    assert result.exit_code == case["exit"], output[-3000:]
    flat = " ".join(output.split())
    for message in case.get("messages", []):
        assert " ".join(_fill(message, places).split()) in flat, output[-3000:]
    for text in case.get("absent", []):
        assert _fill(text, places) not in output, output[-3000:]
    for pattern in case.get("files", []):
        assert list(out.glob(pattern)), f"nothing matches {pattern} under {out}"
    for pattern in case.get("no_files", []):
        assert not list(out.glob(pattern)), f"{pattern} matches under {out}"
    assert _snapshot(group) == corpus_before, "the corpus folder changed: inputs are read-only"
    tmp_after = _snapshot(tmp_path)
    allowed = case.get("may_change", [])
    changed = [
        k
        for k, v in tmp_before.items()
        if tmp_after.get(k) != v and not any(fnmatch.fnmatch(k, g) for g in allowed)
    ]
    assert not changed, f"files that were there before the run changed or vanished: {changed}"
