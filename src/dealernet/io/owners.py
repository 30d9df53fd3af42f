"""Owner groups: taken from an owners file, inferred from what rosters carry, or unknown.

A maker's dealer locator lists stores, not owners. Yet who owns a store matters here: a rule
folds an Infiniti store into its owner's own Nissan store, and reports go to owner groups. So
when a dealer file names no owner, :func:`infer_owners` looks for the one trace a group leaves
on a roster, its name: two stores a short drive apart whose names or websites share a
distinctive owner stem ("Bert Ogden Infiniti" and "Bert Ogden Nissan", ``inskipinfiniti.com``
and ``inskipnissan.com``) are put in one group, with the evidence written down. Place words,
makes, generic words and lone first names are never evidence (:mod:`dealernet.io._owner_stems`),
and a store with no such partner keeps an unknown owner: nothing is guessed.

A user confirms or corrects this with an owners file (:mod:`dealernet.io.owner_file`):
dealer id -> group, which always wins over inference.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._names import name_key
from dealernet.geo.distance import geodesic_miles
from dealernet.io._owner_stems import name_stem, owner_words, place_words, website_stem
from dealernet.io.owner_file import (
    OwnerMapping,
    apply_owner_file,
    load_owner_file,
    unmatched_owner_ids,
)
from dealernet.io.owner_names import FIX, describe, unify_owner_names
from dealernet.schema import (
    BRAND,
    CITY,
    DEALER_CODE,
    DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    OWNER_EVIDENCE,
    OWNER_FROM_FILE,
    OWNER_GROUP,
    OWNER_INFERRED,
    OWNER_PARTNER,
    OWNER_SOURCE,
    OWNER_UNKNOWN,
    STATE,
    WEBSITE,
    Brands,
    as_brands,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Two stores sharing a stem are grouped only this close (geodesic miles): dealer groups
#: cluster in one metro area, while unrelated dealers with one name sit states apart.
OWNER_RADIUS_MILES = 50.0


def with_owners(
    network: gpd.GeoDataFrame,
    source_brand: str,
    host_brand: Brands,
    owners: str | Path | OwnerMapping | None = None,
) -> gpd.GeoDataFrame:
    """The owners a run works with: the owners file's groups (a path or its mapping), then
    :func:`infer_owners` for the stores that neither it nor their dealer file names.

    Dealer ids of the owners file that match no store are a warning, not an error: the
    file may list more dealers than these files hold.
    """
    if owners is not None:
        if isinstance(owners, Mapping):
            mapping, source = owners, "owners file"
        else:
            mapping, source = load_owner_file(owners), f"owners file {Path(owners).name}"
        network = apply_owner_file(network, mapping, source=source)
        missing = unmatched_owner_ids(network, mapping)
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            warnings.warn(
                f"{source}: {len(missing):,} dealer ids match no store and were ignored: {shown}",
                UserWarning,
                stacklevel=3,
            )
    network, spelt = unify_owner_names(network)  # an owners file or a frame made in code
    if spelt:
        listed = "; ".join(describe(s) for s in list(spelt.values())[:5])
        more = f" (and {len(spelt) - 5:,} more owners)" if len(spelt) > 5 else ""
        warnings.warn(
            f"owner names written more than one way were read as one owner each: {listed}"
            f"{more}. {FIX}",
            UserWarning,
            stacklevel=3,
        )
    return infer_owners(network, source_brand, host_brand)


# --- inference ----------------------------------------------------------------------------


def infer_owners(
    network: gpd.GeoDataFrame,
    source_brand: str = "Infiniti",
    host_brand: Brands = "Nissan",
    *,
    max_miles: float = OWNER_RADIUS_MILES,
) -> gpd.GeoDataFrame:
    """A copy of the network with every store's owner, where it came from, and why.

    ``host_brand`` is one brand or an alliance's several: a group is looked for across the
    source brand and every host brand ("Bert Ogden Infiniti" and "Bert Ogden Honda" too).
    Stores whose file named an owner keep it (``owner_source`` "file"). Among the other
    stores of those brands, stores within ``max_miles`` whose name stems or website stems
    are equal are linked, and each connected set becomes one group ("inferred", with the
    evidence and the matched partner in ``owner_evidence`` and ``owner_partner``). Every
    other store has ``owner_source`` "unknown" and no owner group.
    """
    out = network.copy()
    given = _given_owner(out)
    out[OWNER_GROUP] = out[OWNER_GROUP].where(given, None)
    out[OWNER_SOURCE] = np.where(given, OWNER_FROM_FILE, OWNER_UNKNOWN)
    evidence = out[OWNER_EVIDENCE] if OWNER_EVIDENCE in out else pd.Series(None, index=out.index)
    out[OWNER_EVIDENCE] = evidence.astype(object).where(given, None)
    out[OWNER_PARTNER] = pd.Series(None, index=out.index, dtype=object)
    open_ = ~given & out[BRAND].isin([source_brand, *as_brands(host_brand)]).to_numpy()
    open_ &= np.isfinite(out[LATITUDE].to_numpy(dtype="float64"))
    rows = np.flatnonzero(open_)
    if rows.size < 2:
        return out
    sites = out.iloc[rows]
    keys = _stem_keys(sites)
    links = _links(sites, keys, max_miles)
    filed = out.loc[given]
    taken = {name_key(g) for g in filed[OWNER_GROUP]}
    for members, group in _groups(sites, keys, links, taken, filed, max_miles):
        for i in members:
            partner, text = _evidence(sites, keys, links, i)
            if name_key(group) in taken and group in set(filed[OWNER_GROUP]):
                text += f"; the owners file names a {group!r} group within {max_miles:g} mi"
            at = out.index[rows[i]]
            out.at[at, OWNER_GROUP] = group
            out.at[at, OWNER_SOURCE] = OWNER_INFERRED
            out.at[at, OWNER_EVIDENCE] = text
            out.at[at, OWNER_PARTNER] = sites[DEALER_ID].iloc[partner]
    return out


def _given_owner(network: pd.DataFrame) -> np.ndarray:
    """Stores whose owner came from a file: named, and not inferred by an earlier call."""
    owner = network[OWNER_GROUP]
    named = owner.notna() & (owner.astype(str).str.strip() != "")
    if OWNER_SOURCE in network:
        named &= network[OWNER_SOURCE].astype(str) != OWNER_INFERRED
    return named.to_numpy()


#: site position -> stem key (letters run together: ``bertogden``) -> where it was found
#: ("name" or "website") -> the stem as found there ("bert ogden").
_Keys = dict[int, dict[str, dict[str, str]]]
#: (i, j, key, miles) with i < j: stores i and j share the stem ``key``.
_Link = tuple[int, int, str, float]


def _stem_keys(sites: pd.DataFrame) -> _Keys:
    """Each store's stems, keyed so that a name stem can meet a website stem."""
    places = place_words(sites[LATITUDE], sites[LONGITUDE], sites[CITY])
    urls = sites[WEBSITE] if WEBSITE in sites else pd.Series(None, index=sites.index)
    keys: _Keys = {}
    for i, (name, url, brand) in enumerate(zip(sites[NAME], urls, sites[BRAND], strict=True)):
        found: dict[str, dict[str, str]] = {}
        stem = name_stem(name, brand, places[i])
        if stem is not None:
            spelt = found.setdefault("".join(stem), {})
            spelt["name"] = " ".join(stem)
            spelt["display"] = " ".join(owner_words(name, brand, places[i]))
        web = website_stem(url, brand, places[i])
        if web is not None:
            found.setdefault(web, {})["website"] = web
        keys[i] = found
    return keys


