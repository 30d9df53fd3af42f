"""Impact assumptions: load, check, override, and draw them for the Monte Carlo.

An assumptions file (TOML, see ``data/assumptions.toml``) gives every parameter a ``base``,
``low`` and ``high`` value, a ``unit`` and a ``source``. :data:`PARAMETERS` is the one list
of parameters the impact model knows, with the range each may take; anything else is an
error, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from dealernet._errors import AssumptionsError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: parameter key -> (smallest allowed value, largest allowed value). ``*`` stands for a brand.
PARAMETERS: dict[str, tuple[float, float]] = {
    "new_units_per_store.*": (1, 100_000),
    "revenue_per_new_unit.*": (1_000, 1_000_000),
    "revenue_share.new": (0, 1),
    "revenue_share.used": (0, 1),
    "revenue_share.service": (0, 1),
    "revenue_share.fi": (0, 1),
    "staff.fixed": (0, 500),
    "staff.per_100_new_units": (0, 100),
    "staff_share.sales": (0, 1),
    "staff_share.service": (0, 1),
    "staff_share.office": (0, 1),
    "earnings.annual": (0, 1_000_000),
    "return_on_sales.*": (-1, 1),
    "retention.sales": (0, 1),
    "retention.service": (0, 1),
    "retention.staffing": (0, 1),
    "distance_decay.sales_half_miles": (0.1, 10_000),
    "distance_decay.service_half_miles": (0.1, 10_000),
    "back_office.kept_share": (0, 1),
    "recapture.at_zero_miles": (0, 1),
}
#: Brand-specific parameters must have this entry, used for brands without their own.
DEFAULT_BRAND = "default"
_FIELDS = ("base", "low", "high", "unit", "source")
_MAX_DRAWS = 1_000_000


@dataclass(frozen=True)
class Parameter:
    """One assumption: a value, a range and where they come from."""

    key: str
    base: float
    low: float
    high: float
    unit: str
    source: str


@dataclass(frozen=True)
class Assumptions:
    """Every parameter of the impact model, plus how to sample them.

    Attributes
    ----------
    parameters
        key -> :class:`Parameter`, e.g. ``"retention.sales"``.
    correlations
        ``(key_a, key_b) -> rank correlation`` between parameters that move together.
    draws, seed
        Monte Carlo size and seed.
    source
        The file they came from, for reports.
    """

    parameters: dict[str, Parameter]
    correlations: dict[tuple[str, str], float] = field(default_factory=dict)
    draws: int = 2000
    seed: int = 0
    source: str = ""

    def __getitem__(self, key: str) -> Parameter:
        return self.parameters[key]

    def for_brand(self, prefix: str, brand: str) -> Parameter:
        """A brand-specific parameter, falling back to the ``default`` entry."""
        key = f"{prefix}.{brand}"
        return self.parameters.get(key) or self.parameters[f"{prefix}.{DEFAULT_BRAND}"]

    def base(self, key: str) -> float:
        return self.parameters[key].base

    def with_overrides(self, overrides: Mapping[str, Any]) -> Assumptions:
        """A copy with values changed, e.g. ``{"retention.sales.base": 0.5}``.

        A bare parameter key (``{"retention.sales": 0.5}``) fixes all three values, removing
        that parameter's uncertainty. ``monte_carlo.draws`` and ``monte_carlo.seed`` may be
        set too. Raises :class:`AssumptionsError` for unknown keys and out-of-range values.
        """
        params = dict(self.parameters)
        draws, seed = self.draws, self.seed
        problems: list[str] = []
        for path, raw in overrides.items():
            if path in ("monte_carlo.draws", "monte_carlo.seed"):
                value = _as_int(raw, path, problems)
                if path.endswith("draws"):
                    draws = value if value is not None else draws
                else:
                    seed = value if value is not None else seed
                continue
            if path in params:  # a plain value: fixed, no uncertainty
                value = _as_float(raw, path, problems)
                if value is not None:
                    params[path] = replace(params[path], base=value, low=value, high=value)
                continue
            key, _, attr = path.rpartition(".")
            if key not in params or attr not in ("base", "low", "high"):
                problems.append(_unknown(path, [f"{k}.base" for k in params]))
                continue
            value = _as_float(raw, path, problems)
            if value is not None:
                params[key] = replace(params[key], **{attr: value})
        for key in {p if p in params else p.rpartition(".")[0] for p in overrides}:
            if key in params:
                problems.extend(_check_parameter(params[key]))
        problems.extend(_check_draws(draws))
        if problems:
            raise AssumptionsError(_message("--set", problems))
        return replace(self, parameters=params, draws=draws, seed=seed)


def load_assumptions(path: str | Path) -> Assumptions:
    """Read and check an assumptions file; every problem is listed in one error."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"{path}: no such assumptions file. Pass one with --assumptions FILE."
        raise AssumptionsError(msg) from exc
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot be read ({exc})."
        raise AssumptionsError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML: {exc}."
        raise AssumptionsError(msg) from exc
    return parse_assumptions(data, str(path))


