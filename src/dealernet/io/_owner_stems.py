"""The owner stem of a store's name and website: what two stores must share to be grouped.

A dealer group's stores usually carry the group's name ahead of the make: "**Bert Ogden**
Infiniti" and "**Bert Ogden** Nissan", ``inskipinfiniti.com`` and ``inskipnissan.com``. The
stem is that part, with everything that does not identify an owner taken out: the make and its
abbreviations, place names near the store (its city, the US places within
:data:`PLACE_RADIUS_MILES`, the counties around it, state names), and the generic words of
:mod:`dealernet.io._owner_words`. A stem that is left with nothing distinctive (only a first
name, a very common surname, a make or a generic word) is no stem at all: the store's owner
stays unknown rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from dealernet.geo.distance import SiteIndex, to_ecef
from dealernet.io._owner_words import (
    COMMON_SURNAMES,
    FIRST_NAMES,
    GENERIC_WORDS,
    MAKE_ABBREVIATIONS,
    MAKE_WORDS,
    WEB_PLATFORMS,
    WEB_PREFIXES,
    WEB_SUFFIXES,
)
from dealernet.settings import METRES_PER_MILE

#: Places this close to a store count as its place words ("Kansas City" for a store in
#: Merriam, KS). Wide enough for a metro area, small enough not to eat surnames that are
#: the names of towns far away (Ogden, Utah is no place word in Edinburg, Texas).
PLACE_RADIUS_MILES = 40.0
#: Counties this close (degrees, about 15 miles) also give place words ("Kings Infiniti" in
#: Brooklyn, "Orange Coast Infiniti"); the state's other counties do not, as many of them
#: are surnames ("Clay Cooley" in Dallas, "Deacon Jones" in Goldsboro).
COUNTY_REACH_DEGREES = 0.2

_WORD = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"['\u2019]s\b")
_SHORT_FORMS = {"ft": "fort", "mt": "mount", "st": "saint", "ste": "sainte", "pt": "port"}


def words(text: object) -> tuple[str, ...]:
    """Lower-case words of a name, accents and possessives dropped (``"Napleton'S"`` ->
    ``("napleton",)``), short forms spelt out (``"Ft"`` -> ``"fort"``)."""
    if text is None or text != text:  # None or NaN
        return ()
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    plain = _POSSESSIVE.sub("", plain.casefold())
    return tuple(_SHORT_FORMS.get(w, w) for w in _WORD.findall(plain))


@dataclass(frozen=True)
class PlaceWords:
    """The place names around one store, as word tuples and as run-together strings."""

    phrases: frozenset[tuple[str, ...]]

    @property
    def joined(self) -> frozenset[str]:
        return frozenset("".join(p) for p in self.phrases)


# --- place words --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _places() -> tuple[SiteIndex, list[tuple[str, ...]]]:
    from dealernet.geo.places import load_places

    places = load_places()
    index = SiteIndex.build(places["latitude"].to_numpy(), places["longitude"].to_numpy())
    return index, [words(n) for n in places["name"]]


@lru_cache(maxsize=1)
def _counties() -> tuple[Any, list[tuple[str, ...]]]:
    import shapely  # heavy or optional: imported on first use

    from dealernet.geo.boundaries import counties

    layer = counties()
    return shapely.STRtree(layer.geometry.to_numpy()), [words(n) for n in layer["name"]]


def _county_words(lat: np.ndarray, lon: np.ndarray) -> list[set[tuple[str, ...]]]:
    """Names of the counties within about :data:`COUNTY_REACH_DEGREES` of each point."""
    import shapely  # heavy or optional: imported on first use

    tree, names = _counties()
    found: list[set[tuple[str, ...]]] = [set() for _ in range(lat.size)]
    points = shapely.points(lon, lat)
    point_i, county_i = tree.query(points, predicate="dwithin", distance=COUNTY_REACH_DEGREES)
    for i, j in zip(point_i, county_i, strict=True):
        found[i].add(names[j])
    return found


@lru_cache(maxsize=1)
def _state_words() -> frozenset[tuple[str, ...]]:
    import us  # small, imported here so the CLI starts fast

    return frozenset(words(s.name) for s in us.states.STATES_AND_TERRITORIES) | frozenset(
        words(s.abbr) for s in us.states.STATES_AND_TERRITORIES
    )


def place_words(lat: np.ndarray, lon: np.ndarray, cities: Iterable[object]) -> list[PlaceWords]:
    """Place names around each store: its city, nearby places and counties, state names."""
    index, names = _places()
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    ok = np.isfinite(lat) & np.isfinite(lon)
    near: list[list[int]] = [[] for _ in range(lat.size)]
    if ok.any():
        hits = index.tree.query_ball_point(
            to_ecef(lat[ok], lon[ok]), r=PLACE_RADIUS_MILES * METRES_PER_MILE
        )
        for i, found in zip(np.flatnonzero(ok), hits, strict=True):
            near[i] = list(found)
    counties: list[set[tuple[str, ...]]] = [set() for _ in range(lat.size)]
    for i, found_counties in zip(np.flatnonzero(ok), _county_words(lat[ok], lon[ok]), strict=True):
        counties[i] = found_counties
    out = []
    for found, county, city in zip(near, counties, cities, strict=True):
        phrases = {names[j] for j in found} | county | {words(city)} | _state_words()
        out.append(PlaceWords(frozenset(p for p in phrases if p)))
    return out


# --- stems --------------------------------------------------------------------------------


def _without_places(tokens: list[str], places: PlaceWords) -> list[str]:
    """Drop every place phrase, longest first (``"fort worth"`` before ``"fort"``).

    A one-word place just after a first name is a surname, and stays: "Bob Moore" near
    Moore, Oklahoma, "Ed Martin" in Martin County.
    """
    longest = max((len(p) for p in places.phrases), default=0)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            surname = size == 1 and i > 0 and tokens[i - 1] in FIRST_NAMES
            if tuple(tokens[i : i + size]) in places.phrases and not surname:
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _is_make(word: str) -> bool:
    return word in MAKE_WORDS or word in MAKE_ABBREVIATIONS


def is_distinctive(stem: tuple[str, ...], places: PlaceWords) -> bool:
    """Whether a stem can name an owner: a full name ("bert ogden", "dick smith") or one
    word that is no first name, common surname, make, generic word or place."""
    if not stem:
        return False
    weak = GENERIC_WORDS | MAKE_WORDS
    if len(stem) == 1:
        word = stem[0]
        return (
            len(word) >= 3
            and not word.isdigit()
            and word not in weak | FIRST_NAMES | COMMON_SURNAMES | set(MAKE_ABBREVIATIONS)
            and (word,) not in places.phrases
        )
    return any(w not in weak and not w.isdigit() for w in stem)


def owner_words(name: object, brand: object, places: PlaceWords) -> list[str]:
    """The words of a name before its make, place names taken out: who the store is.

    The cut is at the store's own make ("Bill Dodge Infiniti" -> "bill dodge"), else at the
    first make ("Serafini Nissan-Volvo"), else at the first "of" ("Briggs Auto Group",
    "Dreyer & Reinbold Of Greenwood"). Another make just before the cut is a second
    franchise ("Benson Cadillac-Nissan" -> "benson") unless the name needs it ("Bill Dodge").
    """
    tokens = list(words(name))
    own = words(brand)
    cut = next((i for i in range(len(tokens)) if _is_brand(tokens[i : i + len(own)], own)), None)
    if cut is None:
        cut = next((i for i, w in enumerate(tokens) if _is_make(w)), None)
    if cut is None:
        cut = next((i for i, w in enumerate(tokens) if w in ("of", "at")), len(tokens))
    owner = _without_places([w for w in tokens[:cut] if len(w) > 1], places)
    while len(owner) > 1 and _is_make(owner[-1]) and _distinctive(_generic_free(owner[:-1])):
        owner = owner[:-1]
    while owner and owner[0] in _CONNECTIVES:
        owner = owner[1:]
    while owner and owner[-1] in _CONNECTIVES:
        owner = owner[:-1]
    return owner


_CONNECTIVES = frozenset({"of", "the", "and", "at", "on", "by"})


def _is_brand(tokens: list[str], own: tuple[str, ...]) -> bool:
    """Whether the words spell the store's own make, or its roster abbreviation ("inf")."""
    if not own:
        return False
    if tuple(tokens) == own:
        return True
    return len(own) == 1 and bool(tokens) and MAKE_ABBREVIATIONS.get(tokens[0]) == own[0]


