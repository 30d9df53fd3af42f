"""Writing a whole run folder, as ``dealernet run`` does: tables, files for Excel and GIS,
the national map, reports.

The one place that knows the order: tables first (``OUT/data/``), then the workbook
(``dealernet.xlsx``) and the GIS bundle (``dealernet.gpkg``, and GeoParquet in ``gis/``
when asked), then the national map, then the owner reports and the index, which link only
to files that exist by then. The folder records what made the run (``run.json``), and a
run of other inputs never writes into it unless told to replace it (``overwrite``).
:meth:`dealernet.Result.write` and the ``run`` command both call :func:`write_run`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dealernet._outdir import output_folder
from dealernet.outputs.gis_bundle import write_gis_bundle
from dealernet.outputs.run_record import run_identity
from dealernet.outputs.tables import write_tables
from dealernet.outputs.workbook import WORKBOOK, write_workbook
from dealernet.render.maps import map_path, write_map
from dealernet.render.reports import write_reports
from dealernet.settings import OWNERS_DIR

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

#: Called with (stage, done, total) as each stage of writing starts.
Progress = Callable[[str, int, int], None]
#: The stages of writing a run folder, in order.
STAGES = ("tables", "workbook and GIS bundle", "map", "owner reports")


@dataclass
class RunFiles:
    """What :func:`write_run` wrote: the tables, the national map and the report pages."""

    tables: list[Path]
    national_map: Path
    pages: list[Path] = field(default_factory=list)
    bundle: list[Path] = field(default_factory=list)

    @property
    def owner_reports(self) -> list[Path]:
        """The owner report pages (HTML) among ``pages``."""
        return [p for p in self.pages if p.suffix == ".html" and p.parent.name == OWNERS_DIR]

    @property
    def all(self) -> list[Path]:
        return [*self.tables, *self.bundle, self.national_map, *self.pages]


def write_run(
    result: Result,
    out: Path,
    *,
    reports: bool = True,
    cdn: bool = False,
    formats: tuple[str, ...] = ("gpkg",),
    overwrite: bool = False,
    progress: Progress | None = None,
) -> RunFiles:
    """Write the tables, the workbook, the GIS bundle (``formats``: ``gpkg`` always,
    ``parquet`` when asked), the national map and (unless ``reports=False``) the reports.

    The folder is checked, locked and recorded in its manifest ``run.json``
    (:func:`dealernet._outdir.output_folder`): inside ``dealernet run`` as part of the
    command's run, else as a run of its own. A library caller may write into any folder
    (``strict=False``) but not ``/``, the home folder or through a linked ``owners/``.

    Raises
    ------
    dealernet._outdir.OutputFolderError
        ``out`` holds a run made from other inputs and ``overwrite`` is false.
    """

    stages = STAGES if reports else STAGES[:-1]
    step = progress or (lambda _stage, _done, _total: None)
    with output_folder(out, "write_run", strict=False) as folder:
        folder.claim(run_identity(result), overwrite=overwrite)
        step("tables", 0, len(stages))
        tables = write_tables(result, out)
        step("workbook and GIS bundle", 1, len(stages))
        bundle = [write_workbook(result, out / WORKBOOK)]
        bundle += write_gis_bundle(result, out, formats=("gpkg", *formats))
        step("map", 2, len(stages))
        national_map = write_map(result, map_path(out), cdn=cdn, out=out)
        files = RunFiles(tables=tables, national_map=national_map, bundle=bundle)
        if reports:
            step("owner reports", 3, len(stages))
            files.pages = write_reports(
                result, out, progress=lambda label, _d, _t: step(label, 3, len(stages))
            )
    return files
