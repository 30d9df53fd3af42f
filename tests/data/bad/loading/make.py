"""Regenerate the loading corpus: ``python tests/data/bad/loading/make.py``.

Each file is one way a dealer file loads wrongly without a word: a row shifted by an
unquoted comma, one Windows-1252 byte in a UTF-8 file, two columns for one field, a state
that disagrees with the coordinates, NUL bytes deep in a file, absurd figures, odd GIS and
workbook files, and workbooks built to exhaust time or memory. ``EXPECTED.toml`` holds the
expected outcome of each; files too big to commit are made at test time by ``setup.py``.
Deterministic: running it twice gives the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
HEADER = "dealer_id,name,brand,address,city,state,zip,latitude,longitude,annual_new_units\n"
DALLAS = "L-1,Infiniti of Dallas,Infiniti,100 Main St,Dallas,TX,75201,32.7767,-96.7970,820\n"
AUSTIN = "L-2,Infiniti of Austin,Infiniti,200 Congress Ave,Austin,TX,78701,30.2672,-97.7431,640\n"
#: A fixed zip timestamp, so the workbooks are byte-identical from run to run.
_DATE = (2024, 1, 1, 0, 0, 0)


def csv(name: str, *rows: str, header: str = HEADER) -> None:
    (HERE / name).write_bytes((header + "".join(rows)).encode("utf-8"))


def raw(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def main() -> None:
    csv_cases()
    value_cases()
    gis_cases()
    workbook_cases()


def csv_cases() -> None:
    # 1. An unquoted comma in the address shifts the row one cell right.
    csv(
        "comma_shift.csv",
        DALLAS,
        "L-3,Infiniti of Plano,Infiniti,1 Elm St, Suite 5,Plano,TX,75023,33.0198,-96.6989,76,701\n",
        AUSTIN,
    )
    # A short row (a cell lost): a warning would hide it, so it is an error too.
    csv("short_row.csv", DALLAS, "L-3,Infiniti of Plano,Infiniti,1 Elm St,Plano,TX,75023\n")
    # 2. One Windows-1252 byte (0xE9, é) in an otherwise UTF-8 file.
    data = (
        HEADER + "L-1,Müller Infiniti,Infiniti,100 Main St,Dallas,TX,75201,32.7767,-96.7970,820\n"
    ).encode("utf-8")
    data += (
        "L-2,Café Infiniti,Infiniti,200 Congress Ave,Austin,TX,78701,30.2672,-97.7431,640\n".encode(
            "cp1252"
        )
    )
    raw("mixed_encoding.csv", data)
    # Plain Windows-1252 throughout stays readable, no warning.
    raw(
        "cp1252_whole.csv",
        (HEADER + DALLAS.replace("Infiniti of Dallas", "Peña Infiniti")).encode("cp1252"),
    )
    # 3. Two columns for one field.
    both = "dealer_id,name,brand,state,zip,lat,latitude,longitude\n"
    csv(
        "lat_and_latitude.csv",
        "L-1,Infiniti of Dallas,Infiniti,TX,75201,32.7767,37.7767,-96.7970\n",
        header=both,
    )
    csv(
        "lat_and_latitude_same.csv",
        "L-1,Infiniti of Dallas,Infiniti,TX,75201,32.7767,32.7767,-96.7970\n",
        header=both,
    )
    csv(
        "two_names.csv",
        "L-1,Infiniti of Dallas,Dallas Infiniti,Infiniti,32.7767,-96.7970\n",
        header="dealer_id,name,name,brand,latitude,longitude\n",
    )
    csv(
        "id_and_dealer_id.csv",
        "1,L-1,Infiniti of Dallas,Infiniti,32.7767,-96.7970\n",
        header="id,dealer_id,name,brand,latitude,longitude\n",
    )
    # 6. A NUL byte and other control characters after the first 4 KB.
    filler = "".join(
        f"L-{i},Infiniti {i},Infiniti,{i} Main St,Dallas,TX,75201,32.7767,-96.{7000 + i},10\n"
        for i in range(10, 90)
    )
    csv(
        "nul_late.csv",
        filler,
        "L-99,Infiniti\x00 of Nul,Infiniti,1 St,Dallas,TX,75201,32.7,-96.7,10\n",
    )
    csv(
        "control_char.csv",
        DALLAS,
        "L-3,Infiniti\x1b[31m Red,Infiniti,1 St,Plano,TX,75023,33.0198,-96.6989,10\n",
    )
    csv("nul_early.csv", DALLAS.replace("Main", "Ma\x00in"))
    # Header variants and line endings that must keep working.
    raw("bom_crlf.csv", b"\xef\xbb\xbf" + (HEADER + DALLAS + AUSTIN).replace("\n", "\r\n").encode())
    raw(
        "cr_only.csv",
        (HEADER + DALLAS + AUSTIN + "L-3,X,Infiniti,,,,,abc,-97,1\n").replace("\n", "\r").encode(),
    )
    csv("header_repeated.csv", DALLAS, HEADER, AUSTIN)
    csv("trailing_commas.csv", DALLAS, AUSTIN, ",,,,,,,,,\n" * 5)
    csv(
        "blank_id.csv",
        DALLAS,
        "   ,Infiniti of Plano,Infiniti,1 Elm St,Plano,TX,75023,33.0198,-96.6989,10\n",
    )
    csv(
        "id_spaces.csv",
        DALLAS,
        " L-1 ,Infiniti of Plano,Infiniti,1 Elm St,Plano,TX,75023,33.0198,-96.6989,10\n",
    )
    csv(
        "id_case.csv",
        DALLAS,
        "l-1,Infiniti of Plano,Infiniti,1 Elm St,Plano,TX,75023,33.0198,-96.6989,10\n",
    )
    wide = ",".join(f"c{i}" for i in range(3000))
    csv("wide_header.csv", "L-1,X,Infiniti\n", header="dealer_id,name,brand," + wide + "\n")


def value_cases() -> None:
    # 5. States: unknown, and disagreeing with the coordinates.
    csv("state_zz.csv", DALLAS, AUSTIN.replace(",TX,", ",ZZ,"))
    csv("state_wrong.csv", DALLAS.replace(",TX,", ",CA,"), AUSTIN)
    csv("state_name.csv", DALLAS.replace(",TX,", ",Texas,"), AUSTIN.replace(",TX,", ", tx ,"))
    csv(
        "state_puerto_rico.csv",
        "L-1,Infiniti San Juan,Infiniti,1 Calle,San Juan,PR,00901,18.4655,-66.1057,10\n",
    )
    # 7. Absurd figures.
    csv(
        "revenue_huge.csv",
        "L-1,Infiniti of Dallas,Infiniti,32.7767,-96.7970,1e308\n",
        header="dealer_id,name,brand,latitude,longitude,annual_revenue\n",
    )
    csv(
        "employees_huge.csv",
        "L-1,Infiniti of Dallas,Infiniti,32.7767,-96.7970,1000000000000000\n",
        header="dealer_id,name,brand,latitude,longitude,employees\n",
    )
    csv("units_negative.csv", DALLAS.replace(",820", ",-5"))
    csv("units_large.csv", DALLAS.replace(",820", ",250000"))
    csv(
        "employees_high.csv",
        "L-1,Infiniti of Dallas,Infiniti,32.7767,-96.7970,8000\n",
        header="dealer_id,name,brand,latitude,longitude,employees\n",
    )
    csv(
        "capacity_huge.csv",
        "L-1,Infiniti of Dallas,Infiniti,32.7767,-96.7970,5000\n",
        header="dealer_id,name,brand,latitude,longitude,host_capacity\n",
    )
    # Coordinates: Null Island, hemisphere sign, ZIP spellings.
    csv("null_island.csv", "L-1,Infiniti of Dallas,Infiniti,,Dallas,TX,,0,0,820\n")
    csv("null_island_zip.csv", DALLAS.replace("32.7767,-96.7970", "0,0"))
    csv("longitude_positive.csv", DALLAS.replace("-96.7970", "96.7970"))
    csv("zip_four_digits.csv", "L-1,Infiniti of Boston,Infiniti,1 Tremont St,Boston,MA,2108,,,10\n")
    csv("zip_plus4.csv", "L-1,Infiniti of Dallas,Infiniti,100 Main St,Dallas,TX,75201-1234,,,10\n")
    csv("latitude_decimal_comma.csv", DALLAS.replace("32.7767,-96.7970", '"32,7767",-96.7970'))


def gis_cases() -> None:
    (HERE / "empty.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8"
    )
    import geopandas as gpd
    from shapely.geometry import Point, box

    points = gpd.GeoDataFrame(
        {"dealer_id": ["L-1", "L-2"], "name": ["A", "B"], "brand": ["Infiniti"] * 2},
        geometry=[Point(-96.797, 32.7767), Point(-97.7431, 30.2672)],
        crs="EPSG:4326",
    )
    areas = gpd.GeoDataFrame(
        {"region": ["North"]}, geometry=[box(-100, 30, -95, 35)], crs="EPSG:4326"
    )
    for name in ("polygons_first.gpkg", "points_first.gpkg"):
        (HERE / name).unlink(missing_ok=True)
    areas.to_file(HERE / "polygons_first.gpkg", layer="areas", engine="pyogrio")
    points.to_file(HERE / "polygons_first.gpkg", layer="dealers", engine="pyogrio")
    points.to_file(HERE / "points_first.gpkg", layer="dealers", engine="pyogrio")
    areas.to_file(HERE / "points_first.gpkg", layer="areas", engine="pyogrio")
    _strip_gpkg_times(HERE / "polygons_first.gpkg")
    _strip_gpkg_times(HERE / "points_first.gpkg")
    # A shapefile without its .dbf (only .shp and .shx copied).
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        points.to_file(Path(tmp) / "no_dbf.shp", engine="pyogrio")
        for ext in (".shp", ".shx"):
            (HERE / f"no_dbf{ext}").write_bytes((Path(tmp) / f"no_dbf{ext}").read_bytes())
    # Plain Parquet: a table with latitude/longitude columns, no geometry.
    import pandas as pd

    table = pd.DataFrame(
        {
            "dealer_id": ["L-1", "L-2"],
            "name": ["Infiniti of Dallas", "Infiniti of Austin"],
            "brand": ["Infiniti", "Infiniti"],
            "latitude": [32.7767, 30.2672],
            "longitude": [-96.7970, -97.7431],
            "annual_new_units": [820, 640],
        }
    )
    table.to_parquet(HERE / "plain.parquet", index=False)


def _strip_gpkg_times(path: Path) -> None:
    """GeoPackages record when they were written: fix the times so reruns match."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("UPDATE gpkg_contents SET last_change = '2024-01-01T00:00:00.000Z'")
    db = sqlite3.connect(path)
    db.execute("PRAGMA page_size = 1024")  # small pages: a small file
    db.execute("VACUUM")
    db.close()


