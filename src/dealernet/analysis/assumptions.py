"""Impact assumptions: load, check, override, and draw them for the Monte Carlo.

An assumptions file (TOML, see the bundled ``_data/assumptions.toml``) gives every
parameter a ``base``, ``low`` and ``high`` value, a ``unit`` and a ``source``.
:data:`PARAMETERS` is the one list of parameters the impact model knows, with the range each
may take; anything else is an error, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from dealernet._errors import AssumptionsError
from dealernet._toml import Checker, describe, did_you_mean, problem_list, read_toml

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
    "gross_margin.new": (0, 1),
    "gross_margin.used": (0, 1),
    "gross_margin.service": (0, 1),
    "gross_margin.fi": (0, 1),
    "occupancy.saved_per_store": (0, 100_000_000),
    "blue_sky_multiple.*": (0, 50),
    "spin_off.jobs_per_job": (0, 10),
    "retention.staffing": (0, 1),
    "back_office.kept_share": (0, 1),
    "market.decay_sales": (0.1, 10),
    "market.decay_service": (0.1, 10),
    "market.cutoff_miles": (10, 1_000),
    "market.dualled_attractiveness": (0.01, 2),
    "market.service_outside_miles": (0.5, 1_000),
    "attractiveness.*": (0.01, 100),
    "national_units.*": (1, 10_000_000),
}
#: Brand-specific parameters that need no ``default`` entry: a brand without its own
#: national sales is calibrated to ``new_units_per_store`` x its stores instead.
OPTIONAL_DEFAULT = frozenset({"national_units.*"})
#: Parameters earlier versions had, and what replaced them (named in the error).
RETIRED: dict[str, str] = {
    key: "the market model (the market.* and attractiveness.* parameters) now says where "
    "a store's customers go; see docs/reference/method.md, 'Customers and markets'"
    for key in (
        "retention.sales",
        "retention.service",
        "distance_decay.sales_half_miles",
        "distance_decay.service_half_miles",
        "recapture.at_zero_miles",
    )
}
#: Brand-specific parameters must have this entry, used for brands without their own.
DEFAULT_BRAND = "default"
_FIELDS = ("base", "low", "high", "unit", "source")
_MONTE_CARLO = ("draws", "seed", "market_draws")
#: Market solves a run makes by default (the Monte Carlo reuses them in turn).
MARKET_DRAWS = 16
_MAX_MARKET_DRAWS = 1_000
_MAX_DRAWS = 1_000_000
#: The largest seed: the 32-bit seeds most tools take, so a seed can be reused elsewhere.
MAX_SEED = 2**32 - 1


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
        key -> :class:`Parameter`, e.g. ``"market.decay_sales"``.
    correlations
        ``(key_a, key_b) -> rank correlation`` between parameters that move together.
    draws, seed
        Monte Carlo size and seed.
    market_draws
        How many parameter sets the market model is solved for; draw ``n`` of the Monte
        Carlo uses set ``n % market_draws`` (:mod:`dealernet.analysis.market_run`).
    source
        The file they came from, for reports.
    """

    parameters: dict[str, Parameter]
    correlations: dict[tuple[str, str], float] = field(default_factory=dict)
    draws: int = 2000
    seed: int = 0
    source: str = ""
    market_draws: int = MARKET_DRAWS

    def __getitem__(self, key: str) -> Parameter:
        return self.parameters[key]

    def for_brand(self, prefix: str, brand: str) -> Parameter:
        """A brand-specific parameter, falling back to the ``default`` entry."""
        key = f"{prefix}.{brand}"
        return self.parameters.get(key) or self.parameters[f"{prefix}.{DEFAULT_BRAND}"]

    def base(self, key: str) -> float:
        return self.parameters[key].base

    def with_overrides(self, overrides: Mapping[str, Any]) -> Assumptions:
        """A copy with values changed, e.g. ``{"market.decay_sales.base": 2.5}``.

        A bare parameter key (``{"market.decay_sales": 2.5}``) fixes all three values, removing
        that parameter's uncertainty. ``monte_carlo.draws`` and ``monte_carlo.seed`` may be
        set too. Raises :class:`AssumptionsError` for unknown keys and out-of-range values.
        """
        params = dict(self.parameters)
        draws, seed, market = self.draws, self.seed, self.market_draws
        check = Checker(self.source or "assumptions")
        changed: dict[str, str] = {}  # parameter key -> the --set that last changed it
        for path, raw in overrides.items():
            at = f"--set {path}"
            if path == "monte_carlo.draws":
                whole = _whole(check, raw, at, minimum=-math.inf)
                draws = draws if whole is None else whole
                _check_draws(check, draws, at)
                continue
            if path == "monte_carlo.seed":
                whole = _whole(check, raw, at, minimum=0)
                seed = seed if whole is None else _check_seed(check, whole, at)
                continue
            if path == "monte_carlo.market_draws":
                whole = _whole(check, raw, at, minimum=-math.inf)
                market = market if whole is None else whole
                _check_market_draws(check, market, at)
                continue
            key, _, attr = path.rpartition(".")
            _add_brand_entry(params, path if attr not in ("base", "low", "high") else key)
            fields: tuple[str, ...]
            if path in params:  # a plain value: fixed, no uncertainty
                key, fields = path, ("base", "low", "high")
            elif key in params and attr in ("base", "low", "high"):
                fields = (attr,)
            else:
                check.add(at, _unknown(path, _override_keys(params)))
                continue
            value = check.as_number(raw, at, minimum=-math.inf, text_ok=True)
            if value is not None:
                values: dict[str, Any] = dict.fromkeys(fields, value)
                params[key] = replace(params[key], **values)
                changed[key] = at
        for key, at in changed.items():
            _check_parameter(check, params[key], at)
        if check.problems:
            subject = f"assumptions {self.source} with --set" if self.source else "--set"
            raise AssumptionsError(problem_list(subject, check.problems))
        return replace(self, parameters=params, draws=draws, seed=seed, market_draws=market)


