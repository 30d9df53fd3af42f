"""Owner reports and the index page: one printable, offline HTML file per owner group.

A dealer principal should open one file and see which of their stores the scenario touches,
where each goes, what they stand to lose (as a range, never one falsely precise number) and
why. Reports are rendered from Jinja templates with autoescaping on, so a name from a dealer
file can never become markup; each report carries its map (an offline map page inside an
``<iframe srcdoc>``), its charts (inline SVG) and its rows as a CSV download, so the file
can be mailed on its own. File names come from :func:`dealernet.slugs.file_stems`
(``OUT/owners/maple-lake-automotive.html``), so an owner called ``../../etc/passwd`` still
gets a harmless name inside ``OUT/owners/``, and two owners never share one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet._atomic import write_text
from dealernet._errors import QueryError
from dealernet._forked import map_pieces
from dealernet._names import Match, name_key
from dealernet._outdir import forget, removable
from dealernet.analysis.owner_groups import group_names
from dealernet.outputs.tables import TABLES
from dealernet.planning.selection import Selection, host_sites, owner_names
from dealernet.render import sensitivity_view
from dealernet.render._owner_files import owner_stems
from dealernet.render._pdf import check_pdf_ready, print_pdfs
from dealernet.render._templates import render_page
from dealernet.render.index_context import index_context, owner_places, state_options
from dealernet.render.maps import render_map
from dealernet.render.report_context import (
    Shared,
    affected_owners,
    common,
    owner_context,
    owner_csv,
    shared,
)
from dealernet.schema import (
    BRAND,
    DEALER_ID,
    DECISION,
    HOST_DEALER_ID,
    NAME,
    OWNER_GROUP,
    OWNER_INFERRED,
    OWNER_SOURCE,
    OWNER_UNKNOWN,
)
from dealernet.settings import DATA_DIR, INDEX_PAGE, OWNERS_DIR

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

__all__ = [
    "affected_owners",
    "check_pdf_ready",
    "match_owners",
    "owner_matches",
    "render_index",
    "render_owner_report",
    "write_pdfs",
    "write_reports",
]

#: Called with (description, done, total) as reports are written.
Progress = Callable[[str, int, int], None]
#: File names of ours in ``OUT/owners/``: a stem of ``[a-z0-9-]``, as earlier versions
#: named them too (with an 8-character hash). Only files a run's manifest lists are removed.
_OUR_FILE = re.compile(r"^[a-z0-9][a-z0-9-]*\.(html|csv|pdf)$")


def write_reports(
    result: Result,
    out: Path | str,
    owners: Sequence[str] | None = None,
    *,
    pdf: bool = False,
    paper: str = "letter",
    progress: Progress | None = None,
    workers: int | None = None,
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
        Also print each report to ``OUT/owners/<stem>.pdf`` (see :func:`write_pdfs`).
    paper
        ``"letter"`` or ``"a4"``, for the PDFs.
    progress
        Called as ``progress(description, done, total)`` before each report, as the CLI's
        progress bar wants it.
    workers
        Processes that render the reports (:func:`dealernet._forked.map_pieces`; default
        the usable cores, or ``DEALERNET_WORKERS``; 1 renders them here). The bytes are
        the same either way.

    Returns
    -------
    list of Path
        Every file written: each report's HTML and CSV, the index, then any PDFs.
    """
    out = Path(out)
    folder = out / OWNERS_DIR
    names = affected_owners(result) if owners is None else match_owners(result, owners)
    stems = owner_stems(result)  # one file per owner group, always: refuse before writing
    parts = shared(result)
    step = progress or (lambda _text, _done, _total: None)

    def write_one(name: str) -> tuple[Path, Path]:
        csv_text = owner_csv(parts, name)
        csv_path = write_text(folder / f"{stems[name]}.csv", csv_text)
        html = _render_owner(result, name, parts, csv_text)
        return write_text(folder / f"{stems[name]}.html", html), csv_path

    def finished(done: int) -> None:
        shown = min(done + 1, len(names))
        step(f"Writing owner reports ({shown:,} of {len(names):,})", done, len(names))

    pairs = map_pieces(write_one, names, workers=workers, done=finished)
    written: list[Path] = [path for pair in pairs for path in pair]
    reports = [report for report, _csv in pairs]
    if owners is None:
        _remove_stale(out, {p.stem for p in reports})
    index = render_index(result, out, page=parts.page)
    written.append(write_text(out / INDEX_PAGE, index))
    if pdf:
        step(f"Printing {len(reports):,} reports to PDF", len(names), len(names))
        written += write_pdfs(reports, paper=paper)
    return written


def match_owners(result: Result, names: Iterable[str]) -> list[str]:
    """The owner groups ``names`` mean, as spelt in the dealer files (see :func:`owner_matches`).

    Raises
    ------
    QueryError
        When a name is empty, matches several groups, or matches none.
    """
    return list(dict.fromkeys(m.value for m in owner_matches(result, names)))