def _links(sites: pd.DataFrame, keys: _Keys, max_miles: float) -> list[_Link]:
    """Every pair of stores that share a stem and stand within ``max_miles``."""
    by_key: dict[str, list[int]] = {}
    for i, found in keys.items():
        for key in found:
            by_key.setdefault(key, []).append(i)
    lat = sites[LATITUDE].to_numpy(dtype="float64")
    lon = sites[LONGITUDE].to_numpy(dtype="float64")
    links: list[_Link] = []
    for key, members in sorted(by_key.items()):
        if len(members) < 2:
            continue
        at = np.asarray(members)
        miles = geodesic_miles(lat[at, None], lon[at, None], lat[None, at], lon[None, at])
        for a in range(len(at)):
            for b in range(a + 1, len(at)):
                if miles[a, b] <= max_miles:
                    links.append((int(at[a]), int(at[b]), key, float(miles[a, b])))
    return links


def _groups(
    sites: pd.DataFrame,
    keys: _Keys,
    links: list[_Link],
    taken: set[str],
    filed: pd.DataFrame,
    max_miles: float,
) -> list[tuple[list[int], str]]:
    """Linked stores as groups, each with a readable name that no other group has.

    A group whose name is a group of the owners file with a store within ``max_miles`` joins
    that group (the file's spelling): the user named that owner, and the stem agrees.
    """
    parent = list(range(len(sites)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, _key, _miles in links:
        parent[root(i)] = root(j)
    members: dict[int, list[int]] = {}
    for i in sorted({i for link in links for i in link[:2]}):
        members.setdefault(root(i), []).append(i)
    groups = []
    for component in sorted(members.values()):
        name = _group_name(keys, component, links)
        joined = _filed_group_near(name, sites.iloc[component], filed, max_miles)
        if joined is not None:
            groups.append((component, joined))
            continue
        if name_key(name) in taken:  # one stem, two groups far apart: say where
            first = sites.iloc[component[0]]
            name = f"{name} ({', '.join(str(v) for v in (first[CITY], first[STATE]) if v)})"
        taken.add(name_key(name))
        groups.append((component, name))
    return groups


def _filed_group_near(
    name: str, members: pd.DataFrame, filed: pd.DataFrame, max_miles: float
) -> str | None:
    """The owners file's spelling of ``name`` when that group has a store near ``members``."""
    same = filed[filed[OWNER_GROUP].map(name_key) == name_key(name)]
    if same.empty:
        return None
    for _, store in members.iterrows():
        miles = geodesic_miles(
            store[LATITUDE], store[LONGITUDE], same[LATITUDE].to_numpy(), same[LONGITUDE].to_numpy()
        )
        if np.nanmin(np.atleast_1d(miles)) <= max_miles:
            return str(same[OWNER_GROUP].iloc[0])
    return None


def _group_name(keys: _Keys, component: list[int], links: list[_Link]) -> str:
    """The stem most of the group's links share, as a name writes it, in title case."""
    inside = set(component)
    counts: dict[str, int] = {}
    for i, _j, key, _miles in links:
        if i in inside:
            counts[key] = counts.get(key, 0) + 1
    named = {k for i in component for k, found in keys[i].items() if "display" in found}
    key = min(counts, key=lambda k: (-counts[k], k not in named, k))
    spellings = sorted((len(s), s) for i in component if (s := keys[i].get(key, {}).get("display")))
    spelt = spellings[0][1] if spellings else key
    return " ".join(w.capitalize() for w in spelt.split())


def _evidence(sites: pd.DataFrame, keys: _Keys, links: list[_Link], i: int) -> tuple[int, str]:
    """Store ``i``'s best partner (another brand first, then the nearest) and why."""
    own = sites[BRAND].iloc[i]
    mine = [(b if a == i else a, key, miles) for a, b, key, miles in links if i in (a, b)]
    partner, _key, miles = min(mine, key=lambda m: (sites[BRAND].iloc[m[0]] == own, m[2], m[0]))
    shared = sorted(
        {_shared(keys[i][k], keys[partner][k]) for j, k, _miles in mine if j == partner},
        key=lambda text: (not text.startswith("name"), text),
    )
    other = sites.iloc[partner]
    where = ", ".join(str(v) for v in (other[CITY], other[STATE]) if v)
    return partner, (
        f"{' and '.join(shared)} shared with {other[NAME]} "
        f"({other[BRAND]} {other[DEALER_ID]}, {where}, {miles:.1f} mi)"
    )


def _shared(mine: dict[str, str], theirs: dict[str, str]) -> str:
    """What two stores share: ``name stem 'bert ogden'``, ``website stem 'inskip'``..."""
    both = [k for k in ("name", "website") if k in mine and k in theirs]
    if both:
        return " and ".join(f"{k} stem {mine[k]!r}" for k in both)
    name = mine.get("name") or theirs.get("name")
    web = mine.get("website") or theirs.get("website")
    return f"name stem {name!r} = website stem {web!r}"


def owner_counts(network: pd.DataFrame, brand: str | None = None) -> dict[str, int]:
    """How many stores (of ``brand``, or all) have an owner from a file, inferred, unknown."""
    sites = network if brand is None else network[network[BRAND] == brand]
    if OWNER_SOURCE in sites:
        source = sites[OWNER_SOURCE].astype(str)
    else:
        source = pd.Series(np.where(_given_owner(sites), OWNER_FROM_FILE, OWNER_UNKNOWN))
    return {s: int((source == s).sum()) for s in (OWNER_FROM_FILE, OWNER_INFERRED, OWNER_UNKNOWN)}


#: Columns of :func:`inferred_owners_table`, the review file ``owners_inferred.csv``.
INFERRED_COLUMNS = (
    DEALER_ID,
    BRAND,
    NAME,
    CITY,
    STATE,
    OWNER_GROUP,
    "evidence",
    "partner_dealer_id",
    "partner_brand",
    "partner_name",
    "partner_city",
    "partner_state",
    "partner_miles",
)


def inferred_owners_table(network: pd.DataFrame) -> pd.DataFrame:
    """Every store with an inferred owner, with the evidence and its matched partner, for a
    person to check (and to copy into an owners file, corrected)."""
    if OWNER_SOURCE not in network:
        return pd.DataFrame(columns=list(INFERRED_COLUMNS))
    rows = network[network[OWNER_SOURCE] == OWNER_INFERRED]
    by_id = network.drop_duplicates(DEALER_ID).set_index(DEALER_ID)
    partners = by_id.reindex(rows[OWNER_PARTNER].astype(str).to_numpy())
    table = pd.DataFrame(
        {
            DEALER_ID: rows[DEALER_ID].to_numpy(),
            BRAND: rows[BRAND].to_numpy(),
            NAME: rows[NAME].to_numpy(),
            CITY: rows[CITY].to_numpy(),
            STATE: rows[STATE].to_numpy(),
            OWNER_GROUP: rows[OWNER_GROUP].to_numpy(),
            "evidence": rows[OWNER_EVIDENCE].to_numpy(),
            "partner_dealer_id": rows[OWNER_PARTNER].to_numpy(),
            "partner_brand": partners[BRAND].to_numpy(),
            "partner_name": partners[NAME].to_numpy(),
            "partner_city": partners[CITY].to_numpy(),
            "partner_state": partners[STATE].to_numpy(),
            "partner_miles": geodesic_miles(
                rows[LATITUDE].to_numpy(dtype="float64"),
                rows[LONGITUDE].to_numpy(dtype="float64"),
                partners[LATITUDE].to_numpy(dtype="float64"),
                partners[LONGITUDE].to_numpy(dtype="float64"),
            ),
        }
    )
    return table.sort_values([OWNER_GROUP, BRAND, NAME], kind="stable").reset_index(drop=True)


def grouped_together(
    network: pd.DataFrame, pairs: Iterable[tuple[str, str, str, str]]
) -> list[bool]:
    """For each pair of stores ``(brand, dealer code, brand, dealer code)``, whether both
    have one known owner group: how a labelled set of pairs scores the inference."""
    codes = network[DEALER_CODE] if DEALER_CODE in network else network[DEALER_ID]
    codes = codes.where(codes.notna(), network[DEALER_ID]).astype(str)
    group = dict(zip(zip(network[BRAND], codes, strict=True), network[OWNER_GROUP], strict=True))
    found = []
    for brand_a, code_a, brand_b, code_b in pairs:
        a, b = group.get((brand_a, str(code_a))), group.get((brand_b, str(code_b)))
        found.append(isinstance(a, str) and bool(a.strip()) and a == b)
    return found
