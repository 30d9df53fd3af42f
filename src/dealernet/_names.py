"""One way to read the names users type: owner groups, hosts, states, places, regions, counties.

A planner types ``--owner "Maple Lake Automotie"`` or ``--state Texs``; an owner types part of
their group's name. Every command reads such names the same way, through :class:`Names`:

1. an exact match (case and spacing aside) always wins;
2. where the kind of name allows it, the only name that contains what was typed
   (``"maple lake"``);
3. the one clearly closest spelling: a difflib similarity of at least :data:`CUTOFF`, at
   least :data:`MARGIN` ahead of any other name, and the same words each misspelt a little
   (:data:`WORD_CUTOFF`): "Maple Lake Automotie" is read as "Maple Lake Automotive", but
   "Granite Peak Auto Partners" is not read as "Granite Oak Auto Partners" although the
   whole names are 0.92 alike, since "Peak" is another word, not a typo of "Oak".

Two names about equally close are refused with both listed, never guessed, and a name close
to nothing is refused with the nearest names, because a map or report about the wrong dealer
group is worse than none. Every reading that is not exact comes back as a :class:`Match` with
``exact=False``, so the caller can tell the user what their text was read as.

This is a top-level module: it imports nothing from the stage folders, so every stage (geo,
planning, render, cli) may use it.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from dealernet._errors import QueryError

#: A misspelling is read as a name when their similarity (difflib ratio, 0-1) is at least
#: this ("Texs" and "Texas" are 0.89, "Souht" and "South" 0.8) ...
CUTOFF = 0.8
#: ... and at least this much higher than any other name's; closer rivals make it ambiguous.
MARGIN = 0.05
#: ... and word by word, each typed word at least this similar to the name's word in the same
#: place ("Automotie" / "Automotive" 0.95, "Yrok" / "York" 0.75, "Peak" / "Oak" 0.57).
WORD_CUTOFF = 0.75
#: Names at least this similar are offered as suggestions when nothing matches.
SUGGEST_CUTOFF = 0.6
#: Names listed in a message: suggestions, or the candidates of an ambiguous name.
MAX_LISTED = 5

#: Kinds of name, as messages call them (the CLI maps each to its option).
OWNER = "owner group"
HOST = "host site"
STATE = "state"
PLACE = "US place"
REGION = "region"
COUNTY = "county"


def name_key(text: object) -> str:
    """The one key names are told apart by: two spellings with equal keys are one name.

    Case, runs of white space of any kind (tabs, non-breaking spaces), compatibility forms
    (full-width letters, ligatures) and invisible characters (zero-width spaces, bidi marks,
    control characters) never matter: ``"Alpha\u00a0 GROUP"`` and ``"alpha group"`` are
    one owner to the rules, the roll-ups, the reports and the matcher alike.
    """
    text = str(text)
    if text.isascii() and text.isprintable():  # the common case, ten times faster
        return " ".join(text.split()).casefold()
    normal = unicodedata.normalize("NFKC", text)
    visible = "".join(" " if c.isspace() else c for c in normal if not _invisible(c))
    return " ".join(visible.split()).casefold()


def display_name(text: object) -> str:
    """A name as written, tidied for showing: white space collapsed, invisible marks dropped.

    Letters, case and punctuation stay as the file spelt them (the first spelling of an
    owner is the one shown); only what a reader cannot see, or sees as one space, goes.
    """
    text = str(text)
    if text.isascii() and text.isprintable():
        return " ".join(text.split())
    normal = unicodedata.normalize("NFC", text)
    visible = "".join(" " if c.isspace() else c for c in normal if not _invisible(c))
    return " ".join(visible.split())


def _invisible(char: str) -> bool:
    """Format and control characters (zero-width space, bidi overrides, ESC, NUL)."""
    return not char.isspace() and unicodedata.category(char) in {"Cc", "Cf"}


@dataclass(frozen=True)
class Match:
    """How one typed name was read.

    Attributes
    ----------
    query
        What the user typed.
    value
        What it was read as: a name as written in the data, a postal code, an id.
    exact
        Whether it matched as typed (case and spacing aside). False for part of a name or a
        close spelling: the user should be told, see :meth:`note`.
    kind
        What sort of name it is (:data:`OWNER`, :data:`STATE`, ...).
    label
        How to show ``value`` to a reader (``"Dallas, TX"``); ``value`` itself when empty.
    """

    query: str
    value: str
    exact: bool
    kind: str = "name"
    label: str = ""

    @property
    def shown(self) -> str:
        """The value as a reader should see it."""
        return self.label or self.value

    def note(self, name: str | None = None) -> str:
        """What to tell the user: ``state 'Texs' read as 'TX'``.

        Parameters
        ----------
        name
            What to call the name instead of its kind, such as the option it was given
            with (``"--state"``).
        """
        return f"{name or self.kind} {self.query!r} read as {self.shown!r}"


def corrected(matches: Iterable[Match]) -> tuple[Match, ...]:
    """The matches that were not exact, in order: the ones to tell the user about."""
    return tuple(m for m in matches if not m.exact)


def listing(items: Iterable[str], conjunction: str = "and", limit: int = MAX_LISTED) -> str:
    """``'A'``, ``'A' or 'B'``, ``'A', 'B' and 3 more``: quoted, and counted beyond ``limit``."""
    quoted = [repr(i) for i in items]
    if len(quoted) > limit:
        return ", ".join(quoted[:limit]) + f" and {len(quoted) - limit} more"
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + f" {conjunction} " + quoted[-1]


def did_you_mean(items: Iterable[str]) -> str:
    """``" Did you mean 'A' or 'B'?"``, or ``""`` when there is nothing to suggest."""
    text = listing(items, "or")
    return f" Did you mean {text}?" if text else ""


class Names:
    """The names one kind of thing goes by, to read what a user typed as one of them.

    Parameters
    ----------
    names
        The candidates: names as written (each is its own value), or a mapping from every
        spelling to the value it stands for (``{"Texas": "TX", "TX": "TX"}``). Blank and
        non-text spellings are skipped; of spellings with the same key, the first wins.
    kind
        What they are, for messages (:data:`OWNER`, ...).
    key
        Turns a spelling or a query into the text compared; equal keys are an exact match.
    partial
        Also read a query as the only name whose key contains it (``"maple lake"``).
    source
        Where the names come from, ending the not-found message: ``" in these dealer files"``.
    fix
        A sentence ending every refusal that says how to put it right.
    show
        How to write a value in messages and in :attr:`Match.label` (default: as it is).
    """

    def __init__(
        self,
        names: Mapping[str, str] | Iterable[object],
        *,
        kind: str,
        key: Callable[[str], str] = name_key,
        partial: bool = False,
        source: str = "",
        fix: str = "",
        show: Callable[[str], str] = str,
    ) -> None:
        pairs = names.items() if isinstance(names, Mapping) else ((n, n) for n in names)
        self.kind, self.partial, self.source, self.fix = kind, partial, source, fix
        self._key, self._show = key, show
        self._values: dict[str, str] = {}
        for spelling, value in pairs:
            if isinstance(spelling, str) and (k := key(spelling)):
                self._values.setdefault(k, str(value))

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, query: object) -> bool:
        """Whether ``query`` is exactly one of the names (case and spacing aside)."""
        return isinstance(query, str) and self._key(query) in self._values

    def __repr__(self) -> str:
        return f"<Names: {len(self):,} {self.kind} spellings>"

    def match(self, query: str, *, source: str | None = None, typed: str | None = None) -> Match:
        """Read ``query`` as one of the names: exactly, as part of one, or as a close spelling.

        Parameters
        ----------
        query
            What the user typed.
        source
            Where the names come from, for this query's message only (instead of the
            ``source`` given when the names were made).
        typed
            The whole text the user typed, when ``query`` was cut out of it (the name in
            ``"Dalas, TX"``): messages and the match quote it instead.

        Raises
        ------
        QueryError
            When ``query`` is empty, is part of several names, is about as close to two
            names, or is close to none; the message lists the names it could be.
        """
        key = self._key(str(query))
        text = str(query) if typed is None else typed
        fix = f" {self.fix}" if self.fix else ""
        if not key:
            msg = f"an empty {self.kind} name matches nothing.{fix}"
            raise QueryError(msg)
        if key in self._values:
            return self._found(text, self._values[key], exact=True)
        if self.partial:
            hits = sorted({v for k, v in self._values.items() if key in k}, key=self._show)
            if len(hits) == 1:
                return self._found(text, hits[0], exact=False)
            if hits:
                msg = (
                    f"{self.kind} {text!r} matches {len(hits)} {self.kind}s: "
                    f"{listing(map(self._show, hits))}. Give more of the name.{fix}"
                )
                raise QueryError(msg)
        scores = self._scores(key)
        close = [(s, v) for s, v in scores if s >= CUTOFF and self._typo_of(key, v)]
        if close:
            rivals = [v for s, v in scores if s >= close[0][0] - MARGIN]
            if len(rivals) == 1:
                return self._found(text, rivals[0], exact=False)
            msg = (
                f"{self.kind} {text!r} is about equally close to "
                f"{listing(map(self._show, rivals))}: not guessing which you mean. "
                f"Give the name in full.{fix}"
            )
            raise QueryError(msg)
        where = self.source if source is None else source
        hint = did_you_mean(self._show(v) for _, v in scores[:MAX_LISTED])
        msg = f"no {self.kind} called {text!r}{where}.{hint}{fix}"
        raise QueryError(msg)

    def _typo_of(self, key: str, value: str) -> bool:
        """Whether ``key`` is one of ``value``'s spellings with each word a little misspelt."""
        return any(_same_words(key, k) for k, v in self._values.items() if v == value)

    def _found(self, query: str, value: str, *, exact: bool) -> Match:
        return Match(query, value, exact, self.kind, self._show(value))

    def _scores(self, key: str) -> list[tuple[float, str]]:
        """(similarity, value) of every value with a spelling at least SUGGEST_CUTOFF close,
        best first, each value once at its best spelling's score."""
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(key)
        best: dict[str, float] = {}
        for candidate, value in self._values.items():
            matcher.set_seq1(candidate)
            if (
                matcher.real_quick_ratio() >= SUGGEST_CUTOFF
                and matcher.quick_ratio() >= SUGGEST_CUTOFF
                and (score := matcher.ratio()) >= SUGGEST_CUTOFF
                and score > best.get(value, -1.0)
            ):
                best[value] = score
        return sorted(((s, v) for v, s in best.items()), key=lambda sv: (-sv[0], sv[1]))


