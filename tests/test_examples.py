"""Every shell example in the docs and in each command's ``--help`` runs and finds rows.

Examples are the lines starting ``dealernet`` (or ``python -m dealernet``, or after
``&&``) in the ``Examples:`` block of each command's ``--help`` and in the shell code
blocks (``bash``, ``sh``, ``shell``, ``console`` or unmarked) of README.md and
docs/**/*.md, globbed when the tests are collected, so a new page is covered. A line
ending in ``\\`` or inside an open quote continues on the next. Each example runs
in-process through click's ``CliRunner``, in a fresh folder of its own, against the data
it names: the bundled real 2015 roster when it gives no ``--dealers``, as for a user (so
its owner names must be that roster's, which :func:`test_owner_names_are_in_the_data`
checks). It fails on a non-zero exit, and on no rows from ``query``, ``sql`` or ``map``.

To keep the file near a minute on two cores, this is what changes, and nothing else:

- ``--set monte_carlo.draws=200 --set monte_carlo.market_draws=2`` is added to every
  command that runs an analysis (not with ``--results``, which cannot change a finished
  run): a tenth of the shipped 2,000 draws and 2 of the 16 market solves give coarser
  ranges over the same stores, in half the time;
- ``run`` examples get ``--no-sensitivity``: varying each assumption alone and running
  every shipped scenario takes 6-8 s a run (tests/test_sensitivity.py checks it);
- a whole run (``run``, ``report --all``) writes the reports of its first
  :data:`REPORTS_PER_RUN` affected owner groups, not all (139 on the 2015 roster): each
  takes 0.2-0.3 s, and tests/test_run.py writes every report of a run;
- work done once: :func:`dealernet.run`, the owner inference and the competitor rosters
  it reads (:data:`ONCE`) are pure functions of their inputs, so an example whose inputs
  another example already ran (a sweep or comparison reruns the same roster per value)
  gets a copy of that answer;
- the files the examples call the user's (:data:`YOUR_FILES`: ``my_dealers/``,
  ``my_dealers.xlsx``, ``blocks/``, ...) are made from the bundled data in the example's
  folder; ``--results DIR`` is a copy of one finished ``dealernet run`` (draws as above);
  an absolute path is moved inside the example's folder, so nothing is written elsewhere.

``dealernet serve`` examples start their server, answer one request for the page and stop
(:func:`answer_once`). Skipped, and only these, each with its reason in :data:`SKIPS`:
``--pdf`` and ``--scheduler tcp://...``.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import pickle
import re
import shlex
import shutil
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dealernet.cli.main import cli
from helpers import DEALERS, REAL_2015, ROOT

#: Owner reports a whole run writes here (see the module notes).
REPORTS_PER_RUN = 3
#: Draws of every analysis run here (see the module notes).
DRAWS = ("monte_carlo.draws=200", "monte_carlo.market_draws=2")
#: Commands that run an analysis, so take ``--set`` (unless reading ``--results``).
ANALYSES = {"run", "map", "report", "query", "sql", "compare", "sweep", "serve"}
#: Commands whose examples promise rows: an empty answer is a broken example.
ROWS = {"query", "sql", "map"}
#: Examples not run: (what in the command line, why).
SKIPS = (
    ("--pdf", "prints PDFs with headless Chromium; tests/test_pdf.py prints them"),
    (
        "--scheduler tcp://",
        "needs a running Dask cluster at that address; the same engine runs on a local "
        "cluster in `--engine dask` examples and tests/test_access_dask.py",
    ),
)
#: Code blocks of these languages hold shell examples (plus blocks with no language).
SHELLS = {"", "bash", "sh", "shell", "console", "zsh", "shell-session"}
#: Pure functions computed once per distinct input here (module, name): the analysis, and
#: the two slow steps every analysis of one roster repeats (see the module notes).
ONCE = (
    ("dealernet.analysis.pipeline", "run"),
    ("dealernet.io.owners", "infer_owners"),
    ("dealernet.io.competitors", "load_competitors"),
)
#: The markdown files whose examples run.
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("**/*.md")])


@dataclass
class Example:
    """One command line and every place that shows it."""

    argv: tuple[str, ...]
    sources: list[str] = field(default_factory=list)
    #: Files the text writes before the example (a heredoc), name -> content.
    files: dict[str, str] = field(default_factory=dict)

    @property
    def command(self) -> str:
        return self.argv[0] if self.argv else ""

    def option(self, name: str) -> list[str]:
        """The values given to ``name`` (``--owner X --owner Y`` -> ``[X, Y]``)."""
        return [v for k, v in zip(self.argv, self.argv[1:], strict=False) if k == name]

    @property
    def text(self) -> str:
        return "dealernet " + shlex.join(self.argv)


# --- finding the examples -------------------------------------------------------------------


def command_lines(lines: list[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    """``(line number, argv after dealernet)`` for each example in ``lines``.

    Joins a line ending in a backslash, or with an open quote, to the next, reads it as a
    POSIX shell would (comments dropped) and splits it at ``&&``, ``||``, ``;`` and ``|``.
    """
    pending, start = "", 0
    for number, line in lines:
        text = line.strip()
        if not pending:
            start = number
            text = re.sub(r"^[$%] ", "", text)
        joined = f"{pending}\n{text}" if pending else text
        if joined.endswith("\\"):
            pending = joined[:-1]
            continue
        try:
            tokens = shlex.split(joined, comments=True)
        except ValueError:  # an open quote: the statement goes on
            pending = joined
            continue
        pending = ""
        part: list[str] = []
        for token in [*tokens, ";"]:
            if token in ("&&", "||", ";", "|"):
                if part[:1] == ["dealernet"]:
                    yield start, part[1:]
                elif part[:3] == ["python", "-m", "dealernet"]:
                    yield start, part[3:]
                part = []
            else:
                part.append(token)


#: Where one example is shown, its argv after ``dealernet``, and files the text writes
#: before it (name -> content).
Found = tuple[str, list[str], dict[str, str]]
#: ``cat > NAME <<'EOF'`` (or ``<<EOF``, ``<< "EOF"``): a file the page writes.
HEREDOC = re.compile(r"""^\s*cat\s*>\s*(\S+)\s*<<-?\s*(['"]?)(\w+)\2\s*$""")


def help_examples() -> Iterator[Found]:
    """Each command's ``--help`` examples, as the user sees them."""
    runner = CliRunner()
    for name in sorted(cli.commands):
        text = runner.invoke(cli, [name, "--help"], terminal_width=100).output
        block = text.split("Examples:", 1)[1].split("\n\n", 1)[0] if "Examples:" in text else ""
        lines = list(enumerate(block.splitlines(), 1))
        for number, (_, argv) in enumerate(command_lines(lines), 1):
            yield f"dealernet {name} --help, example {number}", argv, {}


def page_examples(page: Path) -> Iterator[Found]:
    """The examples in a markdown page's shell code blocks, each with the files that
    heredocs earlier on the page write (``cat > my_plan.toml <<'EOF'``)."""
    fence, lang, lines = None, "", []
    files: dict[str, str] = {}
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        found = re.match(r"^\s*(`{3,}|~{3,})\s*([\w-]*)", line)
        if fence is None and found:
            fence, lang, lines = found[1], found[2].lower(), []
        elif fence is not None and line.strip().startswith(fence):
            if lang in SHELLS:
                for start, argv in command_lines(without_heredocs(lines, files)):
                    yield f"{page.relative_to(ROOT)}:{start}", argv, dict(files)
            fence = None
        elif fence is not None:
            lines.append((number, line))


def without_heredocs(lines: list[tuple[int, str]], files: dict[str, str]) -> list[tuple[int, str]]:
    """``lines`` less their heredocs, whose files are added to ``files``."""
    kept: list[tuple[int, str]] = []
    name, end, body = None, "", []
    for number, line in lines:
        if name is not None:
            if line.strip() == end:
                files[name], name = "\n".join(body) + "\n", None
            else:
                body.append(line)
        elif found := HEREDOC.match(line):
            name, end, body = found[1], found[3], []
        else:
            kept.append((number, line))
    return kept


def all_examples() -> list[Example]:
    """Every example once, with every place that shows it."""
    found: dict[tuple[str, ...], Example] = {}
    sources = [help_examples(), *(page_examples(p) for p in PAGES)]
    for source in sources:
        for where, argv, files in source:
            example = found.setdefault(tuple(argv), Example(tuple(argv)))
            example.sources.append(where)
            example.files.update(files)
    return list(found.values())


EXAMPLES = all_examples()


def skip_reason(example: Example) -> str | None:
    text = " ".join(example.argv)
    return next((why for what, why in SKIPS if what in text), None)


# --- what the examples run on ---------------------------------------------------------------


def _xlsx(sources: list[Path], target: Path) -> None:
    import pandas as pd

    frame = pd.concat([pd.read_csv(s, dtype=str, keep_default_na=False) for s in sources])
    frame.to_excel(target, index=False)


def _owners(target: Path) -> None:
    """Two real 2015 Texas stores given to one owner group, as a user's owners file."""
    with (REAL_2015 / "infiniti.csv").open(encoding="utf-8", newline="") as handle:
        ids = [r["dealer_id"] for r in csv.DictReader(handle) if r["state"] == "TX"][:2]
    target.write_text("dealer_id,owner_group\n" + "".join(f"{i},Lone Star Motors\n" for i in ids))


def _blocks(target: Path) -> None:
    """A population dataset of two GeoParquet files: every fifth shipped place."""
    import geopandas as gpd
    import numpy as np

    from dealernet.geo.places import load_places

    places = load_places().iloc[::5].reset_index(drop=True)
    points = gpd.points_from_xy(places["longitude"], places["latitude"], crs="EPSG:4326")
    gdf = gpd.GeoDataFrame(places.drop(columns=["latitude", "longitude"]), geometry=points)
    target.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(gdf)), 2)):
        gdf.iloc[rows].to_parquet(target / f"part.{i}.parquet", row_group_size=500)


