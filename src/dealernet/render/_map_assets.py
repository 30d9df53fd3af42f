"""Leaflet and the marker-cluster plug-in, inlined from the xstatic packages or linked from a CDN.

A map is forwarded by e-mail and opened on a laptop in a meeting room without internet, so
by default every script and stylesheet is inside the HTML file: Leaflet and
Leaflet.markercluster from ``xstatic-leaflet`` and ``xstatic-leaflet-markercluster`` (the
images Leaflet's stylesheet refers to become ``data:`` URIs). ``cdn=True`` links the same
versions from a CDN instead, for a file about 0.2 MB smaller.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from dealernet.render._templates import static_text

#: Where ``cdn=True`` maps load Leaflet and the plug-in (same versions as the xstatic files).
CDN_ROOT = "https://unpkg.com"

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")
_END_SCRIPT = re.compile(r"</(script)", re.IGNORECASE)


@dataclass(frozen=True)
class Assets:
    """What a map page loads: inline text, or URLs when linked from a CDN.

    ``styles``, ``scripts`` and the URLs go into ``<head>``; ``builder`` (dealernet's own
    script, which makes the map and fills its layers) runs at the end of the page.
    """

    styles: tuple[Markup, ...]
    scripts: tuple[Markup, ...]
    style_urls: tuple[str, ...]
    script_urls: tuple[str, ...]
    builder: Markup


def _leaflet_dir() -> tuple[Path, str]:
    import xstatic.pkg.leaflet as leaflet  # heavy or optional: imported on first use

    return Path(leaflet.BASE_DIR), leaflet.VERSION


def _cluster_dir() -> tuple[Path, str]:
    import xstatic.pkg.leaflet_markercluster as cluster  # heavy or optional: imported on first use

    return Path(cluster.BASE_DIR), cluster.VERSION


def script_text(text: str) -> Markup:
    """JavaScript that is safe inside ``<script>``: no source-map fetch, no early ``</script``."""
    return Markup(_END_SCRIPT.sub(r"<\\/\1", _SOURCE_MAP.sub("", text)))


def style_text(text: str) -> Markup:
    """CSS that is safe inside ``<style>``; refuses text that would close the element."""
    if "</" in text:
        msg = "a stylesheet to inline contains '</'"
        raise ValueError(msg)
    return Markup(_SOURCE_MAP.sub("", text))


def _inline_images(css: str, folder: Path) -> str:
    """Replace ``url(images/x.png)`` with a ``data:`` URI, so nothing is fetched beside the file."""

    def data_uri(match: re.Match[str]) -> str:
        payload = base64.b64encode((folder / match.group(2)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{payload})"

    return _CSS_URL.sub(data_uri, css)


@lru_cache(maxsize=2)
def assets(cdn: bool = False) -> Assets:
    """Leaflet, the marker-cluster plug-in and dealernet's own map CSS and JavaScript.

    dealernet's own small stylesheet and script are always inline; only the two libraries
    move to a CDN with ``cdn=True``.
    """
    ours_css = style_text(static_text("_map.css"))
    ours_js = script_text(static_text("_map.js"))
    leaflet, leaflet_version = _leaflet_dir()
    cluster, cluster_version = _cluster_dir()
    if cdn:
        base = f"{CDN_ROOT}/leaflet@{leaflet_version}/dist"
        plugin = f"{CDN_ROOT}/leaflet.markercluster@{cluster_version}/dist"
        return Assets(
            styles=(ours_css,),
            scripts=(),
            style_urls=(
                f"{base}/leaflet.css",
                f"{plugin}/MarkerCluster.css",
                f"{plugin}/MarkerCluster.Default.css",
            ),
            script_urls=(f"{base}/leaflet.js", f"{plugin}/leaflet.markercluster.js"),
            builder=ours_js,
        )
    leaflet_css = _inline_images((leaflet / "leaflet.css").read_text("utf-8"), leaflet)
    return Assets(
        styles=(
            style_text(leaflet_css),
            style_text((cluster / "MarkerCluster.css").read_text("utf-8")),
            style_text((cluster / "MarkerCluster.Default.css").read_text("utf-8")),
            ours_css,
        ),
        scripts=(
            script_text((leaflet / "leaflet.js").read_text("utf-8")),
            script_text((cluster / "leaflet.markercluster.js").read_text("utf-8")),
        ),
        style_urls=(),
        script_urls=(),
        builder=ours_js,
    )
