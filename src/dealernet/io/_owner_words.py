"""Words that never identify a dealer group on their own, for :mod:`dealernet.io.owners`.

Two stores called "Metro Infiniti" and "Metro Nissan", or "Bob's Nissan" and "Bob's Infiniti",
say nothing about who owns them: these words are used by unrelated dealers all over the
country. The lists are hand-made from the words dealer names are built of (and checked on the
2015 Infiniti and Nissan rosters); they err on the side of calling a word generic, because a
report sent to the wrong group is worse than a store whose owner stays unknown.
"""

from __future__ import annotations

from dealernet.schema import BRANDS

_SPLIT = str.split

#: Makes that are not in :data:`dealernet.schema.BRANDS` but appear in old dealer names.
_OTHER_MAKES = _SPLIT(
    "vw chevy infinity oldsmobile olds pontiac saturn hummer saab mercury plymouth isuzu "
    "suzuki scion smart datsun bentley ferrari lamborghini rolls royce tesla lotus daewoo "
    "mopar chevrolet gm"
)

#: Every word of a make's name, lower case ("mercedes", "benz", "land", "rover", ...).
MAKE_WORDS: frozenset[str] = frozenset(
    w for b in BRANDS for w in b.casefold().replace("-", " ").split()
) | frozenset(_OTHER_MAKES)

#: How rosters abbreviate a make in a store's name ("Ray Brandt Inf/Metairie").
MAKE_ABBREVIATIONS: dict[str, str] = {
    "inf": "infiniti",
    "infinity": "infiniti",
    "nis": "nissan",
    "chevy": "chevrolet",
    "vw": "volkswagen",
    "mb": "mercedes",
}

#: Words of a dealership's trade name used by unrelated dealers everywhere: business words,
#: places in general (directions, landforms, "metro"), and the stock adjectives of car lots.
GENERIC_WORDS: frozenset[str] = frozenset(
    _SPLIT(
        # connectives and legal forms
        "of the and at on in by to for a an inc llc corp co company ltd dba lp sls "
        # the car business
        "auto autos automotive automobile automobiles autogroup autoplex autoland autoworld "
        "automall autocenter autohaus autosales motor motors motorcars motorcar motorsport "
        "motorsports motorworks car cars carland carworld truck trucks import imports sales "
        "sale service services center centre superstore store stores dealership dealer dealers "
        "dealerships group family collection network mall outlet direct express online new used "
        "preowned pre owned certified leasing lease rent rental parts showroom "
        # stock adjectives and emblems
        "premier premium prestige elite luxury classic quality superior value economy best first "
        "friendly courtesy reliable universal national nationwide international american "
        "america united all star stars champion champions victory legend legends magic liberty "
        "freedom patriot patriots eagle crown royal imperial regal sterling platinum gold golden "
        "diamond capital capitol power team pro plus one select choice smart precision "
        "performance sport sports world global continental century millennium heritage pioneer "
        "frontier summit peak keystone landmark signature ultimate supreme grand great big "
        "super fast easy better good true honest trust trusted genuine original "
        # places in general
        "north south east west northeast northwest southeast southwest northern southern eastern "
        "western central mid middle upper lower greater metro metropolitan city cities county "
        "country town township village valley valleys lake lakes lakeside river riverside bay "
        "bayside beach beaches coast coastal shore shores island islands harbor harbour port "
        "point hill hills mountain mountains mount mesa canyon creek springs spring park parks "
        "place plaza square circle crossing crossings crossroads corner corners gateway "
        "airport highway interstate freeway parkway expressway boulevard avenue street road "
        "route way lane drive tri twin area region district downtown uptown midtown westside "
        "eastside northside southside heights gulf pacific atlantic northshore southshore "
        "westgate eastgate northgate southgate bridge station junction landing forest woods "
        "pines oaks grove meadows ridge view vista clear sunset sunrise sun desert prairie "
        "plains bluegrass piedmont tidewater lowcountry midwest southland northland "
        "carolina dakota jersey hampshire york mexico virginia"
    )
)

#: Given names common in the US, and their short forms, as dealers put them on signs
#: ("Bob's", "Charlie's", "Jim"): alone they name nobody in particular.
FIRST_NAMES: frozenset[str] = frozenset(
    _SPLIT(
        "aaron adam al alan albert alex alexander allen andrew andy ann anna anne anthony art "
        "arthur barbara barry ben benjamin bernie bert beth betty bill billy bob bobby brad "
        "brandon brian bruce bud buddy carl carol carolyn charles charley charlie chris "
        "christopher chuck cindy craig dale dan daniel danny dave david dean debbie dennis "
        "diane dick don donald donna doug douglas earl ed eddie edward eric frank fred gary "
        "gene george gerald glen glenn greg gregory hank harold harry helen henry herb herbert "
        "howard jack jackie james jane jason jay jean jeff jeffrey jennifer jerry jim jimmy "
        "joe joey john johnny jon jose joseph joyce juan judy julie karen kathy keith ken "
        "kenneth kevin larry laura lee leo linda lisa lou louis lynn margaret maria mark "
        "marc martin mary matt matthew mel michael mickey mike nancy nick norm norman pat "
        "patricia patrick paul pete peter phil philip ralph randy ray raymond rich richard "
        "rick ricky rob robert roger ron ronald roy russ russell ruth sam samuel sandy sarah "
        "scott sharon stan stanley steve steven sue susan ted terry thomas tim timothy tom "
        "tommy tony walt walter wayne bill will william willie kelly"
    )
)

#: Surnames so common that one alone does not point at one family's business.
COMMON_SURNAMES: frozenset[str] = frozenset(
    _SPLIT(
        "smith johnson williams brown jones miller davis wilson anderson taylor thomas moore "
        "martin jackson thompson white harris clark lewis robinson walker young allen king "
        "wright scott hill green adams baker nelson hall campbell mitchell carter roberts "
        "phillips evans turner parker collins edwards stewart morris murphy cook rogers morgan "
        "cooper peterson reed bailey bell kelly howard ward cox richardson wood watson brooks "
        "bennett gray james hughes price sanders myers long ross foster garcia martinez "
        "rodriguez hernandez lopez gonzalez perez sanchez ramirez torres flores rivera lee"
    )
)

#: Website hosts shared by many unrelated dealers (a dealer's site is the label before them).
WEB_PLATFORMS: frozenset[str] = frozenset(
    _SPLIT(
        "dealer.com nissandealer.com infinitidealer.com dealerconnection.com dealerfire.com "
        "dealerinspire.com dealeron.com dealereprocess.com dealersocket.com cdkglobal.com "
        "cobalt.com autotrader.com cars.com"
    )
)

#: Leading words of a domain that say nothing about the owner (``shopnissanofrichmond``).
WEB_PREFIXES: tuple[str, ...] = ("the", "my", "shop", "buy", "go", "drive", "ilove", "visit")
#: Trailing words of a domain or name part that say nothing about the owner (``kellyauto``).
WEB_SUFFIXES: tuple[str, ...] = (
    "automotivegroup",
    "autogroup",
    "automotive",
    "automall",
    "autoplex",
    "autos",
    "auto",
    "motors",
    "motorcars",
    "cars",
    "group",
    "family",
    "dealerships",
    "online",
    "direct",
    "of",
)
