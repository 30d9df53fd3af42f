"""Draw ``docs/img/gis-bundle.png``: the GIS bundle's stores, moves and states, as read back.

The picture is made from the GeoPackage itself, not from the run in memory: the layers are
read back with pyogrio and drawn with the colours, shapes and classes of the QGIS styles
stored in its ``layer_styles`` table, so it shows what a GIS user gets.

Run from the repository root (about 10 s; matplotlib is a development dependency)::

    python docs/make_gis_picture.py            # the real 2015 roster
    python docs/make_gis_picture.py --sample   # the synthetic sample
"""

from __future__ import annotations

import argparse
import math
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import pyogrio
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import dealernet
from dealernet.outputs.gis_bundle import write_gis_bundle

OUT = Path(__file__).resolve().parent / "img" / "gis-bundle.png"
#: Lower 48 (west, east, south, north), as the interactive map's national view.
EXTENT = (-125.0, -66.0, 24.0, 49.5)
#: QGIS marker names -> matplotlib markers.
MARKERS = {"triangle": "^", "square": "s", "circle": "o", "diamond": "D"}
WIDTH_PX, HEIGHT_PX, DPI = 1200, 750, 100


def qgis_colour(value: str) -> tuple[float, float, float, float]:
    """QGIS ``r,g,b,a`` as a matplotlib colour."""
    red, green, blue, alpha = (int(v) for v in value.split(","))
    return red / 255, green / 255, blue / 255, alpha / 255


def symbols(root: ET.Element) -> dict[str, dict[str, str]]:
    """Each symbol of a QML style: its properties by name."""
    return {
        str(s.get("name")): {str(o.get("name")): str(o.get("value")) for o in s.iter("Option")}
        for s in root.iter("symbol")
    }


def read_styles(gpkg: Path) -> dict[str, ET.Element]:
    """The default QML style of each layer, parsed."""
    table = pyogrio.read_dataframe(gpkg, layer="layer_styles")
    table = table[table["useAsDefault"]]
    return dict(zip(table["f_table_name"], map(ET.fromstring, table["styleQML"]), strict=True))


def draw(gpkg: Path, title: str, origin: str) -> plt.Figure:
    styles = read_styles(gpkg)
    states = pyogrio.read_dataframe(gpkg, layer="states")
    moves = pyogrio.read_dataframe(gpkg, layer="moves")
    stores = pyogrio.read_dataframe(gpkg, layer="stores")

    fig = plt.figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    ax = fig.add_axes((0.01, 0.02, 0.98, 0.86))
    ax.set_axis_off()

    # states by jobs lost, with the style's classes (lower < value <= upper, first inclusive)
    fills = symbols(styles["states"])
    legend_fill = []
    for i, rng in enumerate(styles["states"].iter("range")):
        lower, upper = float(rng.get("lower", 0)), float(rng.get("upper", 0))
        values = states["jobs_lost_base"]
        inside = (values <= upper) & ((values > lower) if i else (values >= lower))
        props = fills[str(rng.get("symbol"))]
        colour, edge = qgis_colour(props["color"]), qgis_colour(props["outline_color"])
        states[inside].plot(ax=ax, color=colour, edgecolor=edge, linewidth=0.5)
        legend_fill.append(Patch(facecolor=colour, edgecolor=edge, label=rng.get("label")))

    line = next(iter(symbols(styles["moves"]).values()))
    segments = [list(geom.coords) for geom in moves.geometry if geom is not None]
    ax.add_collection(LineCollection(segments, colors=[qgis_colour(line["line_color"])], lw=1.1))

    markers = symbols(styles["stores"])
    legend_decision = []
    for category in styles["stores"].iter("category"):
        props = markers[str(category.get("symbol"))]
        chosen = stores[stores["decision"] == category.get("value")]
        if chosen.empty:  # no empty legend classes: a reader looks for what is not there
            continue
        style = {
            "marker": MARKERS[props["name"]],
            "color": qgis_colour(props["color"]),
            "markeredgecolor": qgis_colour(props["outline_color"]),
            "markeredgewidth": 0.6,
            "linestyle": "none",
        }
        ax.plot(chosen.geometry.x, chosen.geometry.y, markersize=6.5, zorder=3, **style)
        label = f"{category.get('label')} ({len(chosen):,})"
        legend_decision.append(Line2D([], [], markersize=8, label=label, **style))
    legend_decision.append(
        Line2D([], [], color=qgis_colour(line["line_color"]), lw=1.5, label="Move to host")
    )

    west, east, south, north = EXTENT
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    first = ax.legend(
        handles=legend_decision,
        loc="lower left",
        fontsize=9,
        title="Store decision",
        title_fontsize=9.5,
        frameon=True,
        framealpha=0.92,
    )
    ax.add_artist(first)
    ax.legend(
        handles=legend_fill,
        loc="lower right",
        fontsize=9,
        title="Jobs lost (base) per state",
        title_fontsize=9.5,
        frameon=True,
        framealpha=0.92,
    )
    fig.text(0.01, 0.955, title, fontsize=14, weight="bold", va="center")
    fig.text(0.01, 0.915, origin, fontsize=9.5, color="#4a5160", va="center")
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="the synthetic sample network")
    parser.add_argument("--out", type=Path, default=OUT, help=f"default {OUT}")
    args = parser.parse_args()
    plt.switch_backend("Agg")  # files only, also where a display is set
    network = dealernet.load_network("sample" if args.sample else "real-2015")
    result = dealernet.run(network, what_drives=False)
    with tempfile.TemporaryDirectory() as folder:
        (gpkg,) = write_gis_bundle(result, Path(folder))
        title = "dealernet.gpkg in any GIS: stores by decision, moves to hosts, jobs lost"
        origin = f"{result.scenario.name}. Data: {result.data_origin}"
        fig = draw(gpkg, title, origin)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=DPI)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