def load_assumptions(path: str | Path) -> Assumptions:
    """Read and check an assumptions file; every problem is listed in one error."""
    hint = "; pass one with --assumptions FILE"
    data = read_toml(path, "assumptions file", error=AssumptionsError, hint=hint)
    return parse_assumptions(data, str(Path(path)))


def parse_assumptions(data: Mapping[str, Any], source: str = "<assumptions>") -> Assumptions:
    """Build :class:`Assumptions` from parsed TOML, listing every problem at once."""
    check = Checker(source)
    params: dict[str, Parameter] = {}
    given: set[str] = set()  # parameters in the file, even malformed ones
    for name, table in data.items():
        if name in ("monte_carlo", "correlations"):
            continue
        for key, value in _leaves(name, table):
            if _spec(key) is None:
                check.add("", _unknown(key, PARAMETERS))
                continue
            given.add(key)
            param = _parameter(check, key, value)
            if param is not None:
                _check_parameter(check, param, f"[{key}]")
                params[key] = param
    for spec in PARAMETERS:
        key = spec.replace("*", DEFAULT_BRAND)
        if key not in given and spec not in OPTIONAL_DEFAULT:
            check.add("", f"missing parameter {key}")
    correlations = _correlations(check, data.get("correlations", {}), params, given)
    mc = check.table(data.get("monte_carlo", {}), "[monte_carlo]", _MONTE_CARLO)
    draws = _monte_carlo_key(check, mc, "draws", 2000, _check_draws)
    seed = _monte_carlo_key(check, mc, "seed", 0, _check_seed, minimum=0)
    market = _monte_carlo_key(check, mc, "market_draws", MARKET_DRAWS, _check_market_draws)
    if check.problems:
        raise AssumptionsError(problem_list(f"assumptions {source}", check.problems))
    return Assumptions(params, correlations, draws, seed, source, market)


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


def _parameter(check: Checker, key: str, value: Any) -> Parameter | None:
    """One ``[key]`` table as a parameter (``None`` when it has problems, all recorded)."""
    where = f"[{key}]"
    if not isinstance(value, Mapping):
        check.add(where, f"must be a table with {', '.join(_FIELDS)}, not {describe(value)}")
        return None
    before = len(check.problems)
    table = check.table(dict(value), where, _FIELDS)
    for name in ("base", "low", "high"):
        if name not in table:
            check.add(where, f"missing key {name!r}")
    base, low, high = (
        check.number(table, name, where, minimum=-math.inf, text_ok=True)
        for name in ("base", "low", "high")
    )
    unit = check.text(table, "unit", where, required=True)
    source = check.text(table, "source", where, required=True)
    if len(check.problems) > before:
        return None
    return Parameter(key, float(base), float(low), float(high), str(unit), str(source))  # type: ignore[arg-type]


def _check_parameter(check: Checker, param: Parameter, where: str) -> None:
    """Record a parameter whose values are out of order or outside :data:`PARAMETERS`."""
    lo_ok, hi_ok = _spec(param.key) or (-math.inf, math.inf)
    if not param.low <= param.base <= param.high:
        check.add(
            where,
            f"needs low <= base <= high, got low={param.low:g}, "
            f"base={param.base:g}, high={param.high:g}",
        )
    for name in ("base", "low", "high"):
        value = getattr(param, name)
        if not lo_ok <= value <= hi_ok:
            check.add(where, f"{name} = {value:g} is out of range ({lo_ok:g} to {hi_ok:g})")