def _folder(target: Path) -> None:
    shutil.copytree(DEALERS, target, ignore=shutil.ignore_patterns("*.md"))


#: The files examples call the user's, made from the bundled data (the synthetic sample,
#: which has owners and sales like a user's files; the owners file names real 2015 stores,
#: since ``run --owners FILE`` reads the default roster).
YOUR_FILES: dict[str, Callable[[Path], None]] = {
    "my_dealers": _folder,
    "dealers": _folder,
    "my_dealers.csv": lambda t: shutil.copy(DEALERS / "infiniti.csv", t),
    "my_dealers.xlsx": lambda t: _xlsx([DEALERS / "infiniti.csv", DEALERS / "nissan.csv"], t),
    "my_extra_sites.xlsx": lambda t: _xlsx([DEALERS / "nissan.csv"], t),
    "my_owners.csv": _owners,
    "blocks": _blocks,
}


@pytest.fixture(scope="module")
def your_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("your-files")
    for name, make in YOUR_FILES.items():
        make(folder / name)
    return folder


class _Key(pickle.Pickler):
    """Pickles a function as what makes it: its code's place and its closure's values (a
    scenario holds its rules' conditions as closures, which pickle cannot write)."""

    def reducer_override(self, obj: Any) -> Any:
        if not isinstance(obj, types.FunctionType):
            return NotImplemented
        cells = []
        for cell in obj.__closure__ or ():
            try:
                cells.append(cell.cell_contents)
            except ValueError:  # a cell not yet filled
                cells.append(None)
        code = obj.__code__
        where = (obj.__module__, obj.__qualname__, code.co_filename, code.co_firstlineno)
        return tuple, ((*where, tuple(cells), obj.__defaults__),)


