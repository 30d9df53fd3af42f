"""Owner reports and the index page: one printable, offline HTML file per owner group.

A dealer principal should open one file and see which of their stores the scenario touches,
where each goes, what they stand to lose (as a range, never one falsely precise number) and
why. Reports are rendered from Jinja templates with autoescaping on, so a name from a dealer
file can never become markup; each report carries its map (an offline map page inside an
``<iframe srcdoc>``), its charts (inline SVG) and its rows as a CSV download, so the file
can be mailed on its own. File names come from :func:`dealernet.slugs.slug`, so an owner
called ``../../etc/passwd`` still gets a harmless name inside ``OUT/owners/``.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealernet import formatting
from dealernet._atomic import write_text
from dealernet._errors import QueryError
from dealernet.render.report_context import (
    Shared,
    affected_owners,
    common,
    owner_context,
    owner_csv,
    owner_keys,
    shared,
)
from dealernet.schema import BRAND, DEALER_ID, OWNER_GROUP
from dealernet.settings import DATA_DIR, INDEX_PAGE, OWNERS_DIR
from dealernet.slugs import slug

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

    from dealernet.analysis.result import Result

__all__ = [
    "affected_owners",
    "match_owners",
    "render_index",
    "render_owner_report",
    "write_pdfs",
    "write_reports",
]

#: Called with (description, done, total) as reports are written.
Progress = Callable[[str, int, int], None]
#: Close names offered when an owner name matches nothing.
MAX_SUGGESTIONS = 5
#: A misspelt name is taken as the closest owner group when it is this similar (0-1) ...
AUTO_MATCH = 0.85
#: ... and at least this much more similar than the runner-up.
AUTO_MARGIN = 0.05
#: File names of ours in ``OUT/owners/`` (a slug ends in an 8-character hash).
_OUR_FILE = re.compile(r"^[a-z0-9-]+-[0-9a-f]{8}\.(html|csv|pdf)$")


def write_reports(
    result: Result,
    out: Path | str,
    owners: Sequence[str] | None = None,
    *,
    pdf: bool = False,
    paper: str = "letter",
    progress: Progress | None = None,
) -> list[Path]:
    """Write owner reports into ``OUT/owners/`` and the index into ``OUT/index.html``.

    Call it after the tables (``OUT/data/``) and maps are written: the index links only to
    files that exist, so it never carries a dead link.

    Parameters
    ----------
    result
        A finished run (:func:`dealernet.run`).
    out
        The output folder.
    owners
        Owner-group names (matched by :func:`match_owners`). ``None`` writes a report for
        every owner group with at least one absorbed or closed store, and removes reports
        of earlier runs for groups no longer affected, so the folder matches the index.
    pdf
        Also print each report to ``OUT/owners/<slug>.pdf`` (see :func:`write_pdfs`).
    paper
        ``"letter"`` or ``"a4"``, for the PDFs.
    progress
        Called as ``progress(description, done, total)`` before each report, as the CLI's
        progress bar wants it: a report with its map takes about a second.

    Returns
    -------
    list of Path
        Every file written: each report's HTML and CSV, the index, then any PDFs.
    """
    out = Path(out)
    folder = out / OWNERS_DIR
    names = affected_owners(result) if owners is None else match_owners(result, owners)
    parts = shared(result)
    env = environment()
    written: list[Path] = []
    reports: list[Path] = []
    step = progress or (lambda _text, _done, _total: None)
    for done, name in enumerate(names):
        step(f"Writing owner reports ({done + 1:,} of {len(names):,})", done, len(names))
        stem = slug(name)
        csv_text = owner_csv(parts, name)
        csv_path = write_text(folder / f"{stem}.csv", csv_text)
        html = _render_owner(result, name, parts, env, csv_text)
        report = write_text(folder / f"{stem}.html", html)
        written += [report, csv_path]
        reports.append(report)
    if owners is None:
        _remove_stale(folder, {p.stem for p in reports})
    index = render_index(result, out, page=parts.page, env=env)
    written.append(write_text(out / INDEX_PAGE, index))
    if pdf:
        step(f"Printing {len(reports):,} reports to PDF", len(names), len(names))
        written += write_pdfs(reports, paper=paper)
    return written


def match_owners(result: Result, names: Iterable[str]) -> list[str]:
    """The owner groups ``names`` mean, as spelt in the dealer files.

    A name matches an owner group without regard to case and spacing; else as the only
    group whose name contains it (``"lone star"``); else as a clear closest spelling
    (``"Lone Star Auto Grup"``). Anything less certain is an error that suggests names,
    because a report about the wrong dealer group is worse than none.

    Raises
    ------
    QueryError
        When a name is empty, matches several groups, or matches none.
    """
    groups = [str(g) for g in result.owners[OWNER_GROUP]]
    keys = {_key(g): g for g in groups}
    found: list[str] = []
    for name in names:
        found.append(_match_one(str(name), keys, result))
    return list(dict.fromkeys(found))


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _match_one(name: str, keys: dict[str, str], result: Result) -> str:
    key = _key(name)
    if not key:
        msg = "an owner name is empty: give part of an owner group's name, or use --all"
        raise QueryError(msg)
    if key in keys:
        return keys[key]
    partial = sorted(k for k in keys if key in k)
    if len(partial) == 1:
        return keys[partial[0]]
    if partial:
        listed = ", ".join(repr(keys[k]) for k in partial[:MAX_SUGGESTIONS])
        more = (
            f" and {len(partial) - MAX_SUGGESTIONS} more" if len(partial) > MAX_SUGGESTIONS else ""
        )
        msg = (
            f"{name!r} matches {len(partial)} owner groups: {listed}{more}. Give more of the name."
        )
        raise QueryError(msg)
    ratios = sorted(
        ((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in keys), reverse=True
    )
    if ratios and ratios[0][0] >= AUTO_MATCH:
        runner_up = ratios[1][0] if len(ratios) > 1 else 0.0
        if ratios[0][0] - runner_up >= AUTO_MARGIN:
            return keys[ratios[0][1]]
    close = [keys[k] for r, k in ratios[:MAX_SUGGESTIONS] if r >= 0.5]
    hint = " Did you mean " + ", ".join(map(repr, close)) + "?" if close else ""
    host_owners = result.network.loc[
        result.network[BRAND].astype(str).str.casefold() == result.host_brand.casefold(),
        OWNER_GROUP,
    ]
    if key in {_key(str(o)) for o in host_owners.dropna()}:
        brand = result.source_brand
        msg = f"{name!r} owns no {brand} store in these dealer files, so it has no report."
        raise QueryError(msg + hint)
    msg = f"no owner group called {name!r} in these dealer files.{hint}"
    raise QueryError(msg)


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """Delete our reports of owner groups this run does not report on (earlier runs)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if _OUR_FILE.match(path.name) and path.stem not in keep and path.is_file():
            path.unlink(missing_ok=True)


