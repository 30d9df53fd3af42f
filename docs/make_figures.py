"""Write ``docs/_generated/*.md``: every run figure the documentation quotes, from real runs.

The pages never type a result by hand: they include these snippets (``--8<--``, with
pymdownx.snippets), and ``tests/test_docs_figures.py`` checks that the committed snippets
equal a fresh generation, so a change to the model that moves a figure fails until the
snippets are regenerated. The wording around each figure lives in ``docs/_figures/*.md.j2``.

Run from the repository root::

    python docs/make_figures.py            # everything (about a minute)
    python docs/make_figures.py --sample   # the sample's and the data's snippets (seconds)
    python docs/make_figures.py --check    # exit 1 if a committed snippet is out of date
    python docs/make_figures.py --benchmarks             # run python -m benchmarks (minutes)
    python docs/make_figures.py --benchmarks out.md      # or take a run's saved output

The benchmark record (``_generated/benchmarks.md``) is written only with ``--benchmarks``
and never checked: timings move with the machine and its load.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from dealernet.analysis.result import Result

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
TEMPLATES = DOCS / "_figures"
#: The stores the "two stores, line by line" table follows, by (name, city).
CO_LOCATION = ("Lokey Infiniti", "Clearwater")
TRANSFER = ("Sewell Infiniti", "Dallas")
#: The store whose customer split the method page quotes (the real roster).
SPLIT_STORE = ("Baker Infiniti Charleston", "Charleston")
OWNER_PAIRS = ROOT / "tests" / "data" / "owner_pairs.csv"


# --- formatting -------------------------------------------------------------------------


def count(value: float) -> str:
    """A whole number with thousands separators."""
    return f"{round(float(value)):,}"


def money(value: float, signed: bool = False) -> str:
    """Dollars as the pages write them: ``$820 k``, ``$1.31 M``, ``$29.2 M``, ``$2.06 B``."""
    size = abs(float(value))
    if size >= 1e9:
        text = f"${size / 1e9:.2f} B"
    elif size >= 1e7:
        text = f"${size / 1e6:.1f} M"
    elif size >= 1e6:
        text = f"${size / 1e6:.2f} M"
    else:
        text = f"${size / 1e3:,.0f} k"
    if value < 0:
        return "-" + text
    return ("+" + text) if signed else text


def percent(share: float) -> str:
    """A share as a whole percent (``74 %``)."""
    return f"{100 * float(share):.0f} %"


def miles(value: float) -> str:
    return f"{float(value):.1f}"


def render(template: str, **context: Any) -> str:
    """One template of ``docs/_figures`` filled in; Markdown, so nothing is escaped."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, written from our own runs and data
    )
    text = env.get_template(template).render(**context)
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"


def spread(row: Mapping[str, Any], stem: str, fmt: Callable[[float], str]) -> dict[str, str]:
    """``stem_low`` / ``stem_base`` / ``stem_high`` of a row, formatted."""
    return {k: fmt(row[f"{stem}_{k}"]) for k in ("low", "base", "high")}


# --- the snippets -------------------------------------------------------------------------


def headline_run(result: Result, title: str, command: str, note: str) -> dict[str, Any]:
    """One run's decisions and national totals, formatted for the headline table."""
    from dealernet.render.report_context import affected_owners

    national = result.national
    access = result.access.summary
    return {
        "title": title,
        "note": f"`{command}`, {note}",
        "n": {
            "stores": count(national["stores"]),
            "unaffected": count(national["stores_unaffected"]),
            "keep": count(national["stores_keep"]),
            "absorb": count(national["stores_absorb"]),
            "same_owner": count(national["absorbed_into_same_owner"]),
            "close": count(national["stores_close"]),
            "reports": count(len(affected_owners(result))),
        },
        "jobs": spread(national, "jobs_lost", count),
        "net": spread(national, "net_jobs_lost", count),
        "revenue": spread(national, "revenue_lost", money),
        "profit": spread(national, "profit_change", lambda v: money(v, signed=True)),
        "beyond_before": count(access["beyond_50_before"]),
        "beyond_after": count(access["beyond_50_after"]),
    }