def _generic_free(tokens: list[str]) -> tuple[str, ...]:
    return tuple(w for w in tokens if w not in GENERIC_WORDS)


def _distinctive(stem: tuple[str, ...]) -> bool:
    return is_distinctive(stem, _NO_PLACES)


_NO_PLACES = PlaceWords(frozenset())


def name_stem(name: object, brand: object, places: PlaceWords) -> tuple[str, ...] | None:
    """The owner stem of a store's name: :func:`owner_words` without generic words.

    ``"Bert Ogden Infiniti"`` -> ``("bert", "ogden")``; ``"Infiniti Of Kansas City"`` ->
    ``None`` (nothing before the make); ``"Metro Nissan Of Redlands"`` -> ``None`` (generic).
    """
    stem = _generic_free(owner_words(name, brand, places))
    return stem if is_distinctive(stem, places) else None


def website_label(url: object) -> str:
    """The part of a store's web address that a dealer chose: ``inskipinfiniti`` from
    ``http://www.inskipinfiniti.com/``, ``sewell`` from ``infinitidallas.sewell.com``,
    ``cochraninfiniti`` from ``cochraninfiniti.cms.dealer.com`` (a shared platform)."""
    text = str(url or "").strip().casefold().replace("\\", "/")
    host = re.sub(r"^[a-z][a-z0-9+.-]*:/*", "", text).split("/")[0].split("?")[0]
    labels = [p for p in host.split(":")[0].split(".") if p]
    if len(labels) < 2:
        return ""
    for size in (3, 2):
        if len(labels) > size and ".".join(labels[-size:]) in WEB_PLATFORMS:
            return labels[-size - 1]
    return labels[-2]