def _key(value: Any) -> str:
    buffer = io.BytesIO()
    _Key(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def _memo(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` computing each distinct set of inputs once and handing out copies."""
    done: dict[str, Any] = {}

    def memo(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("progress", None)  # a progress bar does not change the answer
        try:
            key = _key((args, sorted(kwargs.items())))
        except Exception:  # an input that does not pickle: just compute it
            return function(*args, **kwargs)
        if key not in done:
            done[key] = copy.deepcopy(function(*args, **kwargs))
        return copy.deepcopy(done[key])

    return memo


@pytest.fixture(scope="module", autouse=True)
def quick() -> Iterator[None]:
    """The speed-ups of the module notes: :data:`ONCE`, and few owner reports a run."""
    import importlib

    from dealernet.render import reports

    all_owners = reports.affected_owners
    with pytest.MonkeyPatch.context() as patch:
        for module_name, name in ONCE:
            original = getattr(importlib.import_module(module_name), name)
            memo = _memo(original)
            for loaded in [m for n, m in sys.modules.items() if n.startswith("dealernet")]:
                if getattr(loaded, name, None) is original:
                    patch.setattr(loaded, name, memo)
        patch.setattr(reports, "affected_owners", lambda r: all_owners(r)[:REPORTS_PER_RUN])
        yield


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory, quick: None) -> Path:
    """One finished ``dealernet run`` of the default roster, for ``--results`` examples
    (run as the ``dealernet run`` example is, so the two share one analysis)."""
    out = tmp_path_factory.mktemp("finished") / "maps"
    argv = ["run", *fewer_draws([]), "--no-sensitivity", "--out", str(out)]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    return out


# --- running one ----------------------------------------------------------------------------


@dataclass
class Rows:
    """Rows the library answered with, by command (filled by :func:`count_rows`)."""

    counts: list[int] = field(default_factory=list)


@pytest.fixture
def count_rows(monkeypatch: pytest.MonkeyPatch) -> Rows:
    """Record the rows of each query, SQL answer and map selection an example makes."""
    import importlib

    query = importlib.import_module("dealernet.planning.query")
    sql = importlib.import_module("dealernet.planning.sql")
    maps = importlib.import_module("dealernet.render.maps")
    rows = Rows()

    def spy(function: Callable[..., Any], count: Callable[..., int]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            answer = function(*args, **kwargs)
            rows.counts.append(count(answer, *args, **kwargs))
            return answer

        return wrapper

    def query_rows(answer: Any, *_: Any, **__: Any) -> int:
        return len(answer.groups if answer.group_by else answer.sites)

    def map_rows(_answer: Any, _result: Any, _path: Any, selection: Any = None, **kw: Any) -> int:
        return -1 if selection is None else int(selection.mask.sum())

    monkeypatch.setattr(query, "query", spy(query.query, query_rows))
    monkeypatch.setattr(sql, "run_sql", spy(sql.run_sql, lambda frame, *a, **k: len(frame)))
    monkeypatch.setattr(maps, "write_map", spy(maps.write_map, map_rows))
    return rows


def prepared(example: Example, here: Path, your_files: Path, finished: Path | None) -> list[str]:
    """The example's argv as run here (see the module notes), its inputs laid out in
    ``here``."""
    for name, text in example.files.items():
        (here / name).parent.mkdir(parents=True, exist_ok=True)
        (here / name).write_text(text, encoding="utf-8")
    for name in YOUR_FILES:
        if any(Path(a.rstrip("/")).name == name for a in example.argv):
            source = your_files / name
            copy_to = here / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, copy_to)
    argv = [str(here / a.lstrip("/")) if a.startswith("/") else a for a in example.argv]
    for results in example.option("--results"):
        assert finished is not None
        where = Path(results)
        shutil.copytree(finished, where if where.is_absolute() else here / where)
    if example.command in ANALYSES and not example.option("--results"):
        argv += fewer_draws(argv)
    if example.command == "run" and not {"--sensitivity", "--no-sensitivity"} & set(argv):
        argv.append("--no-sensitivity")
    return argv


def answer_once(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``dealernet serve`` examples serve their page to one request, then stop: on any free
    port (two examples may name the same one), and no browser is opened. Returns the
    statuses the page was answered with (a served-beyond-this-machine page needs the token
    it printed, so a request without it is refused)."""
    import uvicorn
    from starlette.testclient import TestClient

    from dealernet.cli import serve

    statuses: list[int] = []
    bind = serve.bind

    def once(server: uvicorn.Server, sockets: list[Any]) -> None:
        for listening in sockets:
            listening.close()
        with TestClient(server.config.app, base_url="http://127.0.0.1") as client:
            statuses.append(client.get("/").status_code)

    monkeypatch.setattr(serve, "bind", lambda host, port: bind("127.0.0.1", 0))
    monkeypatch.setattr(uvicorn.Server, "run", once)
    monkeypatch.setattr(serve.webbrowser, "open", lambda *a, **k: True)
    return statuses


def fewer_draws(argv: list[str]) -> list[str]:
    """``--set`` options for :data:`DRAWS` the command line does not set itself."""
    given = {a.split("=", 1)[0] for a in argv}
    return [x for d in DRAWS if d.split("=", 1)[0] not in given for x in ("--set", d)]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: " ".join(e.text.split()))
def test_example_runs(
    example: Example,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    your_files: Path,
    count_rows: Rows,
) -> None:
    if why := skip_reason(example):
        pytest.skip(why)
    finished = request.getfixturevalue("finished_run") if example.option("--results") else None
    here = tmp_path / "here"
    here.mkdir()
    argv = prepared(example, here, your_files, finished)
    monkeypatch.chdir(here)
    served = answer_once(monkeypatch) if example.command == "serve" else None
    result = CliRunner().invoke(cli, argv, terminal_width=100)
    shown = f"{example.text}\n(shown in {', '.join(example.sources)})\n{result.output[-3000:]}"
    if result.exception and not isinstance(result.exception, SystemExit):
        raise AssertionError(shown) from result.exception
    assert result.exit_code == 0, shown
    if served is not None:  # the server started, answered its page once, and stopped
        assert served == [200 if "--host" not in argv else 403], shown
    if example.command in ROWS and "--help" not in example.argv:
        assert count_rows.counts, f"no answer recorded: {shown}"
        assert all(n != 0 for n in count_rows.counts), f"no rows: {shown}"


# --- what the examples say ------------------------------------------------------------------


def owner_groups(data: str, finished: Path) -> list[str]:
    """Owner groups of ``data``: ``results`` (the finished run) or a ``--dealers`` value."""
    if data == "results":
        path = finished / "data" / "owners.csv"
        text = path.read_text(encoding="utf-8-sig")  # written for Excel, with a BOM
    else:
        argv = ["query", "--group-by", "owner", "--format", "csv", *fewer_draws([])]
        result = CliRunner().invoke(cli, argv + (["--dealers", data] if data else []))
        assert result.exit_code == 0, result.output
        text = result.stdout  # the notes go to standard error
    return [row["owner_group"] for row in csv.DictReader(io.StringIO(text))]


def test_owner_names_are_in_the_data(finished_run: Path) -> None:
    """Every ``--owner NAME`` names a group of the data its example runs on, as typed or
    as part of the name: never only as a close spelling the command would correct."""
    from dealernet.planning.selection import owner_names

    groups: dict[str, list[str]] = {}
    checked = 0
    for example in EXAMPLES:
        names = example.option("--owner")
        if not names:
            continue
        dealers = example.option("--dealers") or example.option("-d")
        data = "results" if example.option("--results") else ",".join(dealers)
        if data not in ("results", "", "sample", "real-2015"):
            continue  # the user's own files: their owners are theirs
        key = "real-2015" if data == "" else data
        if key not in groups:
            groups[key] = owner_groups(data if data != "real-2015" else "", finished_run)
        known = owner_names(groups[key], fix="")
        for name in names:
            where = f"{example.text} (in {', '.join(example.sources)})"
            match = known.match(name)  # raises, listing close names, when there is none
            assert name.casefold() in match.value.casefold(), (
                f"{where}: {name!r} is only a close spelling of {match.value!r} in {key}"
            )
            checked += 1
    assert checked >= 3


def test_every_help_example_is_found() -> None:
    """Each command's help shows examples, and backslash and quoted lines join."""
    by_command: dict[str, int] = {}
    for where, argv, _ in help_examples():
        by_command[argv[0]] = by_command.get(argv[0], 0) + 1
        assert not any(a.startswith("\\") or a == "" for a in argv), where
    assert set(by_command) == set(cli.commands)
    joined = [a for _, a, _ in help_examples() if "--set" in a and a[0] == "compare"]
    assert ["compare", "consolidation", "all-stand-alone", "--set"] in [a[:4] for a in joined]


def test_lines_join_as_a_shell_reads_them() -> None:
    lines = [
        (1, '$ dealernet sql "SELECT a'),
        (2, '   FROM b"  # a comment'),
        (3, "pip install -e . && dealernet run \\"),
        (4, "    --out results"),
        (5, "echo dealernet"),
        (6, "cat > plan.toml <<'EOF'"),
        (7, "dealernet is not run here"),
        (8, "EOF"),
    ]
    files: dict[str, str] = {}
    assert list(command_lines(without_heredocs(lines, files))) == [
        (1, ["sql", "SELECT a\nFROM b"]),
        (3, ["run", "--out", "results"]),
    ]
    assert files == {"plan.toml": "dealernet is not run here\n"}
