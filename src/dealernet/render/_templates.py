"""The Jinja environment for every HTML page and fragment dealernet writes.

One environment, with autoescaping on for every template whatever its file name, so a
value from an input file (a dealer called ``<img src=x onerror=alert(1)>``) always reaches
the page as text. Templates live in ``templates/`` as package data; partials that are only
included or imported start with ``_``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from dealernet import formatting
from dealernet.settings import shown_path


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment: autoescape always on, undefined names are errors.

    ``StrictUndefined`` turns a misspelt variable into an error in the tests instead of a
    silently empty cell in a report. :mod:`dealernet.formatting` is available as the
    filters ``count``, ``money``, ``miles``, ``figure(field)`` (formatted by what the
    column measures) and ``number`` (an assumption as typed), and the function
    ``span(low, base, high, fmt)``. Trailing newlines are dropped so a fragment (a layer
    label, a popup) carries none; :func:`render_page` ends whole pages with one.
    """

    env = Environment(
        loader=PackageLoader("dealernet", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    # Numbers read the same in every page as in the terminal: "$4.2 M", "1,234", "12.4 mi".
    env.filters.update(
        count=formatting.count,
        money=formatting.money,
        miles=formatting.miles,
        figure=formatting.figure,
        number=formatting.number,
        shown_path=shown_path,
    )
    env.globals["span"] = formatting.span
    return env


def template(name: str) -> Template:
    """A template of ``templates/`` by file name."""
    return environment().get_template(name)


def render_page(name: str, **context: Any) -> str:
    """A whole page rendered from ``templates/``, ending in a newline like any text file.

    Pages extend ``base.html.j2``; the newline is added here because the environment drops
    the one at the end of each template (see :func:`environment`).
    """
    return template(name).render(**context) + "\n"


def macros(name: str) -> Any:
    """The macros of a partial, callable from Python: ``macros("_map_popup.html.j2").site(s)``.

    Calling a macro returns escaped markup, so many small fragments (one popup per site)
    can be rendered without building HTML in Python strings.
    """
    return template(name).module


def static_text(name: str) -> str:
    """A file of ``templates/`` as plain text, not rendered (our own CSS and JavaScript)."""
    return files("dealernet").joinpath("templates").joinpath(name).read_text(encoding="utf-8")
