"""Writing a whole run folder, as ``dealernet run`` does: tables, the national map, reports.

The one place that knows the order: tables first (``OUT/data/``), then the national map,
then the owner reports and the index, which link only to files that exist by then.
:meth:`dealernet.Result.write` and the ``run`` command both call :func:`write_run`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dealernet._outdir import output_folder
from dealernet.outputs.tables import write_tables
from dealernet.render.maps import map_path, write_map
from dealernet.render.reports import write_reports
from dealernet.settings import OWNERS_DIR

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

#: Called with (stage, done, total) as each stage of writing starts.
Progress = Callable[[str, int, int], None]
#: The stages of writing a run folder, in order.
STAGES = ("tables", "map", "owner reports")


@dataclass
class RunFiles:
    """What :func:`write_run` wrote: the tables, the national map and the report pages."""

    tables: list[Path]
    national_map: Path
    pages: list[Path] = field(default_factory=list)

    @property
    def owner_reports(self) -> list[Path]:
        """The owner report pages (HTML) among ``pages``."""
        return [p for p in self.pages if p.suffix == ".html" and p.parent.name == OWNERS_DIR]

    @property
    def all(self) -> list[Path]:
        return [*self.tables, self.national_map, *self.pages]


def write_run(
    result: Result,
    out: Path,
    *,
    reports: bool = True,
    cdn: bool = False,
    progress: Progress | None = None,
) -> RunFiles:
    """Write the tables, the national map and (unless ``reports=False``) the owner reports.

    The folder is checked, locked and recorded in its manifest
    (:func:`dealernet._outdir.output_folder`): inside ``dealernet run`` as part of the
    command's run, else as a run of its own. A library caller may write into any folder
    (``strict=False``) but not ``/``, the home folder or through a linked ``owners/``.
    """

    stages = STAGES if reports else STAGES[:-1]
    step = progress or (lambda _stage, _done, _total: None)
    with output_folder(out, "write_run", strict=False):
        step("tables", 0, len(stages))
        tables = write_tables(result, out)
        step("map", 1, len(stages))
        national_map = write_map(result, map_path(out), cdn=cdn, out=out)
        files = RunFiles(tables=tables, national_map=national_map)
        if reports:
            step("owner reports", 2, len(stages))
            files.pages = write_reports(
                result, out, progress=lambda label, _d, _t: step(label, 2, len(stages))
            )
    return files