def parse_assumptions(data: Mapping[str, Any], source: str = "<assumptions>") -> Assumptions:
    """Build :class:`Assumptions` from parsed TOML, listing every problem at once."""
    problems: list[str] = []
    params: dict[str, Parameter] = {}
    mc = data.get("monte_carlo", {})
    for name, table in data.items():
        if name in ("monte_carlo", "correlations"):
            continue
        for key, value in _leaves(name, table):
            if _spec(key) is None:
                problems.append(_unknown(key, PARAMETERS))
                continue
            param = _parameter(key, value, problems)
            if param is not None:
                problems.extend(_check_parameter(param))
                params[key] = param
    for spec in PARAMETERS:
        prefix = spec.removesuffix(".*")
        if spec.endswith("*"):
            if f"{prefix}.{DEFAULT_BRAND}" not in params:
                problems.append(f"missing parameter {prefix}.{DEFAULT_BRAND}")
        elif spec not in params:
            problems.append(f"missing parameter {spec}")
    correlations = _correlations(data.get("correlations", {}), params, problems)
    draws = _as_int(mc.get("draws", 2000), "monte_carlo.draws", problems) or 2000
    seed = _as_int(mc.get("seed", 0), "monte_carlo.seed", problems) or 0
    problems.extend(_check_draws(draws))
    unknown_mc = set(mc) - {"draws", "seed"} if isinstance(mc, Mapping) else set()
    problems.extend(f"unknown key monte_carlo.{k} (known: draws, seed)" for k in sorted(unknown_mc))
    if problems:
        raise AssumptionsError(_message(source, problems))
    return Assumptions(params, correlations, draws, seed, source)


# --- checks -------------------------------------------------------------------------------


def _leaves(prefix: str, table: Any) -> list[tuple[str, Any]]:
    """Parameter tables (those holding ``base``) under a TOML table, with dotted keys."""
    if not isinstance(table, Mapping):
        return [(prefix, table)]
    if "base" in table or not any(isinstance(v, Mapping) for v in table.values()):
        return [(prefix, table)]
    out = []
    for name, sub in table.items():
        out.extend(_leaves(f"{prefix}.{name}", sub))
    return out


def _spec(key: str) -> tuple[float, float] | None:
    if key in PARAMETERS:
        return PARAMETERS[key]
    prefix, _, _brand = key.rpartition(".")
    return PARAMETERS.get(f"{prefix}.*")


def _parameter(key: str, value: Any, problems: list[str]) -> Parameter | None:
    if not isinstance(value, Mapping):
        problems.append(f"{key}: expected a table with {', '.join(_FIELDS)}")
        return None
    missing = [f for f in _FIELDS if f not in value]
    extra = sorted(set(value) - set(_FIELDS))
    problems.extend(f"{key}: missing {f!r}" for f in missing)
    problems.extend(f"{key}: unknown field {f!r} (known: {', '.join(_FIELDS)})" for f in extra)
    if missing:
        return None
    nums = [_as_float(value[f], f"{key}.{f}", problems) for f in ("base", "low", "high")]
    texts = [value[f] for f in ("unit", "source")]
    for name, text in zip(("unit", "source"), texts, strict=True):
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{key}.{name}: must be a non-empty text")
    if any(n is None for n in nums):
        return None
    return Parameter(key, nums[0], nums[1], nums[2], str(texts[0]), str(texts[1]))  # type: ignore[arg-type]


def _check_parameter(param: Parameter) -> list[str]:
    lo_ok, hi_ok = _spec(param.key) or (-math.inf, math.inf)
    out = []
    if not param.low <= param.base <= param.high:
        out.append(
            f"{param.key}: needs low <= base <= high, got low={param.low:g}, "
            f"base={param.base:g}, high={param.high:g}"
        )
    for name in ("base", "low", "high"):
        value = getattr(param, name)
        if not lo_ok <= value <= hi_ok:
            out.append(f"{param.key}.{name} = {value:g} is out of range ({lo_ok:g} to {hi_ok:g})")
    return out