def workbook_cases() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Dealers"
    sheet.append(["dealer_id", "name", "brand", "zip", "latitude", "longitude"])
    sheet.append(["L-1", "Infiniti of Dallas", "Infiniti", "75201", 32.7767, -96.797])
    sheet.append(["L-2", "Infiniti of Austin", "Infiniti", "78701", "=30+0.2672", "=-97.7431"])
    _save(book, HERE / "formula_no_value.xlsx")
    # The dimension claims the whole sheet (A1:XFD1048576) though it holds three rows.
    _write_xlsx(HERE / "dimension_bomb.xlsx", _sheet_xml(dimension="A1:XFD1048576"), None)
    # Shared strings that unpack to 40 MB from a few dozen KB.
    bomb = "<si><t>" + "A" * 40_000_000 + "</t></si>"
    _write_xlsx(HERE / "strings_bomb.xlsx", _sheet_xml(), _shared(bomb))
    # A cell far off to the right (XFD1): every row would pad to 16,384 columns.
    _write_xlsx(
        HERE / "far_cell.xlsx",
        _sheet_xml(extra='<c r="XFD2" t="inlineStr"><is><t>x</t></is></c>'),
        None,
    )
    # Not a zip at all, and an Excel lock file beside a dealer file in a folder: see setup.py.
    (HERE / "not_a_zip.xlsx").write_bytes(b"dealer_id,name\nL-1,X\n")