def headline(real: Result, sample: Result) -> str:
    """Decisions and national totals of both bundled networks, side by side."""
    return render(
        "headline.md.j2",
        runs=[
            headline_run(
                real,
                "the real 2015 roster",
                "dealernet run",
                "real 2015 dealer locations; owners inferred; sales estimated.",
            ),
            headline_run(
                sample,
                "the synthetic sample",
                "dealernet run --dealers sample",
                "made-up stores, owners and sales shaped like the published aggregates; they "
                "show the method, not the real network.",
            ),
        ],
    )


#: The owner group whose report the pages use as their example (the synthetic sample).
EXAMPLE_OWNER = "Maple Lake Automotive"


def owner_card(result: Result) -> str:
    """One owner group's summary cards, as its report shows them."""
    owners = result.owners
    row = owners[owners["owner_group"] == EXAMPLE_OWNER]
    if len(row) != 1:
        msg = f"{EXAMPLE_OWNER} is {len(row)} rows of the owners table, not one"
        raise SystemExit(msg)
    found = row.iloc[0].to_dict()
    return render(
        "owner-card.md.j2",
        owner=EXAMPLE_OWNER,
        stores=count(found["stores_affected"]),
        jobs=spread(found, "jobs_lost", count),
        at_risk=spread(found, "revenue_at_risk", money),
        profit=spread(found, "profit_change", lambda v: money(v, signed=True)),
    )


def scenario_counts(network: gpd.GeoDataFrame) -> str:
    """What every shipped scenario decides on a network (the rules only: no estimates)."""
    import dealernet
    from dealernet.settings import DEFAULT_SCENARIO, bundled_scenarios

    rows = []
    table = None
    for name in bundled_scenarios():
        table = dealernet.apply_rules(network, dealernet.load_scenario(name)).table
        decided = table["decision"]
        absorbed = table[decided == "absorb"]
        transfer = absorbed["transfer"].astype(bool)
        unknown = transfer & (
            absorbed["from_owner"].isna()
            | absorbed["to_owner"].isna()
            | (absorbed["from_owner"].astype(str).str.strip() == "")
            | (absorbed["to_owner"].astype(str).str.strip() == "")
        )
        rows.append(
            {
                "name": name,
                "default": name == DEFAULT_SCENARIO,
                "stand_alone": count((decided != "unaffected").sum()),
                "keep": count((decided == "keep").sum()),
                "absorb": count(len(absorbed)),
                "colocations": count((~transfer).sum()),
                "transfers": count(transfer.sum()),
                "unknown": count(unknown.sum()),
                "close": count((decided == "close").sum()),
            }
        )
    assert table is not None
    return render(
        "scenarios.md.j2",
        scenarios=rows,
        stores=count(len(table)),
        unaffected=count((table["decision"] == "unaffected").sum()),
    )


def _store(rows: pd.DataFrame, name: str, city: str) -> dict[str, Any]:
    found = rows[(rows["name"] == name) & (rows["city"] == city)]
    if len(found) != 1:
        msg = f"{name} ({city}) is {len(found)} rows of the run, not one"
        raise SystemExit(msg)
    return found.iloc[0].to_dict()


def _site_rows(result: Result) -> pd.DataFrame:
    from dealernet.render.report_context import site_rows

    return site_rows(result)