def _correlations(
    check: Checker, table: Any, params: Mapping[str, Parameter], given: set[str]
) -> dict[tuple[str, str], float]:
    """Pairs ``"a~b" = rho`` of parameters in the file (``given``; only ``params`` are valid)."""
    where = "[correlations]"
    out: dict[tuple[str, str], float] = {}
    if not isinstance(table, Mapping):
        check.add(where, f'must be a table of "a~b" = value, not {describe(table)}')
        return out
    for pair, raw in table.items():
        at = f"{where}, key {pair!r}"
        a, sep, b = str(pair).partition("~")
        value = check.as_number(raw, at, minimum=-math.inf, text_ok=True)
        unknown = [side for side in (a, b) if side not in given]
        if not sep or a == b:
            check.add(at, 'must name two different parameters as "a~b"')
        elif unknown:
            for side in unknown:
                guess = did_you_mean(side, sorted(given))
                check.add(at, f"{side!r} is not a parameter of this file{guess}")
        elif a not in params or b not in params:
            continue  # a malformed parameter, already reported
        elif value is not None and not -1 < value < 1:
            check.add(at, f"must be between -1 and 1, not {value:g}")
        elif value is not None:
            out[(a, b)] = value
    return out


def _check_draws(check: Checker, draws: int, where: str) -> None:
    if not 10 <= draws <= _MAX_DRAWS:
        check.add(where, f"must be between 10 and {_MAX_DRAWS:,}, not {draws}")


def _monte_carlo_key(
    check: Checker,
    mc: Mapping[str, Any],
    name: str,
    default: int,
    validate: Callable[[Checker, int, str], int | None],
    *,
    minimum: float = -math.inf,
) -> int:
    """A whole-number key of ``[monte_carlo]``, checked by ``validate`` (which records any
    problem and may return a corrected value); ``default`` when absent or malformed."""
    if name not in mc:
        return default
    at = f"[monte_carlo], key {name!r}"
    found = _whole(check, mc[name], at, minimum=minimum)
    if found is None:
        return default
    checked = validate(check, found, at)
    return found if checked is None else checked


def _check_market_draws(check: Checker, market: int, where: str) -> None:
    if not 1 <= market <= _MAX_MARKET_DRAWS:
        check.add(where, f"market_draws must be 1 to {_MAX_MARKET_DRAWS:,}, got {market:,}")


def _add_brand_entry(params: dict[str, Parameter], key: str) -> None:
    """Let ``--set attractiveness.Lexus=1.4`` create the brand's own entry, starting from
    the ``default`` one (or, for a parameter without a default, from nothing)."""
    prefix, _, brand = key.rpartition(".")
    if key in params or not prefix or f"{prefix}.*" not in PARAMETERS or brand == DEFAULT_BRAND:
        return
    default = params.get(f"{prefix}.{DEFAULT_BRAND}")
    if default is not None:
        params[key] = replace(default, key=key, source=f"--set {key}")
    elif f"{prefix}.*" in OPTIONAL_DEFAULT:
        params[key] = Parameter(key, math.nan, math.nan, math.nan, "", f"--set {key}")


def _check_seed(check: Checker, seed: int, where: str) -> int:
    """``seed`` when it is at most :data:`MAX_SEED` (``1e308`` reads as a 308-digit number)."""
    if seed > MAX_SEED:
        check.add(
            where,
            f"must be a whole number from 0 to {MAX_SEED:,}, not {_digits(seed)}. Fix: any number "
            "in that range gives its own repeatable draws, e.g. monte_carlo.seed=42",
        )
    return seed


def _digits(number: int) -> str:
    """A big whole number for a message: ``1e308`` has 309 digits, none worth printing."""
    text = str(number)
    return f"{text[:4]}... ({len(text)} digits)" if len(text) > 20 else f"{number:,}"


def _whole(check: Checker, raw: Any, where: str, *, minimum: float) -> int | None:
    """A whole number (draws, seed); ``2000.0`` is fine, ``2000.5`` is not."""
    value = check.as_number(raw, where, minimum=minimum, text_ok=True)
    if value is None:
        return None
    if not value.is_integer():
        check.add(where, f"must be a whole number, not {value:g}")
        return None
    return int(value)


def _override_keys(params: Mapping[str, Parameter]) -> list[str]:
    """Every key ``--set`` takes, for "did you mean"."""
    fields = [f"{key}.{name}" for key in params for name in ("base", "low", "high")]
    return [*fields, *params, "monte_carlo.draws", "monte_carlo.seed"]


def _unknown(key: str, known: Any) -> str:
    for retired, why in RETIRED.items():
        if key == retired or key.startswith(f"{retired}."):
            return f"parameter {retired!r} is retired: {why}; remove it"
    return f"unknown parameter {key!r}{did_you_mean(key, list(known))}"


# --- sampling -----------------------------------------------------------------------------


def draw(assumptions: Assumptions, keys: list[str]) -> dict[str, np.ndarray]:
    """Monte Carlo draws of the named parameters: key -> array of ``assumptions.draws``.

    Each parameter follows a triangular distribution on (low, base, high); correlated pairs
    are joined with a Gaussian copula. The same seed always gives the same draws.
    """
    from scipy.special import ndtr  # heavy or optional: imported on first use

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