def _save(book: object, path: Path) -> None:
    buffer = io.BytesIO()
    book.save(buffer)  # type: ignore[attr-defined]
    _rezip(buffer.getvalue(), path)


def _rezip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed timestamps, so the bytes do not change between runs."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                body = b'<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"/>'
            info = zipfile.ZipInfo(item.filename, _DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, body)
    path.write_bytes(out.getvalue())


_ROWS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>dealer_id</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>name</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>brand</t></is></c>'
    '<c r="D1" t="inlineStr"><is><t>latitude</t></is></c>'
    '<c r="E1" t="inlineStr"><is><t>longitude</t></is></c>{extra1}</row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>L-1</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>Infiniti of Dallas</t></is></c>'
    '<c r="C2" t="inlineStr"><is><t>Infiniti</t></is></c>'
    '<c r="D2"><v>32.7767</v></c><c r="E2"><v>-96.797</v></c>{extra2}</row>'
)


def _sheet_xml(dimension: str = "A1:E2", extra: str = "", shared: bool = False) -> str:
    rows = _ROWS.replace("{extra1}", "").replace("{extra2}", extra)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def _shared(items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        f'uniqueCount="1">{items}</sst>'
    )


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    "{shared}</Types>"
)
_SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Dealers" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>{shared}</Relationships>'
)
_SHARED_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)


def _write_xlsx(path: Path, sheet: str, shared: str | None) -> None:
    """A minimal workbook written by hand, to put exactly the bytes a case needs."""
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES.replace("{shared}", _SHARED_TYPE if shared else ""),
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _BOOK_RELS.replace("{shared}", _SHARED_REL if shared else ""),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared:
        parts["xl/sharedStrings.xml"] = shared
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, _DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            book.writestr(info, text.encode("utf-8"), compresslevel=9)
    path.write_bytes(out.getvalue())


if __name__ == "__main__":
    main()