def _correlations(
    table: Any, params: Mapping[str, Parameter], problems: list[str]
) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    if not isinstance(table, Mapping):
        problems.append('[correlations] must be a table of "a~b" = value')
        return out
    for pair, raw in table.items():
        a, sep, b = str(pair).partition("~")
        value = _as_float(raw, f"correlations.{pair}", problems)
        if not sep or a not in params or b not in params or a == b:
            problems.append(f'correlations: {pair!r} must name two different parameters as "a~b"')
        elif value is not None and not -1 < value < 1:
            problems.append(f"correlations: {pair!r} = {value:g} must be between -1 and 1")
        elif value is not None:
            out[(a, b)] = value
    return out


def _check_draws(draws: int) -> list[str]:
    if not 10 <= draws <= _MAX_DRAWS:
        return [f"monte_carlo.draws = {draws} must be between 10 and {_MAX_DRAWS:,}"]
    return []


def _as_float(raw: Any, where: str, problems: list[str]) -> float | None:
    if isinstance(raw, bool):
        problems.append(f"{where}: expected a number, got {raw!r}")
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        problems.append(f"{where}: expected a number, got {raw!r}")
        return None
    if not math.isfinite(value):
        problems.append(f"{where}: expected a finite number, got {raw!r}")
        return None
    return value


def _as_int(raw: Any, where: str, problems: list[str]) -> int | None:
    value = _as_float(raw, where, problems)
    if value is None:
        return None
    if not value.is_integer():
        problems.append(f"{where}: expected a whole number, got {raw!r}")
        return None
    return int(value)


def _unknown(key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown parameter {key!r}{hint}"


def _message(source: str, problems: list[str]) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{source}: {len(problems)} problem(s) with the assumptions:\n{lines}"


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["retention.sales.base=0.5"]`` -> ``{"retention.sales.base": "0.5"}``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            msg = f"--set {item!r}: expected KEY=VALUE, for example retention.sales.base=0.5"
            raise AssumptionsError(msg)
        out[key.strip()] = value.strip()
    return out


# --- sampling -----------------------------------------------------------------------------


def draw(assumptions: Assumptions, keys: list[str]) -> dict[str, np.ndarray]:
    """Monte Carlo draws of the named parameters: key -> array of ``assumptions.draws``.

    Each parameter follows a triangular distribution on (low, base, high); correlated pairs
    are joined with a Gaussian copula. The same seed always gives the same draws.
    """
    from scipy.special import ndtr

    rng = np.random.default_rng(assumptions.seed)
    n, k = assumptions.draws, len(keys)
    corr = np.eye(k)
    index = {key: i for i, key in enumerate(keys)}
    for (a, b), rho in assumptions.correlations.items():
        if a in index and b in index:
            corr[index[a], index[b]] = corr[index[b], index[a]] = rho
    chol = np.linalg.cholesky(_nearest_pd(corr))
    uniform = ndtr(rng.standard_normal((n, k)) @ chol.T)
    return {key: _triangular_ppf(uniform[:, i], assumptions[key]) for key, i in index.items()}


def _triangular_ppf(u: np.ndarray, p: Parameter) -> np.ndarray:
    lo, mode, hi = p.low, p.base, p.high
    if hi == lo:
        return np.full(u.shape, mode)
    cut = (mode - lo) / (hi - lo)
    left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
    right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
    return np.where(u < cut, left, right)


def _nearest_pd(corr: np.ndarray) -> np.ndarray:
    """Clip negative eigenvalues so that any set of pairwise correlations can be sampled."""
    values, vectors = np.linalg.eigh(corr)
    fixed = vectors @ np.diag(np.clip(values, 1e-6, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale)


def markdown_table(assumptions: Assumptions) -> str:
    """Every parameter as a Markdown table row (the README's assumption table)."""
    lines = ["| parameter | base | low - high | unit | source |", "| --- | --- | --- | --- | --- |"]
    for key, p in assumptions.parameters.items():
        lines.append(
            f"| `{key}` | {_fmt(p.base)} | {_fmt(p.low)} - {_fmt(p.high)} | {p.unit} | {p.source} |"
        )
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
