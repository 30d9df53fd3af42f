"""Each browser tab's settings and results, over networks prepared once.

A tab holds its own form, scenario and results; two tabs never share them. What they share
is read-only: the prepared network (:func:`dealernet.analysis.pipeline.prepare`) and the
run of the scenario file it started from. Runs take one lock, so the process's solved
markets and the two cores serve one change at a time.
"""

from __future__ import annotations

import secrets
import shlex
import shutil
import tempfile
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealernet._errors import DealernetError, QueryError, ScenarioError
from dealernet.analysis.pipeline import PREVIEW, Prepared, prepare
from dealernet.schema import CITY, DEALER_ID, NAME, STATE
from dealernet.serve import form, view
from dealernet.slugs import slug

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.assumptions import Assumptions
    from dealernet.analysis.result import Result
    from dealernet.engine.scenario import Scenario
    from dealernet.io.validate import ValidationReport

#: Tabs kept at once; the least recently used goes first.
MAX_TABS = 16
#: Bytes of dealer files one upload may hold, and files per upload.
MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES = 50 * 1024**2, 20
#: ``"preview"``: :data:`~dealernet.analysis.pipeline.PREVIEW` draws; ``"full"``: the
#: scenario's own, as ``dealernet run`` uses.
QUALITIES = ("preview", "full")

_RUN_LOCK = threading.Lock()


@dataclass
class Network:
    """A network tabs run on, with the run of the starting scenario at full draws."""

    label: str
    prepared: Prepared
    scenario: Scenario
    assumptions: Assumptions
    start: Result | None = None
    #: The ``--dealers`` part of the ``dealernet run`` command that reads the same network
    #: (for the downloaded scenario file's header).
    dealers: str = "--dealers YOUR_DEALER_FILES"

    def started(self) -> Result:
        if self.start is None:
            self.start = _run(self.prepared, self.scenario, self.assumptions)
        return self.start


@dataclass
class Tab:
    """One browser tab: its network, its form and its latest results."""

    id: str
    network: Network
    settings: form.Settings
    scenario: Scenario
    result: Result
    quality: str = "full"
    full: Result | None = None  # the latest result at full draws (reports, downloads)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def state(self) -> dict[str, Any]:
        """What the page shows now."""
        stems = report_stems(self.full) if self.full is not None else {}
        out = view.page_state(self.result, self.network.started(), stems)
        out["quality"] = self.quality
        out["changes"] = form.differences(self.network.scenario, self.scenario)
        return out


class Tabs:
    """The tabs of one server: opened, found by id, changed."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self._tabs: OrderedDict[str, Tab] = OrderedDict()
        self._lock = threading.Lock()

    def open(self) -> Tab:
        """A new tab on the server's network, at the scenario file's settings."""
        start = self.network.started()
        tab = Tab(
            id=secrets.token_urlsafe(12),
            network=self.network,
            settings=form.form_of(self.network.scenario),
            scenario=self.network.scenario,
            result=start,
            full=start,
        )
        with self._lock:
            self._tabs[tab.id] = tab
            while len(self._tabs) > MAX_TABS:
                self._tabs.popitem(last=False)
        return tab

    def reopen(self, tab: Tab) -> Tab:
        """The tab at the scenario file's settings on its (new) network."""
        start = tab.network.started()
        with tab.lock:
            tab.settings = form.form_of(tab.network.scenario)
            tab.scenario, tab.result, tab.full, tab.quality = (
                tab.network.scenario,
                start,
                start,
                "full",
            )
        return tab

    def get(self, tab_id: str) -> Tab:
        with self._lock:
            if tab_id not in self._tabs:
                raise KeyError(tab_id)
            self._tabs.move_to_end(tab_id)
            return self._tabs[tab_id]


def change(tab: Tab, data: Mapping[str, Any], quality: str) -> dict[str, Any]:
    """Apply the page's form: a checked scenario, then its run (preview or full draws).

    Returns the page state, or ``{"errors": [...]}`` with the checker's messages (the
    tab keeps its last good settings then).
    """
    if quality not in QUALITIES:
        raise ScenarioError(f"quality {quality!r}: use one of {', '.join(QUALITIES)}")
    base = tab.network.scenario
    try:
        keep = resolve_stores(tab.network, data.get("keep_names", []), "keep")
        close = resolve_stores(tab.network, data.get("close_names", []), "close")
        both = sorted(set(keep) & set(close))
        if both:
            msg = f"listed both to keep and to close: {', '.join(both)}. Fix: list each once"
            raise QueryError(msg)
        settings = form.settings_from({**data, "keep": keep, "close": close}, base)
        scenario = form.scenario_of(base, settings)
    except (ScenarioError, QueryError) as exc:
        return {"errors": str(exc).splitlines()}
    assumptions = tab.network.assumptions
    if quality == "preview":
        assumptions = assumptions.with_overrides(PREVIEW)
    with tab.lock:
        result = _run(tab.network.prepared, scenario, assumptions)
        tab.settings, tab.scenario, tab.result, tab.quality = settings, scenario, result, quality
        if quality == "full":
            tab.full = result
        return tab.state()


def full_result(tab: Tab) -> Result:
    """The tab's settings at the scenario's own draws (run again if the latest was a
    preview): what downloads and reports are made from."""
    with tab.lock:
        if tab.full is not None and tab.full.scenario == tab.scenario:
            return tab.full
        tab.full = _run(tab.network.prepared, tab.scenario, tab.network.assumptions)
        return tab.full