def owner_matches(result: Result, names: Iterable[str]) -> list[Match]:
    """How each of ``names`` reads as an owner group with a report, one match per name.

    Names are read as maps and queries read them
    (:func:`dealernet.planning.selection.owner_names`): without regard to case and spacing,
    as part of one group's name, or as a clear close spelling. Anything less certain is an
    error that suggests names, because a report about the wrong dealer group is worse than
    none. A match that is not ``exact`` was corrected: tell the user what it was read as.

    Raises
    ------
    QueryError
        When a name is empty, matches several groups, or matches none, or names a group
        that owns no store of the source brand (so has no report).
    """
    groups = owner_names(
        (str(g) for g in result.owners[OWNER_GROUP]),
        fix="Part of the name is enough; --all reports on every affected group.",
    )
    network = result.network
    wanted = {b.casefold() for b in result.host_brands}
    host_brand = network[BRAND].astype(str).str.casefold().isin(wanted)
    host_only = {name_key(o) for o in network.loc[host_brand, OWNER_GROUP].dropna()}
    found: list[Match] = []
    for name in names:
        text = str(name)
        if name_key(text) in host_only and text not in groups:
            brand = result.source_brand
            msg = f"{text!r} owns no {brand} store in these dealer files, so it has no report."
            raise QueryError(msg)
        found.append(groups.match(text))
    return found


def _remove_stale(out: Path, keep: set[str]) -> None:
    """Delete our reports of owner groups this run does not report on (earlier runs).

    Only files an earlier run's manifest lists as its own are candidates
    (:func:`dealernet._outdir.removable`): a user's ``owners/contract-20231215.pdf`` has a
    name like ours but was never ours, so it stays; nothing is deleted through a link.
    """
    for path in removable(out, OWNERS_DIR, keep, _OUR_FILE):
        path.unlink(missing_ok=True)
        forget(out, path)


# --- rendering ------------------------------------------------------------------------------
# Pages render through the package's one environment (dealernet.render._templates), whose
# filters (figure, number, ...) come from dealernet.formatting.


def render_owner_report(result: Result, owner: str) -> str:
    """One owner group's report as a complete, offline HTML page.

    ``owner`` is a key of ``result.owners``, as :func:`match_owners` returns it.
    """
    parts = shared(result)
    return _render_owner(result, owner, parts, owner_csv(parts, owner))


def _render_owner(result: Result, owner: str, parts: Shared, csv_text: str) -> str:
    context = owner_context(result, owner, parts, csv_text, f"{owner_stems(result)[owner]}.csv")
    context["map_html"] = _map_page(result, owner, parts)
    return render_page("owner_report.html.j2", **parts.page, **context)


def _map_page(result: Result, owner: str, parts: Shared) -> str:
    """The offline map page of the owner's stores, their hosts and the group's own hosts."""

    mask = (parts.keys == owner).to_numpy()
    hosts = host_sites(result)
    wanted = set(parts.rows.loc[mask, HOST_DEALER_ID].dropna().astype(str))
    host_ids = hosts[DEALER_ID].astype(str)
    # the group's own hosts; a host whose owner is not known belongs to no group
    host_mask = host_ids.isin(wanted).to_numpy() | (group_names(hosts[OWNER_GROUP]) == owner)
    selection = Selection(
        mask=np.asarray(mask, dtype=bool),
        host_mask=np.asarray(host_mask, dtype=bool),
        label=owner,
        slug=owner_stems(result)[owner],
    )
    return render_map(result, selection, cdn=False)


def render_index(
    result: Result,
    out: Path | str,
    *,
    page: dict[str, Any] | None = None,
) -> str:
    """The index page: national totals, the files to take away, totals by Census region
    and state with a chart, and a table of owner groups to search, filter and sort.

    Links (reports, the network map, the workbook, the GIS bundle, the data files) are
    listed only for files that exist in ``out`` when the page is rendered, so the page never
    links to nothing.
    """
    out = Path(out)
    page = common(result) if page is None else page
    data = [
        {"href": f"{DATA_DIR}/{name}", "name": name, "what": what}
        for name, what in TABLES.items()
        if (out / DATA_DIR / name).is_file()
    ]
    return render_page(
        "index.html.j2",
        **page,
        national=result.national.to_dict(),
        access=result.access.summary,
        **_owner_rows(result, out),
        counts=result.decisions.counts().to_dict(),
        data_tables=data,
        **index_context(result, out),
        **sensitivity_view.index_context(result),
    )


def _owner_rows(result: Result, out: Path) -> dict[str, Any]:
    """The index's table of affected owner groups, and of stores whose owner is not known.

    A store alone is shown by its name, with "owner not known"; its figures that need an
    owner (stores absorbed into the owner's own host) read "not known".
    """
    owners = result.owners
    listed = owners.loc[owners["stores_affected"] > 0]
    table = result.decisions.table
    store_names = dict(zip(table[DEALER_ID].astype(str), table[NAME].astype(str), strict=True))
    places = owner_places(result)
    stems = owner_stems(result)
    rows = []
    for record in listed.to_dict(orient="records"):
        name = str(record[OWNER_GROUP])
        href = f"{OWNERS_DIR}/{stems[name]}.html"
        source = record.get(OWNER_SOURCE)
        where = places.get(name, {"states": "", "search": name})
        rows.append(
            {
                "o": {k: (None if v is pd.NA else v) for k, v in record.items()},
                "href": href if (out / href).is_file() else None,
                "known": source != OWNER_UNKNOWN,
                "inferred": source == OWNER_INFERRED,
                "name": store_names.get(str(record.get(DEALER_ID)), name),
                **where,
            }
        )
    alone = int((owners[OWNER_SOURCE] == OWNER_UNKNOWN).sum()) if OWNER_SOURCE in owners else 0
    absorbed = table[DECISION] == "absorb"
    return {
        "owner_rows": rows,
        "state_options": state_options(result),
        "owner_groups": len(owners) - alone,
        "owner_unknown": alone,
        "owner_unknown_listed": sum(not r["known"] for r in rows),
        "absorbed_owner_unknown": int((absorbed & table["same_owner_host"].isna()).sum()),
    }


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

    return print_pdfs(list(paths), paper=paper)
