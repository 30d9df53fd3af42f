"""Column names, header aliases, brands and US states: the one place for them.

The columns of a site (the loaded network) and the decisions table's key columns
(:data:`DECISION`, :data:`HOST_DEALER_ID`) are named through the constants here, so a
rename happens once; ``tests/test_architecture.py`` fails on a bare ``"decision"`` or
``"dealer_id"`` subscript elsewhere. Columns of other tables (places, boundaries, the
impact measures such as ``jobs_lost_base``) are named by the module that makes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

# --- canonical site columns -------------------------------------------------------------

DEALER_ID = "dealer_id"
NAME = "name"
BRAND = "brand"
OWNER_GROUP = "owner_group"
ADDRESS = "address"
CITY = "city"
STATE = "state"
ZIP = "zip"
LATITUDE = "latitude"
LONGITUDE = "longitude"
ANNUAL_NEW_UNITS = "annual_new_units"
ANNUAL_USED_UNITS = "annual_used_units"
EMPLOYEES = "employees"
SALES_EMPLOYEES = "sales_employees"
SERVICE_EMPLOYEES = "service_employees"
OFFICE_EMPLOYEES = "office_employees"
ANNUAL_REVENUE = "annual_revenue"
HOST_CAPACITY = "host_capacity"
LOCATION_QUALITY = "location_quality"
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
GEOMETRY = "geometry"
WEBSITE = "website"
PHONE = "phone"
#: The dealer code as the file gave it. Makers number their dealers independently, so a
#: code is unique within a brand only: the loader keeps ``dealer_id`` unique across the
#: network by writing ``<Brand>-<code>`` for the rows whose code another brand also uses,
#: and leaves every other id as the file gave it.
DEALER_CODE = "dealer_code"

#: Text columns of a site, in output order.
TEXT_COLUMNS: tuple[str, ...] = (
    DEALER_ID,
    NAME,
    BRAND,
    OWNER_GROUP,
    ADDRESS,
    CITY,
    STATE,
    ZIP,
)

#: Contact details a dealer locator publishes: kept through loading because a shared website
#: domain is evidence of a shared owner; no rule or figure depends on them. Not in
#: :data:`TEXT_COLUMNS`, so files written with the classic columns (the sample) keep them out.
CONTACT_COLUMNS: tuple[str, ...] = (WEBSITE, PHONE)

#: Optional numeric economics a dealer file may carry.
NUMERIC_COLUMNS: tuple[str, ...] = (
    ANNUAL_NEW_UNITS,
    ANNUAL_USED_UNITS,
    EMPLOYEES,
    SALES_EMPLOYEES,
    SERVICE_EMPLOYEES,
    OFFICE_EMPLOYEES,
    ANNUAL_REVENUE,
    HOST_CAPACITY,
)

#: Every column of the loaded network, in order (``geometry`` last).
SITE_COLUMNS: tuple[str, ...] = (
    *TEXT_COLUMNS,
    *CONTACT_COLUMNS,
    DEALER_CODE,
    LATITUDE,
    LONGITUDE,
    *NUMERIC_COLUMNS,
    LOCATION_QUALITY,
    SOURCE_FILE,
    SOURCE_ROW,
    GEOMETRY,
)

#: Columns a file must have (a location is checked separately: coordinates or a ZIP).
REQUIRED_COLUMNS: tuple[str, ...] = (DEALER_ID, NAME, BRAND)

# --- the decisions table (written by the rule engine, read by every later stage) ----------

DECISION = "decision"
HOST_DEALER_ID = "host_dealer_id"
#: An absorbed store's move is a franchise transfer (true: the host is another owner's, or
#: either owner is not known) or a co-location into its own group's store (false); empty
#: for every other decision.
TRANSFER = "transfer"
#: The store's owner group (empty when not known), and for an absorbed store its host's
#: (empty when not known or not absorbed): who gives up and who gains the franchise.
FROM_OWNER = "from_owner"
TO_OWNER = "to_owner"
#: Decisions in reporting order.
DECISIONS: tuple[str, ...] = ("keep", "absorb", "close", "unaffected")

# --- owner groups: where each site's owner comes from ----------------------------------------

#: ``owner_source`` of a site: its file named the owner, dealernet inferred it (see
#: ``owner_evidence``), or nobody knows. A site with an unknown owner is never grouped with
#: another store and never said to be "the group's".
OWNER_SOURCE = "owner_source"
OWNER_EVIDENCE = "owner_evidence"
#: The dealer id of the store an inferred owner was matched with (see ``owner_evidence``).
OWNER_PARTNER = "owner_partner"
OWNER_FROM_FILE = "file"
OWNER_INFERRED = "inferred"
OWNER_UNKNOWN = "unknown"
OWNER_SOURCES: tuple[str, ...] = (OWNER_FROM_FILE, OWNER_INFERRED, OWNER_UNKNOWN)

# location_quality values
EXACT = "exact"
ZIP_CENTROID = "zip_centroid"

# --- header aliases ---------------------------------------------------------------------

#: Accepted header spellings for each canonical column. Matching ignores case, spaces,
#: underscores, hyphens and dots (see :func:`header_key`), so ``Dealer Name``,
#: ``dealer_name`` and ``DEALER-NAME`` are the same header.
ALIASES: dict[str, tuple[str, ...]] = {
    DEALER_ID: (
        "dealer_id",
        "dealer id",
        "dealer code",
        "dealer_code",
        "dealer number",
        "dealer no",
        "id",
        "site id",
        "store id",
    ),
    NAME: ("name", "dealer name", "dealership", "dealership name", "store name", "site name"),
    BRAND: ("brand", "make", "franchise", "marque"),
    OWNER_GROUP: (
        "owner_group",
        "owner",
        "owner group",
        "dealer group",
        "group",
        "ownership group",
        "dealer principal",
    ),
    ADDRESS: (
        "address",
        "street",
        "street address",
        "address1",
        "address line 1",
        "streetAddress",
    ),
    CITY: ("city", "town", "municipality", "addressLocality"),
    STATE: ("state", "st", "state code", "province", "region code", "addressRegion"),
    ZIP: (
        "zip",
        "zip code",
        "zipcode",
        "postal_code",
        "postal code",
        "postcode",
        "zip5",
        "postalCode",
    ),
    WEBSITE: ("website", "url", "web site", "homepage"),
    PHONE: ("phone", "telephone", "phone number"),
    LATITUDE: ("latitude", "lat", "y"),
    LONGITUDE: ("longitude", "lng", "lon", "long", "x"),
    ANNUAL_NEW_UNITS: ("annual_new_units", "new units", "new unit sales", "new sales"),
    ANNUAL_USED_UNITS: ("annual_used_units", "used units", "used unit sales", "used sales"),
    EMPLOYEES: ("employees", "headcount", "head count", "staff", "employee count"),
    SALES_EMPLOYEES: ("sales_employees", "sales staff", "sales headcount"),
    SERVICE_EMPLOYEES: (
        "service_employees",
        "service staff",
        "service and parts employees",
        "service headcount",
    ),
    OFFICE_EMPLOYEES: ("office_employees", "office staff", "f&i and office employees"),
    ANNUAL_REVENUE: ("annual_revenue", "revenue", "sales revenue", "total revenue"),
    HOST_CAPACITY: ("host_capacity", "capacity", "absorb capacity"),
}

# A Shapefile (dBase) cuts column names to 10 characters; accept the cut names too.
ALIASES = {
    column: aliases + tuple(a[:10] for a in aliases if len(a) > 10 and "_" in a)
    for column, aliases in ALIASES.items()
}

_KEY_DROP = re.compile(r"[\s_\-\.]+")


def header_key(header: object) -> str:
    """Reduce a header to the form used for alias matching (``"Zip Code"`` -> ``"zipcode"``)."""
    return _KEY_DROP.sub("", str(header).strip().lstrip("\ufeff").casefold())


#: header key -> canonical column
ALIAS_INDEX: dict[str, str] = {
    header_key(alias): column for column, aliases in ALIASES.items() for alias in aliases
}


#: What joins the keys of a flattened nested record (``geo.latitude``, ``address/postalCode``,
#: ``geo_latitude``).
_PATH_SPLIT = re.compile(r"[./_]+")


def canonical_column(header: object, *, nested: bool = True) -> str | None:
    """The canonical column a header names, or ``None`` when it is not one we know.

    A header unknown as a whole is matched on its trailing path components, longest first,
    so an export that flattened nested records (``address.postalCode``,
    ``address_postal_code``, ``geo/latitude``) reads like one with plain headers. Pass
    ``nested=False`` to match whole headers only.
    """
    column = ALIAS_INDEX.get(header_key(header))
    if column is not None or not nested:
        return column
    parts = [p for p in _PATH_SPLIT.split(str(header).strip()) if p]
    for start in range(1, len(parts)):
        column = ALIAS_INDEX.get(header_key(" ".join(parts[start:])))
        if column is not None:
            return column
    return None


def match_headers(headers: Iterable[object]) -> dict[str, str]:
    """Canonical column -> the header that supplies it, the first of equals winning.

    Whole-header matches are taken before trailing-component ones, so a flattened
    ``brand.name`` never takes ``name`` from a real ``name`` header, wherever it stands.
    """
    headers = list(headers)
    found: dict[str, str] = {}
    for nested in (False, True):
        for header in headers:
            column = canonical_column(header, nested=nested)
            if column is not None and column not in found and str(header) not in found.values():
                found[column] = str(header)
    return found


def accepted_spellings(column: str) -> str:
    """The accepted spellings of a column, for error messages."""
    return ", ".join(repr(a) for a in ALIASES[column])


# --- brands -----------------------------------------------------------------------------

#: Brands sold through US franchised dealers, as dealernet spells them.
BRANDS: tuple[str, ...] = (
    "Acura",
    "Alfa Romeo",
    "Audi",
    "BMW",
    "Buick",
    "Cadillac",
    "Chevrolet",
    "Chrysler",
    "Dodge",
    "Fiat",
    "Ford",
    "Genesis",
    "GMC",
    "Honda",
    "Hyundai",
    "Infiniti",
    "Jaguar",
    "Jeep",
    "Kia",
    "Land Rover",
    "Lexus",
    "Lincoln",
    "Maserati",
    "Mazda",
    "Mercedes-Benz",
    "Mini",
    "Mitsubishi",
    "Nissan",
    "Polestar",
    "Porsche",
    "Ram",
    "Subaru",
    "Toyota",
    "Volkswagen",
    "Volvo",
)

_BRAND_EXTRA: dict[str, str] = {
    "vw": "Volkswagen",
    "mercedes": "Mercedes-Benz",
    "chevy": "Chevrolet",
    "infinity": "Infiniti",
    "nissan north america": "Nissan",
}
_BRAND_INDEX: dict[str, str] = {header_key(b): b for b in BRANDS} | {
    header_key(k): v for k, v in _BRAND_EXTRA.items()
}


def normalise_brand(value: object) -> str | None:
    """The canonical spelling of a brand (``"INFINITI"`` -> ``"Infiniti"``), else ``None``."""
    if value is None:
        return None
    return _BRAND_INDEX.get(header_key(value))


#: One brand (``"Nissan"``) or several (``("Nissan", "Honda")``): the host brands of an
#: alliance scenario, as the functions that select host-brand sites take them.
Brands: TypeAlias = str | Iterable[str]


def as_brands(brands: Brands) -> tuple[str, ...]:
    """``brands`` as a tuple of canonical spellings (an unknown name is kept as given).

    A single string is one brand, never split: ``"Nissan or Honda"`` (a label, see
    :func:`brand_label`) is not a brand, so callers pass ``Scenario.host_brands``.
    """
    items = (brands,) if isinstance(brands, str) else tuple(brands)
    return tuple(dict.fromkeys(normalise_brand(b) or str(b) for b in items))


def brand_label(brands: Brands) -> str:
    """Brands as a page names them: ``Nissan``, ``Nissan or Honda``, ``Nissan, Honda or Kia``."""
    items = as_brands(brands)
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


def brands_from_label(label: str) -> tuple[str, ...]:
    """The brands of a :func:`brand_label` (a run's ``summary.json`` records the label)."""
    head, _, last = label.rpartition(" or ")
    parts = [*(p.strip() for p in head.split(",") if p.strip()), last.strip()] if head else [label]
    return as_brands(parts)


def _brand_pattern(spellings: Iterable[str]) -> re.Pattern[str]:
    """Any spelling as a whole word, its spaces and hyphens optional (``Mercedes Benz``)."""
    words = sorted(spellings, key=len, reverse=True)
    parts = (r"[\s\-]*".join(map(re.escape, re.split(r"[\s\-]+", w))) for w in words)
    return re.compile(rf"(?<![^\W\d_])(?:{'|'.join(parts)})(?![^\W\d_])", re.IGNORECASE)


#: Every brand spelling in one pattern, and the words one can start with: a name holding
#: none of those words is passed over without the pattern (fast on a million rows).
_BRAND_WORDS = _brand_pattern([*BRANDS, *_BRAND_EXTRA])
_BRAND_START_WORDS = frozenset(
    key
    for spelling in (*BRANDS, *_BRAND_EXTRA)
    for key in (header_key(re.split(r"[\s\-]+", spelling)[0]), header_key(spelling))
)
_WORD = re.compile(r"[^\W\d_]+")


def brands_named(text: object) -> set[str]:
    """The brands a store name names as whole words (``"Weatherford BMW"`` -> ``{"BMW"}``)."""
    if text is None:
        return set()
    value = str(text)
    if _BRAND_START_WORDS.isdisjoint(w.casefold() for w in _WORD.findall(value)):
        return set()
    found = (normalise_brand(m.group(0)) for m in _BRAND_WORDS.finditer(value))
    return {b for b in found if b is not None}


def brand_in_filename(stem: str) -> str | None:
    """The one brand named in a file name (``"infiniti_2024"`` -> ``"Infiniti"``), else ``None``."""
    words = {header_key(w) for w in re.split(r"[^A-Za-z]+", stem) if w}
    found = {_BRAND_INDEX[w] for w in words if w in _BRAND_INDEX}
    return found.pop() if len(found) == 1 else None


# --- US states --------------------------------------------------------------------------

#: The 50 states and DC, by two-letter postal code.
STATES_50_DC: frozenset[str] = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
#: Territories with postal codes: valid, but outside the 50 states and DC.
TERRITORIES: frozenset[str] = frozenset({"PR", "GU", "VI", "AS", "MP"})


def normalise_state(value: object) -> str | None:
    """A two-letter state code from a code or a full name (``"texas"`` -> ``"TX"``)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) == 2 and text.upper() in STATES_50_DC | TERRITORIES:
        return text.upper()
    import us  # small, imported here so the CLI starts fast

    found = us.states.lookup(text)
    return found.abbr if found is not None else None


def state_name(code: object) -> str | None:
    """The name of a state, DC or territory from its postal code (``"TX"`` -> ``"Texas"``).

    ``None`` for anything that is not a postal code: callers choose what to show instead
    (an empty cell in a table, the code itself in a label), and nothing is guessed.
    """
    text = str(code).strip().upper() if code is not None else ""
    if len(text) != 2:
        return None
    import us  # small, imported here so the CLI starts fast

    found = us.states.lookup(text, field="abbr")
    return found.name if found is not None else None


def ordered(columns: Iterable[str]) -> list[str]:
    """Canonical columns first in schema order, then any others in their given order."""
    cols = list(columns)
    known = [c for c in SITE_COLUMNS if c in cols]
    return known + [c for c in cols if c not in SITE_COLUMNS]


#: Dealer ids of the bundled synthetic sample start with this; a run with any such id says
#: on every page and table that its figures come from made-up stores.
SAMPLE_ID_PREFIX = "SAMPLE-"
