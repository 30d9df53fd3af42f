"""Regenerate the bad-input corpus in this folder: ``python tests/data/bad/make_corpus.py``.

Each file is one way a dealer or scenario file goes wrong in practice. ``EXPECTED.toml``
says which command reads it and what its message must contain; ``tests/test_corpus.py``
walks them all.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import geopandas as gpd
from openpyxl import Workbook
from shapely.geometry import Point

HERE = Path(__file__).parent
HEADER = "dealer_id,name,brand,owner_group,latitude,longitude,zip\n"
GOOD = "I-1,Infiniti of Dallas,Infiniti,Lone Star,32.9101,-96.7702,75240\n"


def csv(name: str, *rows: str, header: str = HEADER, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes((header + GOOD + "".join(rows)).encode(encoding))


def main() -> None:
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text(HEADER)
    rng = random.Random(7)
    (HERE / "binary_junk.csv").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    csv("utf16.csv", "I-2,Café Infiniti,Infiniti,G,abc,-96.7,\n", encoding="utf-16")
    csv("latin1.csv", "I-2,Peña Infiniti,Infiniti,G,95.5,-96.7,\n", encoding="latin-1")
    semi = HEADER.replace(",", ";")
    (HERE / "semicolon.csv").write_text(
        semi + GOOD.replace(",", ";") + "I-2;X;Infiniti;G;32,78;-96,7;\n"
    )
    tab = HEADER.replace(",", "\t")
    (HERE / "tab.csv").write_text(tab + GOOD.replace(",", "\t") + "I-2\tX\tInfiniti\tG\t\t\t\n")
    csv("quoted_newlines.csv", 'I-2,"Infiniti of\nDenver",Infiniti,G,39.7,-204.99,\n')
    csv("coords_decimal_comma.csv", 'I-2,X,Infiniti,G,"32,78",-96.7,\n')
    csv("coords_hemisphere.csv", "I-2,X,Infiniti,G,N 32.78,W 96.80,\n")
    csv("coords_text.csv", "I-2,X,Infiniti,G,abc,def,\n")
    csv("swapped.csv", "I-2,X,Infiniti,G,-96.80,32.78,\n")
    csv("nan_inf.csv", "I-2,X,Infiniti,G,nan,-96.7,\n", "I-3,Y,Infiniti,G,32.7,inf,\n")
    csv("duplicate_ids.csv", "I-1,Other Infiniti,Infiniti,G,33.0,-97.0,\n")
    csv("huge_cell.csv", f"I-2,{'A' * 1_000_000},Infiniti,G,33.0,-97.0,\n")
    csv("unknown_brand.csv", "I-2,X,Infinity Motors,G,33.0,-97.0,\n")
    csv("missing_column.csv", header="dealer_id,brand,latitude,longitude,zip\n")
    merged_xlsx(HERE / "merged_cells.xlsx")
    points = gpd.GeoDataFrame(
        {
            "dealer_id": [f"I-{i}" for i in range(50)],
            "name": ["X"] * 50,
            "brand": ["Infiniti"] * 50,
        },
        geometry=[Point(-96 - i / 10, 32 + i / 10) for i in range(50)],
        crs="EPSG:4326",
    )
    points.to_file(HERE / "full.gpkg", engine="pyogrio")
    data = (HERE / "full.gpkg").read_bytes()
    (HERE / "truncated.gpkg").write_bytes(data[: len(data) // 3])
    (HERE / "full.gpkg").unlink()
    text = points.to_json()
    (HERE / "truncated.geojson").write_text(text[: len(text) // 2])
    rosters()
    scenarios()


def merged_xlsx(path: Path) -> None:
    """Two sheets; the dealer sheet has merged owner cells and a merged title row."""
    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes["A1"] = "Exported from the DMS"
    sheet = book.create_sheet("Dealers")
    sheet["A1"] = "Infiniti dealers, Q3"
    sheet.merge_cells("A1:F1")
    sheet.append(["dealer_id", "name", "brand", "owner_group", "latitude", "longitude"])
    sheet.append(["I-1", "Infiniti of Dallas", "Infiniti", "Lone Star", 32.91, -96.77])
    sheet.append(["I-2", "Infiniti of Plano", "Infiniti", None, 33.02, -96.70])
    sheet.append(["I-3", "Infiniti of Frisco", "Infiniti", None, 33.15, -96.82])
    sheet.merge_cells("D3:D5")  # the owner shown once for three stores
    sheet.merge_cells("A6:A7")  # an id cell merged over two rows: the second row has none
    sheet.append(["", "Infiniti of Irving", "Infiniti", "Lone Star", 32.85, -96.95])
    book.save(path)


#: One dealer as a maker's locator publishes it (schema.org ``AutoDealer``, nested keys).
ROSTER_DEALER = {
    "address": {
        "addressCountry": "US",
        "addressLocality": "Des Moines",
        "addressRegion": "IA",
        "postalCode": "50325",
        "streetAddress": "2121 Northwest 100Th St",
    },
    "department": [{"name": "Service", "telephone": "515-252-8361"}],
    "geo": {"latitude": "41.612764", "longitude": "-93.754076"},
    "id": "72254",
    "name": "Willis Nissan",
    "telephone": "866-512-0971",
    "url": "http://www.willisnissan.com",
}


def rosters() -> None:
    """Dealer-locator JSON and its flattened CSV gone wrong."""
    other = {
        **ROSTER_DEALER,
        "name": "Willis Nissan West",
        "geo": {"latitude": "41.6", "longitude": "-93.8"},
    }
    text = json.dumps([ROSTER_DEALER, {**other, "id": "72255"}], indent=2)
    (HERE / "roster_truncated.json").write_text(text[: len(text) // 2])
    (HERE / "roster_not_objects.json").write_text('["72254", "72255"]\n')
    (HERE / "roster_nissan_duplicate_code.json").write_text(
        json.dumps([ROSTER_DEALER, other], indent=2) + "\n"
    )
    (HERE / "roster_no_location.csv").write_text(
        "id,name,brand,telephone,address.addressCountry\n72254,Willis Nissan,Nissan,866,US\n"
    )
    (HERE / "roster_slashed_text_coords.csv").write_text(
        "id,name,brand,geo/latitude,geo/longitude,address/postalCode\n"
        "72254,Willis Nissan,Nissan,41.612764,-93.754076,50325\n"
        "72255,Willis Nissan West,Nissan,abc,-93.8,50325\n"
    )


def scenarios() -> None:
    base = '[scenario]\nname = "x"\nsource_brand = "Infiniti"\nhost_brand = "Nissan"\n'
    (HERE / "scenario_syntax_error.toml").write_text(base + "[[rules]\nid = 'a'\n")
    (HERE / "scenario_unknown_action.toml").write_text(
        base + '[[rules]]\nid = "a"\naction = "merge"\n'
    )
    (HERE / "scenario_duplicate_ids.toml").write_text(
        base + '[[rules]]\nid = "a"\naction = "keep"\nwhen = "state == \'TX\'"\n'
        '[[rules]]\nid = "a"\naction = "close"\n'
    )
    (HERE / "scenario_injection.toml").write_text(
        base + '[[rules]]\nid = "evil"\naction = "keep"\n'
        "when = \"__import__('os').system('touch /tmp/dealernet-pwned')\"\n"
    )


if __name__ == "__main__":
    main()
