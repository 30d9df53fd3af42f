"""The one console every command prints through, which never lets input drive the terminal.

Names, owners, cities, file names and error messages all come from files a user was sent;
a dealer named ``ESC]0;pwned BEL`` or ``ESC[2J`` must print as those characters, not
retitle the window or clear the screen. Escaping at each call is easy to forget, so the
console does it itself, at two points every printed thing passes:

* :meth:`SafeConsole.render_str`, where rich turns a string (a message, a table cell, a
  title) into text: the string is made :func:`~dealernet.formatting.printable` before its
  markup is read and its width measured, so tables stay aligned;
* :meth:`SafeConsole.render`, where every renderable becomes segments: any text segment
  that still holds a control character (a ``Text`` built by hand, a progress bar's label)
  is escaped there. Rich's own colours and cursor moves are styles and control segments,
  applied after this, so they still work.

Imported by :func:`dealernet.cli._common.make_console` on first use, so ``--help`` does not
import rich.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from dealernet.formatting import printable


class SafeConsole(Console):
    """A rich console that shows control characters from any text as visible escapes."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Escape control characters before markup is parsed and the width measured."""
        return super().render_str(printable(text), **kwargs)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        """Every segment rich will write, with control characters in text escaped.

        Segments marked ``control`` are rich's own (cursor moves of the progress bar) and
        pass; styles are turned into escape codes later, so colours are untouched.
        """
        for segment in super().render(renderable, options):
            if segment.control or not segment.text:
                yield segment
                continue
            safe = printable(segment.text)
            yield segment if safe == segment.text else Segment(safe, segment.style)


def safe_console(stderr: bool = False) -> SafeConsole:
    """A console for standard output (or error) in dealernet's look: no highlighting of
    numbers, long lines wrapped by the terminal."""
    return SafeConsole(stderr=stderr, highlight=False, soft_wrap=True)