def two_stores(result: Result) -> str:
    """The owner's profit and loss of one co-location and one transfer, line by line."""
    rows = _site_rows(result)
    co, tr = _store(rows, *CO_LOCATION), _store(rows, *TRANSFER)
    lines = [
        -co["gross_profit_lost_sales_base"],
        -co["gross_profit_lost_service_base"],
        co["payroll_avoided_base"],
        co["occupancy_avoided_base"],
    ]
    expression = money(lines[0]) + "".join(
        f" {'-' if v < 0 else '+'} {money(abs(v))}" for v in lines[1:]
    )
    colocated = rows[(rows["decision"] == "absorb") & (rows["transfer"] == False)]  # noqa: E712
    big = colocated.sort_values("baseline_revenue_total").iloc[-1].to_dict()
    multiple = result.assumptions.parameters["blue_sky_multiple.Infiniti"].base

    def described(row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": row["name"],
            "short": str(row["name"]).split()[0],
            "city": row["city"],
            "state": row["state"],
            "host": row["host_name"],
            "miles": miles(row["distance_miles"]),
            "revenue": money(row["baseline_revenue_total"]),
            "staff": count(row["baseline_employees_total"]),
            "jobs": count(row["jobs_lost_base"]),
            "gp_sales": money(-row["gross_profit_lost_sales_base"], signed=True),
            "gp_service": money(-row["gross_profit_lost_service_base"], signed=True),
            "payroll": money(row["payroll_avoided_base"], signed=True),
            "occupancy": money(row["occupancy_avoided_base"], signed=True),
            "given_up": money(-row["profit_given_up_base"], signed=True),
            "buyout": money(row["buyout_base"], signed=True),
            "host_gain": money(row["host_gross_profit_gained_base"], signed=True),
            "change": money(row["profit_change_base"], signed=True),
            "change_low": money(row["profit_change_low"], signed=True),
            "change_high": money(row["profit_change_high"], signed=True),
        }

    co_text = described(co)
    co_text["expression"] = expression
    co_text["line_sum"] = money(sum(lines), signed=True)
    co_text["verdict"] = (
        "pays: the wages and the building it no longer pays outweigh the profit of the "
        "customers who do not follow"
        if co["profit_change_base"] > 0
        else "costs money: the profit of the customers who do not follow outweighs the wages "
        "and the building it no longer pays"
    )
    big_text = described(big)
    big_text["why"] = (
        " a year: far more gross profit walks away than payroll is saved"
        if big["profit_change_base"] < 0
        else " a year"
    )
    return render(
        "two-stores.md.j2",
        co=co_text,
        tr=described(tr),
        big=big_text,
        multiple=f"{multiple:g}",
        draws=count(result.assumptions.draws),
    )


def market_split(result: Result) -> str:
    """Where one absorbed store's buyers go, as its owner report words it."""
    from dealernet.render.report_context import customer_split

    rows = _site_rows(result)
    row = _store(rows, *SPLIT_STORE)
    brands = result.market.brands if result.market is not None else ()
    entries = customer_split(row, "sales", result.source_brand, brands)[:2]
    return render(
        "market-split.md.j2",
        name=row["name"],
        city=row["city"],
        state=row["state"],
        entries=[
            {
                "label": e["label"],
                "base": percent(row[f"{e['field']}_base"]),
                "low": percent(row[f"{e['field']}_low"]),
                "high": percent(row[f"{e['field']}_high"]),
            }
            for e in entries
        ],
    )


def assumptions_table() -> str:
    """Every parameter of the bundled assumptions, with its range and source."""
    from dealernet.analysis.assumptions import load_assumptions, markdown_table
    from dealernet.settings import DEFAULT_ASSUMPTIONS

    return markdown_table(load_assumptions(DEFAULT_ASSUMPTIONS)) + "\n"


def calibration() -> str:
    """An average store of each brand when a file gives no figures (base assumptions)."""
    from dealernet.analysis.assumptions import load_assumptions
    from dealernet.settings import DEFAULT_ASSUMPTIONS

    params = load_assumptions(DEFAULT_ASSUMPTIONS).parameters

    def brand(name: str) -> dict[str, str]:
        units = params[f"new_units_per_store.{name}"].base
        staff = params["staff.fixed"].base + params["staff.per_100_new_units"].base * units / 100
        return {
            "units": count(units),
            "revenue": money(units * params[f"revenue_per_new_unit.{name}"].base),
            "staff": count(staff),
        }

    return render("calibration.md.j2", infiniti=brand("Infiniti"), nissan=brand("Nissan"))


def customers() -> str:
    """The shipped customer points and the people they hold."""
    from dealernet.geo.customers import load_customers

    states = load_customers()
    everywhere = load_customers(territories=True)
    return render(
        "customers.md.j2",
        points=count(len(states)),
        people=count(states["population"].sum()),
        puerto_rico=count(everywhere["population"].sum() - states["population"].sum()),
    )


def competitors() -> str:
    """The competing luxury stores the market model counts."""
    import dealernet

    found = dealernet.load_competitors()
    by_brand = found["brand"].value_counts().sort_index()
    names = list(by_brand.index)
    return render(
        "competitors.md.j2",
        total=count(len(found)),
        brands=", ".join(names[:-1]) + " and " + names[-1],
        by_brand=", ".join(f"{b} {count(n)}" for b, n in by_brand.items()),
    )


