"""What the explorer's page shows of a result: the national totals, the decisions by rule,
the owner table and the compare strip, each written as ``dealernet run`` writes it.

Every figure is formatted here by the terminal's own rows and formatters
(:data:`dealernet.outputs.terminal.TOTALS_ROWS`), so the page and the CLI print the same
text for the same run. Values from the dealer files travel as JSON text: the page writes
them with ``textContent``, never as HTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from dealernet.formatting import count, money, people
from dealernet.schema import DEALER_ID, DECISION, HOST_DEALER_ID, NAME, OWNER_GROUP, STATE

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

#: Owner rows sent to the page (the largest losses first); the rest are counted.
MAX_OWNER_ROWS = 400
#: Stores that changed decision listed in the compare strip; the rest are counted.
MAX_CHANGED = 200


def totals(result: Result) -> list[dict[str, Any]]:
    """The national totals table as ``dealernet run`` prints it: label, low, base, high."""
    from dealernet.outputs.tables import MEASURE_LABELS
    from dealernet.outputs.terminal import SUB_ROWS, TOTALS_ROWS

    rows = []
    national = result.national
    for measure, fmt in TOTALS_ROWS:
        if measure and f"{measure}_base" in national.index:
            cells = {x: fmt(national[f"{measure}_{x}"]) for x in ("low", "base", "high")}
            label = SUB_ROWS.get(measure, MEASURE_LABELS[measure])
            rows.append(
                {"measure": measure, "label": label.strip(), "sub": measure in SUB_ROWS, **cells}
            )
    return rows


def decisions(result: Result) -> dict[str, Any]:
    """Stores decided by each rule, and the totals line, as the CLI's decisions table."""
    rows = [
        {"rule": str(rule_id), "decision": str(row[DECISION]), "stores": count(row["sites"])}
        for rule_id, row in result.decisions.counts_by_rule().iterrows()
    ]
    counts = result.decisions.counts()
    total = ", ".join(f"{count(v)} {k}" for k, v in counts.items())
    return {"rows": rows, "total": total, "stores": count(counts.sum())}


def owners(result: Result, stems: dict[str, str]) -> dict[str, Any]:
    """The owner table: each owner group's stores and losses, with its report's file stem
    (reports are rendered when opened)."""
    table = result.owners
    shown = table.head(MAX_OWNER_ROWS)
    rows = []
    for record in shown.to_dict("records"):
        name = str(record[OWNER_GROUP])
        rows.append(
            {
                "owner": name,
                "known": record.get("owner_source") != "unknown",
                "stores": int(record["stores"]),
                "affected": int(record["stores_affected"]),
                "absorbed": int(record["stores_absorb"]),
                "closed": int(record["stores_close"]),
                "jobs": people(record["jobs_lost_base"]),
                "jobs_value": float(record["jobs_lost_base"]),
                "profit": money(record["profit_change_base"]),
                "profit_value": float(record["profit_change_base"]),
                "report": stems.get(name),
            }
        )
    return {"rows": rows, "more": max(len(table) - len(shown), 0)}


def changed_stores(start: Result, now: Result) -> dict[str, Any]:
    """Stores whose decision or host differs from the run of the scenario file."""
    cols = [DEALER_ID, NAME, STATE, DECISION, HOST_DEALER_ID, "host_name"]
    a = start.decisions.table[cols].set_index(DEALER_ID)
    b = now.decisions.table[cols].set_index(DEALER_ID).reindex(a.index)
    fate = [DECISION, HOST_DEALER_ID]
    differs = a[fate].fillna("") != b[fate].fillna("")
    ids = a.index[differs.any(axis=1)]
    rows = [
        {
            "dealer_id": str(i),
            "name": str(a.at[i, NAME]),
            "state": _text(a.at[i, STATE]),
            "was": _fate(a.loc[i]),
            "now": _fate(b.loc[i]),
        }
        for i in ids[:MAX_CHANGED]
    ]
    return {"rows": rows, "count": len(ids)}


def _fate(row: pd.Series) -> str:
    host = _text(row["host_name"])
    return f"{row[DECISION]} into {host}" if host else str(row[DECISION])


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def total_changes(start: Result, now: Result) -> list[dict[str, str]]:
    """The national totals (base) that changed against the scenario file's run, as the
    terminal writes them: label, the file's figure, now, and the change."""
    from dealernet.outputs.tables import MEASURE_LABELS
    from dealernet.outputs.terminal import TOTALS_ROWS

    rows = []
    for measure, fmt in TOTALS_ROWS:
        key = f"{measure}_base"
        if not (measure and key in now.national.index and key in start.national.index):
            continue
        was, is_ = float(start.national[key]), float(now.national[key])
        if fmt(was) == fmt(is_):
            continue
        sign = "+" if is_ > was else ""
        rows.append(
            {
                "measure": measure,
                "label": MEASURE_LABELS[measure],
                "was": fmt(was),
                "now": fmt(is_),
                "change": sign + fmt(is_ - was),
            }
        )
    return rows


def page_state(result: Result, start: Result, stems: dict[str, str]) -> dict[str, Any]:
    """Everything the page redraws after a change, as JSON-ready values."""
    return {
        "totals": totals(result),
        "decisions": decisions(result),
        "notes": list(result.rule_notes),
        "owners": owners(result, stems),
        "changed": changed_stores(start, result),
        "total_changes": total_changes(start, result),
        "draws": int(result.assumptions.draws),
        "market_draws": int(result.assumptions.market_draws),
        "origin": result.data_origin,
    }
