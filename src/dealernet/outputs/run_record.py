"""What made a run, as ``run.json`` records it: scenario, assumptions, dealer files, origin.

A run folder is read weeks later by someone who did not make it, and written into again by
``map`` and ``report``. :func:`run_identity` says what made a result in a form that can be
compared: the scenario's and the assumptions' settings as hashes of their full contents
(so ``--set`` changes count, not only the file), and each dealer file's bytes. Two runs with
the same ``fingerprint`` give the same figures; :meth:`dealernet._outdir.OutputFolder.claim`
refuses to mix two that differ.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealernet.schema import SOURCE_FILE
from dealernet.settings import shown_path

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.assumptions import Assumptions
    from dealernet.analysis.result import Result
    from dealernet.engine.scenario import Scenario

#: What a scenario's ``source`` adds after the file when settings were changed (``--set``).
_CHANGED = " with "
#: Read files in blocks of this many bytes to hash them.
_BLOCK = 1 << 20


def run_identity(result: Result) -> dict[str, Any]:
    """What made ``result``: the record ``run.json`` keeps under ``"run"``."""
    scenario = _scenario_part(result.scenario)
    assumptions = _assumptions_part(result.assumptions)
    dealers = _dealers_part(result.network[SOURCE_FILE].dropna().astype(str).unique())
    parts = [scenario["settings_sha256"], assumptions["settings_sha256"], dealers["sha256"]]
    return {
        "fingerprint": _sha256_text("\n".join(parts)),
        "data_origin": result.data_origin,
        "scenario": scenario,
        "assumptions": assumptions,
        "dealers": dealers,
    }


def _scenario_part(scenario: Scenario) -> dict[str, Any]:
    file, _, changes = scenario.source.partition(_CHANGED)
    return {
        "name": scenario.name,
        "file": shown_path(file),
        "file_sha256": file_sha256(Path(file)),
        "overrides": changes or None,
        "settings_sha256": _sha256_json(scenario.to_dict()),
    }


def _assumptions_part(assumptions: Assumptions) -> dict[str, Any]:
    file = assumptions.source.partition(_CHANGED)[0]
    params = assumptions.parameters.values()
    settings = {
        "parameters": {p.key: [p.base, p.low, p.high] for p in params},
        "correlations": sorted([*k, v] for k, v in assumptions.correlations.items()),
        "draws": assumptions.draws,
        "seed": assumptions.seed,
        "market_draws": assumptions.market_draws,
    }
    return {
        "file": shown_path(file) if file else None,
        "file_sha256": file_sha256(Path(file)) if file else None,
        "overrides": sorted(p.key for p in params if p.source.startswith("--set")) or None,
        "draws": assumptions.draws,
        "seed": assumptions.seed,
        "settings_sha256": _sha256_json(settings),
    }


def _dealers_part(files: Any) -> dict[str, Any]:
    """Each dealer file with the hash of its bytes; ``sha256`` of all, whatever their paths
    (the same roster copied elsewhere is the same input)."""
    listed = [{"path": shown_path(f), "sha256": file_sha256(Path(f))} for f in sorted(files)]
    hashes = sorted(str(f["sha256"]) for f in listed)
    return {"sha256": _sha256_text("\n".join(hashes)), "files": listed}


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, or ``None`` when it cannot be read (not known)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _sha256_json(data: object) -> str:
    return _sha256_text(json.dumps(data, sort_keys=True, default=str, allow_nan=True))


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