# --- rendering ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja environment: package templates, autoescaping on, undefined names fail."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dealernet", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=formatting.money,
        count=formatting.count,
        miles=formatting.miles,
        span=formatting.span,
        figure=figure,
        fmt=lambda value, kind: FORMATTERS[kind](value),
        number=number,
    )
    return env


FORMATTERS = {"count": formatting.count, "money": formatting.money, "miles": formatting.miles}


def format_of(field: str) -> str:
    """How a figure is written, from its column name: dollars, miles or a count."""
    if any(word in field for word in ("revenue", "payroll", "profit")):
        return "money"
    if "miles" in field:
        return "miles"
    return "count"


def figure(value: object, field: str) -> str:
    """A figure formatted by what its column measures (see :func:`format_of`)."""
    return FORMATTERS[format_of(field)](value)


def number(value: object) -> str:
    """An assumption's value as written in the file: ``111,000``, ``0.55``, ``-0.003``."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:g}"


def render_owner_report(result: Result, owner: str) -> str:
    """One owner group's report as a complete, offline HTML page.

    ``owner`` is a key of ``result.owners``, as :func:`match_owners` returns it.
    """
    parts = shared(result)
    return _render_owner(result, owner, parts, environment(), owner_csv(parts, owner))


def _render_owner(
    result: Result, owner: str, parts: Shared, env: jinja2.Environment, csv_text: str
) -> str:
    context = owner_context(result, owner, parts, csv_text, f"{slug(owner)}.csv")
    context["map_html"] = _map_page(result, owner, parts)
    return env.get_template("owner_report.html.j2").render(**parts.page, **context)


def _map_page(result: Result, owner: str, parts: Shared) -> str:
    """The offline map page of the owner's stores, their hosts and the group's own hosts."""
    import numpy as np

    from dealernet.planning.selection import Selection, host_sites
    from dealernet.render.maps import render_map

    mask = (parts.keys == owner).to_numpy()
    hosts = host_sites(result)
    wanted = set(parts.rows.loc[mask, "host_dealer_id"].dropna().astype(str))
    host_ids = hosts[DEALER_ID].astype(str)
    host_mask = host_ids.isin(wanted).to_numpy() | (owner_keys(hosts).to_numpy() == owner)
    selection = Selection(
        mask=np.asarray(mask, dtype=bool),
        host_mask=np.asarray(host_mask, dtype=bool),
        label=owner,
        slug=slug(owner),
    )
    return render_map(result, selection, cdn=False)


def render_index(
    result: Result,
    out: Path | str,
    *,
    page: dict[str, Any] | None = None,
    env: jinja2.Environment | None = None,
) -> str:
    """The index page: the scenario, national totals and a sortable table of owner groups.

    Links (reports, the network map, the data files) are listed only for files that exist
    in ``out`` when the page is rendered, so the page never links to nothing.
    """
    out = Path(out)
    page = common(result) if page is None else page
    env = environment() if env is None else env
    owners = result.owners
    listed = owners.loc[owners["stores_affected"] > 0]
    rows = []
    for record in listed.to_dict(orient="records"):
        name = str(record[OWNER_GROUP])
        href = f"{OWNERS_DIR}/{slug(name)}.html"
        rows.append({"o": record, "href": href if (out / href).is_file() else None})
    from dealernet.outputs.tables import TABLES
    from dealernet.render.maps import NETWORK_MAP

    data = [
        {"href": f"{DATA_DIR}/{name}", "name": name, "what": what}
        for name, what in TABLES.items()
        if (out / DATA_DIR / name).is_file()
    ]
    return env.get_template("index.html.j2").render(
        **page,
        national=result.national.to_dict(),
        access=result.access.summary,
        owner_rows=rows,
        owner_groups=len(owners),
        counts=result.decisions.counts().to_dict(),
        network_map=NETWORK_MAP if (out / NETWORK_MAP).is_file() else None,
        data_tables=data,
    )


def write_pdfs(paths: Iterable[Path], *, paper: str = "letter") -> list[Path]:
    """Print each HTML file to a PDF beside it (``report.html`` -> ``report.pdf``).

    Uses headless Chromium through Playwright (``/usr/bin/chromium``, or the browser named
    by ``DEALERNET_CHROMIUM``), which runs the map's script so the map prints; else
    WeasyPrint, which cannot run scripts and so prints the reports without their maps.

    Raises
    ------
    MissingDependencyError
        When neither is installed, with what to install.
    """
    from dealernet.render._pdf import print_pdfs

    return print_pdfs(list(paths), paper=paper)