def resolve_stores(network: Network, texts: object, what: str) -> list[str]:
    """Dealer ids of the source-brand stores named (by id, name or part of one), read as
    every other name is (:class:`dealernet._names.Names`)."""
    from dealernet._names import Names

    if not isinstance(texts, list) or len(texts) > form.MAX_LISTED:
        raise QueryError(f"the stores to {what}: a list of at most {form.MAX_LISTED} names")
    texts = [t.strip() for t in texts if isinstance(t, str) and t.strip()]
    if not texts:
        return []
    table = network.started().decisions.table
    rows = list(table[[DEALER_ID, NAME, CITY, STATE]].astype(str).itertuples(index=False))
    shown = {i: f"{name} ({city}, {state}) [{i}]" for i, name, city, state in rows}
    spellings: dict[str, str] = {i: i for i in shown} | {v: i for i, v in shown.items()}
    for i, name, city, state in rows:
        spellings.setdefault(f"{name} ({city}, {state})", i)
    taken = Counter(name for _, name, _, _ in rows)
    for i, name, _, _ in rows:  # a name alone, when no other store has it
        if taken[name] == 1:
            spellings.setdefault(name, i)
    names = Names(
        spellings,
        kind="store",
        partial=True,
        show=lambda i: shown.get(i, i),
        source=" among this network's stores",
        fix="Copy one as this message lists it, or give its dealer id.",
    )
    return [names.match(t).value for t in texts]


def _run(prepared: Prepared, scenario: Scenario, assumptions: Assumptions) -> Result:
    with _RUN_LOCK:
        return prepared.run(scenario, assumptions, what_drives=False)


def report_stems(result: Result) -> dict[str, str]:
    """The file stem of each owner's report (the names the page links to)."""
    from dealernet.render._owner_files import report_stems as stems

    return stems(result)


@dataclass(frozen=True)
class Upload:
    """What an upload of dealer files gave: the problems found, and the network if none
    is an error."""

    report: ValidationReport
    network: Network | None
    #: The name each file was sent with, by the name it was read under.
    sent_as: dict[str, str] = field(default_factory=dict)
    #: The private folder the files were read from (removed by now).
    folder: str = ""

    def problems(self) -> list[dict[str, Any]]:
        """The problems as ``dealernet validate`` lists them, naming the files as the user
        named them (never our private folder)."""
        return [
            {
                "severity": p.severity,
                "file": self._named(str(Path(p.file).name)),
                "line": p.row,
                "row_label": p.row_label,
                "column": p.column,
                "value": None if p.value is None else self._named(str(p.value)),
                "problem": self._named(p.message),
                "fix": self._named(p.fix),
            }
            for p in self.report.problems
        ]

    def _named(self, text: str) -> str:
        for ours, sent in self.sent_as.items():
            if self.folder:
                text = text.replace(str(Path(self.folder) / ours), sent)
            if text == ours:
                text = sent
        return text.replace(self.folder + "/", "") if self.folder else text


def read_upload(files: list[tuple[str, bytes]], like: Network) -> Upload:
    """Dealer files sent from the page, read from a private temporary folder that is
    removed afterwards: never a path the page names, nothing next to the user's files."""
    from dealernet.io.loader import read_network

    if not files or len(files) > MAX_UPLOAD_FILES:
        raise QueryError(f"send 1 to {MAX_UPLOAD_FILES} dealer files")
    if sum(len(b) for _, b in files) > MAX_UPLOAD_BYTES:
        raise QueryError(f"the files pass {MAX_UPLOAD_BYTES // 1024**2} MB; send fewer")
    folder = Path(tempfile.mkdtemp(prefix="dealernet-upload-"))
    try:
        used: set[str] = set()
        sent_as = {}
        for name, payload in files:
            target = folder / _unique(_upload_name(name), used)
            target.write_bytes(payload)
            sent_as[target.name] = _base_name(name)
        loaded = read_network(folder, skip_invalid=False, raise_on_error=False)
        report = loaded.report
        if not report.ok or loaded.network is None:
            return Upload(report, None, sent_as, str(folder))
        shown = ", ".join(sorted(sent_as.values()))
        try:
            prepared = prepare(loaded.network)
        except DealernetError as exc:
            raise QueryError(str(exc)) from exc
        network = Network(
            f"your files: {shown}",
            prepared,
            like.scenario,
            like.assumptions,
            dealers=" ".join(f"--dealers {shlex.quote(n)}" for n in sorted(sent_as.values())),
        )
        return Upload(report, network, sent_as, str(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _base_name(name: str) -> str:
    """The last part of a name a browser sent (some send a Windows path)."""
    return Path(name.replace("\\", "/")).name


def _upload_name(name: str) -> str:
    """A file name of our own for an uploaded file: its stem made safe, its suffix kept
    when it is a plain one (the loader reads a file by its suffix)."""
    path = _base_name(name)
    suffix = Path(path).suffix.lower()
    if not (suffix[1:].isalnum() and len(suffix) <= 9):
        suffix = ""
    return slug(Path(path).stem or "dealers", prefix="file") + suffix


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
        n += 1
    used.add(candidate.lower())
    return candidate
