"""Dealer-locator rosters published as JSON: an array of nested records, flattened to text.

Makers' "find a dealer" pages publish their networks as JSON arrays of schema.org
``AutoDealer``-style objects (``id``, ``name``, ``url``, ``telephone``, ``address{...}``,
``geo{latitude, longitude}``, plus extras such as ``department`` or ``openingHours``). This
module turns such a file into the same table of text cells every other reader returns:
nested objects become dotted headers (``address.postalCode``), which the header aliases
match on their last component, so the file is read as it was published. Lists of objects
(departments, opening-hours specifications) have no single cell value and are left out,
named in :attr:`Roster.ignored` so that ``validate`` can say what it did not read.

A ``.json`` file that is GeoJSON is not a roster: :func:`parse_roster` returns ``None`` and
the GIS reader takes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

#: GeoJSON ``type`` values: such a file goes to the GIS reader.
_GEOJSON_TYPES = frozenset({"FeatureCollection", "Feature", "GeometryCollection", "Point"})
_FIX_EXPORT = (
    "Export the dealers as a JSON array of objects, one per dealership (or as GeoJSON, CSV "
    "or a spreadsheet)"
)


class RosterError(ValueError):
    """The JSON cannot be read as a list of dealers; ``message`` and ``fix`` say why."""

    def __init__(self, message: str, fix: str = _FIX_EXPORT) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass
class Roster:
    """A roster's records flattened to text: one column per dotted key path.

    Attributes
    ----------
    frame
        One row per record, one column per key path, every cell text ("" when absent).
    ignored
        Keys whose values are lists of objects, left out because no cell can hold them.
    """

    frame: pd.DataFrame
    ignored: list[str] = field(default_factory=list)


def parse_roster(text: str) -> Roster | None:
    """The roster in a JSON text, or ``None`` when the text is GeoJSON.

    Accepts a top-level array of objects, or an object holding exactly one such array
    (``{"dealers": [...]}``), the two shapes dealer locators publish.

    Raises
    ------
    RosterError
        When the text is not valid JSON or holds no list of dealer objects.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"is not valid JSON ({exc.msg} at line {exc.lineno:,}, column {exc.colno:,})"
        raise RosterError(msg, "The file may be cut short or hand-edited: export it again") from exc
    if isinstance(data, dict):
        if data.get("type") in _GEOJSON_TYPES or "features" in data:
            return None
        data = _wrapped_records(data)
    if not isinstance(data, list):
        msg = f"holds a JSON {_kind(data)}, not a list of dealers"
        raise RosterError(msg)
    if not data:
        raise RosterError("holds an empty list: no dealers", "Export the dealer list again")
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            msg = f"record {i:,} is a JSON {_kind(item)}, not an object describing a dealer"
            raise RosterError(msg)
    return flatten(data)


def _wrapped_records(data: dict[str, object]) -> object:
    """The one list of objects an object holds (``{"dealers": [...]}``)."""
    lists = [
        key
        for key, value in data.items()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ]
    if len(lists) != 1:
        found = f"{len(lists)} lists of objects" if lists else "no list of objects"
        msg = f"is a JSON object with {found}, so the dealers cannot be told apart"
        raise RosterError(msg)
    return data[lists[0]]


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def flatten(records: list[dict[str, object]]) -> Roster:
    """Records as a text frame with dotted headers; lists of objects are set aside."""
    ignored: dict[str, None] = {}
    rows = []
    for record in records:
        flat: dict[str, str] = {}
        _flatten_into(flat, record, "", ignored)
        rows.append(flat)
    frame = pd.DataFrame(rows, dtype=object).fillna("")
    frame.index = range(len(frame))
    return Roster(frame, [k for k in ignored if k not in frame.columns])


def _flatten_into(
    flat: dict[str, str], value: dict[str, object], prefix: str, ignored: dict[str, None]
) -> None:
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict):
            _flatten_into(flat, item, f"{path}.", ignored)
        elif isinstance(item, list):
            if any(isinstance(v, (dict, list)) for v in item):
                ignored[path] = None
            else:
                flat[path] = "; ".join(_text(v) for v in item if v is not None)
        else:
            flat[path] = _text(item)


def _text(value: object) -> str:
    """A JSON scalar as a cell: ``null`` is empty, numbers keep their shortest exact form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