def _same_words(typed: str, name: str) -> bool:
    """As many words, and each typed word a near spelling of the name's word in its place."""
    a, b = typed.split(), name.split()
    return len(a) == len(b) and all(
        x == y or difflib.SequenceMatcher(None, x, y).ratio() >= WORD_CUTOFF
        for x, y in zip(a, b, strict=True)
    )


# --- states -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def state_spellings() -> dict[str, str]:
    """Every spelling of a state we read -> its postal code: codes, names, AP abbreviations
    (``"Tex."``), FIPS codes, and a few common forms of DC and the Virgin Islands.

    The one list behind ``--state`` and the state in ``--near "Dallas, TX"`` and
    ``--county "Dallas, TX"``, so they accept the same spellings.
    """
    import us  # small, imported here so the CLI starts fast

    spellings: dict[str, str] = {}
    for state in (*us.states.STATES_AND_TERRITORIES, us.states.DC):
        for spelling in (state.abbr, state.name, getattr(state, "ap_abbr", None), state.fips):
            if spelling:
                spellings.setdefault(str(spelling), state.abbr)
    for spelling in ("Washington DC", "Washington, D.C.", "D.C."):
        spellings.setdefault(spelling, "DC")
    spellings.setdefault("US Virgin Islands", "VI")
    return spellings


@lru_cache(maxsize=1)
def state_names() -> Names:
    """The states, DC and the territories: a match's value is the postal code (``"TX"``),
    its label the name (``"Texas"``), so notes and suggestions read as words."""
    import us  # heavy or optional: imported on first use

    names = {s.abbr: s.name for s in (*us.states.STATES_AND_TERRITORIES, us.states.DC)}
    return Names(
        state_spellings(),
        kind=STATE,
        fix="Use a postal code such as TX, or the state's name.",
        show=lambda code: names.get(code, code),
    )
