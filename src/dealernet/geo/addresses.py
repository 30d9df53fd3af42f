"""Street addresses, normalised so that two spellings of one address compare equal.

Dealer locators spell one address many ways: ``8590 Laguna Grove Dr`` and ``8590 LAGUNA GROVE
DRIVE``, ``475 E Francisco Blvd`` and ``511 Francisco Blvd E``, ``3220 West Liberty Avenue``
and ``3200 W Liberty Ave``. :func:`parse_street_address` reads the first line of a US address
into a house number (or range) and a street key: words cased and stripped of punctuation,
every street type written as its USPS abbreviation (Publication 28, appendix C1: Drive ->
``dr``, Boulevard -> ``blvd``, Parkway -> ``pkwy``), every direction as one (North -> ``n``,
Northwest -> ``nw``), units (``Suite D``, ``#200``) and notes in brackets dropped.
:func:`same_block` then says whether two addresses are the same few doors of the same street,
which :mod:`dealernet.engine.colocation` uses to see one rooftop behind two geocodes.

The functions are pure (text in, value out) and know nothing of dealers, so any stage may use
them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dealernet.settings import COLOCATION_ADDRESS_MAX_NUMBER_GAP

__all__ = [
    "DIRECTIONS",
    "STREET_TYPES",
    "StreetAddress",
    "normalise_street_address",
    "parse_street_address",
    "same_block",
]

#: Directions, written as their USPS abbreviations.
DIRECTIONS: dict[str, str] = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    **{d: d for d in ("n", "s", "e", "w", "ne", "nw", "se", "sw")},
}

#: Street types (USPS Publication 28, C1) as dealer rosters write them -> one abbreviation.
#: Only the types dealers' streets use are listed; an unknown word is kept as it is.
STREET_TYPES: dict[str, str] = {
    "alley": "aly",
    "aly": "aly",
    "avenue": "ave",
    "ave": "ave",
    "av": "ave",
    "bypass": "byp",
    "byp": "byp",
    "boulevard": "blvd",
    "blvd": "blvd",
    "circle": "cir",
    "cir": "cir",
    "center": "ctr",
    "centre": "ctr",
    "ctr": "ctr",
    "court": "ct",
    "ct": "ct",
    "crossing": "xing",
    "xing": "xing",
    "drive": "dr",
    "dr": "dr",
    "expressway": "expy",
    "expy": "expy",
    "freeway": "fwy",
    "fwy": "fwy",
    "highway": "hwy",
    "hwy": "hwy",
    "lane": "ln",
    "ln": "ln",
    "loop": "loop",
    "parkway": "pkwy",
    "pkwy": "pkwy",
    "pky": "pkwy",
    "pike": "pike",
    "place": "pl",
    "pl": "pl",
    "plaza": "plz",
    "plz": "plz",
    "road": "rd",
    "rd": "rd",
    "route": "rte",
    "rte": "rte",
    "rt": "rte",
    "square": "sq",
    "sq": "sq",
    "street": "st",
    "st": "st",
    "terrace": "ter",
    "ter": "ter",
    "trail": "trl",
    "trl": "trl",
    "turnpike": "tpke",
    "tpke": "tpke",
    "tpk": "tpke",
    "tp": "tpke",
    "way": "way",
}

#: Other words rosters abbreviate (inside a street name).
_WORDS: dict[str, str] = {
    "national": "natl",
    "natl": "natl",
    "mount": "mt",
    "mt": "mt",
    "saint": "st",
    "fort": "ft",
    "ft": "ft",
    "interstate": "i",
    "ih": "i",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
}

#: House numbers written as words (``One Commercial Center Dr``).
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}

#: A unit designator: it and everything after it are not part of the street.
_UNIT = re.compile(
    r"(?:\s|^)(?:#|(?:suite|ste|unit|apt|bldg|building|fl|floor|rm|room|space|spc)\b).*$"
)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^]]*\]")
_NUMBER = re.compile(r"^(\d+)[a-z]?$")
_RANGE = re.compile(r"^(\d+)-(\d+)[a-z]?$")


@dataclass(frozen=True)
class StreetAddress:
    """The first line of a US street address, normalised.

    Attributes
    ----------
    low, high
        The house number; a range (``866-880``) has ``low < high``.
    name
        The street's own words, normalised (``laguna grove``, ``rte 22``, ``i 10``).
    street_type
        The USPS street type (``dr``), or ``None`` when the address gives none.
    direction
        The directional (``n``, ``sw``) before or after the name, or ``None``.
    """

    low: int
    high: int
    name: str
    street_type: str | None
    direction: str | None

    def __str__(self) -> str:
        number = str(self.low) if self.low == self.high else f"{self.low}-{self.high}"
        words = [number, self.direction, self.name, self.street_type]
        return " ".join(w for w in words if w)


def _tokens(text: str) -> list[str]:
    text = _BRACKETS.sub(" ", text.casefold())
    text = _UNIT.sub("", text.replace(",", " "))
    text = re.sub(r"(?<=\w)\.(?=\w)", "", text)  # U.S. -> us
    text = re.sub(r"['\u2019]", "", text)  # Earnhardt's -> earnhardts
    text = re.sub(r"[^\w\s/-]|_", " ", text)
    text = re.sub(r"(?<!\d)-|-(?!\d)", " ", text)  # I-65 -> i 65; 68-177 stays
    return text.split()


def _house_number(token: str) -> tuple[int, int] | None:
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token], _NUMBER_WORDS[token]
    if match := _NUMBER.match(token):
        return int(match[1]), int(match[1])
    if match := _RANGE.match(token):
        a, b = match[1], match[2]
        if len(a) == len(b) and int(b) > int(a):  # 866-880: a range of numbers
            return int(a), int(b)
        return int(a + b), int(a + b)  # 68-177, 123-45: one hyphenated number
    return None


def parse_street_address(text: object) -> StreetAddress | None:
    """Read a street address; ``None`` when it has no house number and street.

    >>> str(parse_street_address("8590 LAGUNA GROVE DRIVE"))
    '8590 laguna grove dr'
    >>> str(parse_street_address("511 Francisco Blvd. East, Suite 2"))
    '511 e francisco blvd'
    """
    if not isinstance(text, str):
        return None
    words = _tokens(text)
    number = _house_number(words[0]) if words else None
    if number is None:
        return None
    rest = [STREET_TYPES.get(w) or DIRECTIONS.get(w) or _WORDS.get(w, w) for w in words[1:]]
    direction = None
    # A direction before or after the name (E Francisco Blvd = Francisco Blvd E), unless it is
    # all the name there is ("500 West Ave", "12 Avenue E").
    if len(rest) >= 2 and rest[-1] in DIRECTIONS and _has_name(rest[:-1]):
        direction = rest.pop()
    elif len(rest) >= 2 and rest[0] in DIRECTIONS and _has_name(rest[1:]):
        direction = rest.pop(0)
    street_type = None
    if len(rest) >= 2 and rest[-1] in STREET_TYPES.values():
        street_type = rest.pop()
    if not rest:
        return None
    return StreetAddress(number[0], number[1], " ".join(rest), street_type, direction)


def _has_name(words: list[str]) -> bool:
    """Whether ``words`` hold a name besides a street type at the end."""
    return len(words) >= 2 or (len(words) == 1 and words[0] not in STREET_TYPES.values())


def normalise_street_address(text: object) -> str | None:
    """One spelling for a street address (``None`` when it cannot be read).

    >>> normalise_street_address("8586 Laguna Grove Dr") == normalise_street_address(
    ...     "8586 LAGUNA GROVE DRIVE"
    ... )
    True
    """
    address = parse_street_address(text)
    return None if address is None else str(address)


def number_gap(a: StreetAddress, b: StreetAddress) -> int:
    """How far apart two house numbers (or ranges) are; 0 when they overlap."""
    return max(0, max(a.low, b.low) - min(a.high, b.high))


def same_block(
    a: object,
    b: object,
    max_number_gap: int = COLOCATION_ADDRESS_MAX_NUMBER_GAP,
) -> bool:
    """Whether two street addresses are a few doors apart on the same side of one street.

    The street names must be equal after normalisation; the street types and directions too
    where both addresses give one (a locator that drops the ``Dr`` or the ``N`` still
    matches). The house numbers differ by at most ``max_number_gap`` and have the same parity:
    in US numbering odd and even numbers face each other across the street. Town is not
    compared: a caller checks that the two sites are near each other (two ``100 Main St`` in
    two towns are the same block by this test).
    """
    pa = a if isinstance(a, StreetAddress) else parse_street_address(a)
    pb = b if isinstance(b, StreetAddress) else parse_street_address(b)
    if pa is None or pb is None or pa.name != pb.name:
        return False
    for x, y in ((pa.street_type, pb.street_type), (pa.direction, pb.direction)):
        if x is not None and y is not None and x != y:
            return False
    gap = number_gap(pa, pb)
    ranged = pa.low != pa.high or pb.low != pb.high
    return gap <= max_number_gap and (ranged or gap % 2 == 0)