def _strip_affixes(text: str, places: PlaceWords) -> str:
    """Take owner-less words off the ends of a run-together domain part, until none is left."""
    joined = sorted((p for p in places.joined if len(p) >= 4), key=len, reverse=True)
    changed = True
    while changed and text:
        changed = False
        for word in (*WEB_SUFFIXES, *joined):
            rest = text[: -len(word)]
            surname = word not in WEB_SUFFIXES and rest in FIRST_NAMES  # "bobmoore"
            if text.endswith(word) and len(rest) >= 3 and not surname:
                text, changed = rest, True
                break
        for word in (*WEB_PREFIXES, *joined):
            if text.startswith(word) and len(text) - len(word) >= 3:
                text, changed = text[len(word) :], True
                break
    return text


def website_stem(url: object, brand: object, places: PlaceWords) -> str | None:
    """The owner part of a store's website: the domain's words before the make.

    ``inskipinfiniti.com`` -> ``"inskip"``; ``infinitiofkansascity.com`` -> ``None`` (the
    make comes first); ``tonkinwilsonvillenissan.com`` in Wilsonville -> ``"tonkin"``.
    """
    label = re.sub(r"[^a-z0-9]", "", website_label(url))
    if not label:
        return None
    make = str(brand or "").casefold().replace("-", "")
    spellings = [make] + [a for a, full in MAKE_ABBREVIATIONS.items() if full == make and a != make]
    spellings = [s for s in spellings if len(s) >= 5]  # "inf" inside a word is no make
    cut = min((i for i in (label.find(s) for s in spellings) if i >= 0), default=-1)
    owner = label if cut < 0 else label[:cut]
    if owner in places.joined:  # fortwayneinfiniti.com
        return None
    owner = _strip_affixes(owner, places)
    if len(owner) < 3 or owner.isdigit():
        return None
    weak = GENERIC_WORDS | MAKE_WORDS | FIRST_NAMES | COMMON_SURNAMES
    singular = owner[:-1] if owner.endswith("s") else owner  # "bobsnissan.com"
    if owner in weak or singular in FIRST_NAMES or owner in places.joined:
        return None
    return None if _all_generic(owner) else owner


def _all_generic(text: str) -> bool:
    """Whether a run-together string is generic words only (``firstteam``, ``twincity``)."""
    ends = [False] * (len(text) + 1)
    ends[0] = True
    for stop in range(3, len(text) + 1):
        ends[stop] = any(
            ends[start] and text[start:stop] in GENERIC_WORDS for start in range(stop - 2)
        )
    return ends[-1]
