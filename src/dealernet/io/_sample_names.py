"""Fictional names for the synthetic sample: owner groups, stores and streets.

Made-up surnames and word pairs, so no name belongs to a real dealer group; kept apart from
the generator (:mod:`dealernet.io.sample`) that places the stores.
"""

from __future__ import annotations

import itertools

import numpy as np

from dealernet._errors import InvalidInputError

COMPASS = ("North", "Northeast", "East", "Southeast", "South", "Southwest", "West", "Northwest")
_SURNAMES = (
    "Ashcombe Bellamy Brightwell Calloway Carrow Castellan Dunmore Eberly Fairbanks Fenwick "
    "Galloway Garrity Halvorsen Hartwell Hollister Iverson Kessler Kincaid Lachlan Lindqvist "
    "Mabry Marchetti Merriweather Nakamura Okafor Oyelaran Pemberton Quarles Radcliffe "
    "Ramsdell Renwick Sandoval Sorensen Stroud Tolliver Trevino Underhill Vance Varga "
    "Waverly Whitcombe Winslow Yarbrough Zeller Abernathy Beaumont Delacroix Esterly "
    "Faulkner Granger Haverford Ingram Jessup Kowalczyk Lockridge Montague Northcutt "
    "Ostrander Prescott Rutledge Stanhope Thackeray Vandermeer Wexford"
).split()
_WORDS_A = (
    "Amber Aspen Birch Blue Cedar Clear Copper Eagle Elk Fox Golden Granite Green Harbor "
    "Hawk Iron Lone Maple Prairie Quail Red Silver Stone Summit Timber Willow"
).split()
_WORDS_B = (
    "Bend Bluff Bridge Brook Canyon Creek Crest Falls Field Grove Hill Hollow Lake Meadow "
    "Oak Peak Pine Point Ridge River Rock Springs Trail Valley"
).split()
_SURNAME_TEMPLATES = (
    "{} Automotive Group",
    "{} Auto Group",
    "{} Family Dealerships",
    "{} Motor Company",
    "{} Motorcars",
)
_WORD_TEMPLATES = ("{} Motors", "{} Automotive", "{} Auto Partners")
STREETS = (
    "Auto Mall Dr",
    "Automotive Pkwy",
    "Motorway Blvd",
    "Commerce Dr",
    "Dealer Row",
    "Gateway Blvd",
    "Industrial Blvd",
    "Main St",
    "Market St",
    "Frontage Rd",
    "Parkway Dr",
    "Interstate Dr",
    "Crossroads Blvd",
    "Highland Ave",
    "Center St",
    "Mercantile Way",
    "Showroom Ln",
    "Expressway Dr",
    "Capital Blvd",
    "Park Ave",
)


def owner_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` fictional owner-group names, all different.

    Single surnames and word pairs come first, two-surname names ("Kessler-Vance Auto
    Group") only once those run out, and a surname with a word pair ("Kessler Amber Creek
    Motors") after those (networks several times the sample's size).
    """
    single: list[tuple[str, tuple[str, ...]]] = [(w, _SURNAME_TEMPLATES) for w in _SURNAMES]
    single += [(f"{a} {b}", _WORD_TEMPLATES) for a in _WORDS_A for b in _WORDS_B]
    double = [(f"{a}-{b}", _SURNAME_TEMPLATES) for a in _SURNAMES for b in _SURNAMES if a != b]
    bases = [single[i] for i in rng.permutation(len(single))]
    bases += [double[i] for i in rng.permutation(len(double))]
    if n > len(bases):  # drawn only when needed, so smaller networks keep their bytes
        triple = [
            (f"{s} {a} {b}", _WORD_TEMPLATES) for s in _SURNAMES for a in _WORDS_A for b in _WORDS_B
        ]
        bases += [triple[i] for i in rng.permutation(len(triple))]
    if n > len(bases):
        msg = f"the sample has names for {len(bases):,} owner groups, not {n:,}"
        raise InvalidInputError(msg)
    return [str(rng.choice(templates)).format(base) for base, templates in bases[:n]]


def site_names(city: np.ndarray, bearing: np.ndarray, pattern: str) -> list[str]:
    """Unique store names: the plain one first, then with a compass word, then a number."""
    used: set[str] = set()
    names = []
    for c, az in zip(city, bearing, strict=True):
        base, start = pattern.format(c), int(np.round(az / 45.0)) % 8
        compass = (f"{base} {COMPASS[(start + k) % 8]}" for k in range(8))
        numbered = (f"{base} {k}" for k in itertools.count(2))
        names.append(next(o for o in itertools.chain([base], compass, numbered) if o not in used))
        used.add(names[-1])
    return names
