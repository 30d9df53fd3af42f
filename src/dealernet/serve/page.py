"""The explorer's page: one HTML file from ``templates/serve/``, its script and styles
inline (no build step, nothing fetched from elsewhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dealernet import __version__
from dealernet.render._map_assets import script_text, style_text
from dealernet.render._templates import render_page as render_template
from dealernet.render._templates import static_text

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.serve.tabs import Tabs


def render_page(explorer: Tabs, nonce: str) -> str:
    """The page; ``nonce`` lets its one inline script run under the page's policy."""
    network = explorer.network
    return render_template(
        "serve/explorer.html.j2",
        version=__version__,
        nonce=nonce,
        network=network.label,
        scenario=network.scenario.name,
        script=script_text(static_text("serve/explorer.js")),
        styles=style_text(static_text("serve/explorer.css")),
    )