def owner_inference() -> str:
    """How well owners are inferred on the 2015 rosters (the labelled pairs, the roster)."""
    import numpy as np
    import pandas as pd

    from dealernet.io.loader import load_network
    from dealernet.io.owners import grouped_together, infer_owners, owner_counts

    network = load_network("real-2015")
    inferred = infer_owners(network, "Infiniti", "Nissan")
    pairs = pd.read_csv(OWNER_PAIRS, dtype=str)
    truth = (pairs["same_owner"] == "true").to_numpy()
    keys = zip(pairs["infiniti_id"], pairs["nissan_id"], strict=True)
    grouped = np.array(grouped_together(inferred, [("Infiniti", a, "Nissan", b) for a, b in keys]))
    hits = int((grouped & truth).sum())
    infiniti = inferred[inferred["brand"] == "Infiniti"]
    nissan_groups = set(inferred.loc[inferred["brand"] == "Nissan", "owner_group"].dropna())
    with_nissan = int(infiniti["owner_group"].isin(nissan_groups).sum())
    return render(
        "owner-inference.md.j2",
        pairs=count(len(pairs)),
        precision=f"{hits / max(int(grouped.sum()), 1):.2f}",
        recall=f"{hits / int(truth.sum()):.2f}",
        inferred=count(owner_counts(inferred, "Infiniti")["inferred"]),
        infiniti=count(len(infiniti)),
        with_nissan=count(with_nissan),
        share=percent(with_nissan / len(infiniti)),
    )


# --- generation -------------------------------------------------------------------------


def data_snippets() -> dict[str, str]:
    """Snippets from the shipped data alone: no run needed."""
    return {
        "assumptions.md": assumptions_table(),
        "calibration.md": calibration(),
        "customers.md": customers(),
        "competitors.md": competitors(),
    }


def sample_snippets(result: Result) -> dict[str, str]:
    """Snippets from a run of the synthetic sample (``consolidation``)."""
    return {"owner-card.md": owner_card(result)}


def real_snippets(result: Result, sample: Result) -> dict[str, str]:
    """Snippets from a run of the real 2015 roster (``consolidation``), and the headline of
    both networks."""
    return {
        "headline.md": headline(result, sample),
        "scenarios-real.md": scenario_counts(result.network),
        "two-stores.md": two_stores(result),
        "market-split.md": market_split(result),
        "owner-inference.md": owner_inference(),
    }


def generate(real: bool = True) -> dict[str, str]:
    """Every snippet (only the sample's and the data's with ``real=False``)."""
    import dealernet

    sample = dealernet.run(dealernet.load_network("sample"), what_drives=False)
    found = {**data_snippets(), **sample_snippets(sample)}
    if real:
        result = dealernet.run(dealernet.load_network("real-2015"), what_drives=False)
        found.update(real_snippets(result, sample))
    return found


def benchmark_record(saved: Path | None) -> str:
    """The output of ``python -m benchmarks`` as a page section (headings one level down)."""
    import subprocess

    if saved is None:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        text = done.stdout
    else:
        text = saved.read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        if line.startswith("# dealernet benchmarks"):
            continue  # the page has its own title
        lines.append("#" + line if line.startswith("### ") else line)
    return "\n".join(lines).strip() + "\n"


def stale(found: Mapping[str, str]) -> list[str]:
    """Names of the committed snippets that differ from ``found`` (or are missing)."""
    return [
        name
        for name, text in found.items()
        if not (GENERATED / name).is_file()
        or (GENERATED / name).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", action="store_true", help="skip the real roster's runs")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument(
        "--benchmarks",
        nargs="?",
        const="",
        metavar="SAVED",
        help="write the benchmark record: run the suite, or read its saved output",
    )
    args = parser.parse_args(argv)
    if args.benchmarks is not None:
        record = benchmark_record(Path(args.benchmarks) if args.benchmarks else None)
        GENERATED.mkdir(exist_ok=True)
        (GENERATED / "benchmarks.md").write_text(record, encoding="utf-8")
        print("wrote docs/_generated/benchmarks.md")
        return 0
    found = generate(real=not args.sample)
    if args.check:
        out_of_date = stale(found)
        for name in out_of_date:
            print(f"out of date: docs/_generated/{name}", file=sys.stderr)
        return 1 if out_of_date else 0
    GENERATED.mkdir(exist_ok=True)
    for name, text in found.items():
        (GENERATED / name).write_text(text, encoding="utf-8")
        print(f"wrote docs/_generated/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
