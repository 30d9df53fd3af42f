"""How a :class:`~dealernet.analysis.result.Result` shows itself in a Jupyter cell.

``Result._repr_html_`` calls :func:`result_html`; the markup is the template
``_result_summary.html.j2``, escaped like every page (a scenario name is input text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dealernet import formatting
from dealernet.render._templates import template

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

#: National measures shown, with how each is formatted.
MEASURES = (
    ("Jobs lost", "jobs_lost", formatting.count),
    ("Revenue lost", "revenue_lost", formatting.money),
    ("Revenue at risk to owners", "revenue_at_risk", formatting.money),
    ("Payroll lost", "payroll_lost", formatting.money),
)


def result_html(result: Result) -> str:
    """The run's decisions and national totals (low / base / high) as an HTML fragment."""
    national = result.national
    totals: list[dict[str, Any]] = []
    for label, measure, fmt in MEASURES:
        keys = [f"{measure}_{b}" for b in ("low", "base", "high")]
        if all(k in national.index for k in keys):
            totals.append({"label": label, "values": [fmt(float(national[k])) for k in keys]})
    return template("_result_summary.html.j2").render(
        scenario=result.scenario.name,
        source_brand=result.source_brand,
        host_brand=result.host_brand,
        sample=result.is_sample,
        data_origin=result.data_origin,
        decisions=list(result.decisions.counts().items()),
        totals=totals,
        draws=result.assumptions.draws,
        assumptions=result.assumptions.source,
    )
