"""The explorer's web application (Starlette): the page, its JSON API and its guards.

Guards, whatever the address: the ``Host`` header must be one the server answers to (a page
on another site cannot reach it through DNS rebinding); a request that changes anything must
come from the page's own origin; the page, its map and its reports allow no script or
request from elsewhere (Content-Security-Policy). Served beyond this machine (``--host``), a
random access token is required too: the address printed at start carries it once, and the
page keeps it in a same-site cookie that other sites' requests never carry.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealernet._errors import DealernetError
from dealernet.render.maps import OSM_TILES
from dealernet.serve import form, tabs

if TYPE_CHECKING:  # pragma: no cover
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

#: Where the map's background tiles come from (scheme and host of its tile address).
TILE_ORIGIN = "/".join(OSM_TILES.split("/")[:3])
#: The cookie that carries the access token.
TOKEN_COOKIE = "dealernet_token"
#: The page and what it loads: nothing from another origin.
PAGE_POLICY = (
    "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: A map or report inside the page: its inline Leaflet and data; from elsewhere only the
#: background tiles the map of ``dealernet run`` shows (images, when online).
FRAME_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    f"img-src 'self' data: {TILE_ORIGIN}; connect-src 'none'; base-uri 'none'; "
    "frame-ancestors 'self'"
)


def create_app(explorer: tabs.Tabs, *, token: str | None = None, hosts: list[str]) -> Starlette:
    """The application over ``explorer``'s tabs; ``token`` required when given; ``hosts``
    the ``Host`` names it answers to."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.routing import Route

    routes = [
        Route("/", _page, methods=["GET"]),
        Route("/api/tabs", _open_tab, methods=["POST"]),
        Route("/api/tabs/{tab}/change", _change, methods=["POST"]),
        Route("/api/tabs/{tab}/dealers", _upload, methods=["POST"]),
        Route("/tabs/{tab}/map.html", _map, methods=["GET"]),
        Route("/tabs/{tab}/owners/{stem}.html", _report, methods=["GET"]),
        Route("/tabs/{tab}/scenario.toml", _scenario_file, methods=["GET"]),
        Route("/tabs/{tab}/run.zip", _run_zip, methods=["GET"]),
        Route("/tabs/{tab}/dealernet.xlsx", _workbook, methods=["GET"]),
        Route("/tabs/{tab}/dealernet.gpkg", _gis_bundle, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
            Middleware(_Guard),
        ],
    )
    app.state.tabs, app.state.token = explorer, token
    return app


class _Guard:
    """Refuses requests without the token (when one is set) and changes from another
    origin, before any route runs."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse, RedirectResponse

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = request.app.state.token
        if request.method != "GET" and not _same_origin(request):
            await PlainTextResponse(
                "refused: this request comes from another site", status_code=403
            )(scope, receive, send)
            return
        if token is not None:
            given = request.query_params.get("token")
            if request.url.path == "/" and given and secrets.compare_digest(given, token):
                answer = RedirectResponse("/", status_code=303)
                answer.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                await answer(scope, receive, send)
                return
            cookie = request.cookies.get(TOKEN_COOKIE, "")
            if not (cookie and secrets.compare_digest(cookie, token)):
                await PlainTextResponse(
                    "refused: this dealernet server needs its access token. Open the "
                    "address it printed when it started (it ends in ?token=...).",
                    status_code=403,
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)


@contextmanager
def served_in_thread(app: Starlette, host: str = "127.0.0.1") -> Iterator[str]:
    """``app`` served by uvicorn on a free port of ``host`` in a thread, until the block
    ends; yields its address. For tests, benchmarks and notebooks: ``dealernet serve``
    runs uvicorn in the foreground."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="dealernet-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (server.started and server.servers):
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the explorer did not start within 30 s")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _same_origin(request: Request) -> bool:
    """Whether a request that changes something comes from the page's own origin (a
    browser always sends ``Origin`` with such requests; a missing one is not a browser's
    cross-site request)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def _tab(request: Request) -> tabs.Tab:
    from starlette.exceptions import HTTPException

    try:
        return request.app.state.tabs.get(request.path_params["tab"])
    except KeyError:
        raise HTTPException(404, "no such tab: reload the page") from None


async def _page(request: Request) -> Response:
    from starlette.responses import HTMLResponse

    from dealernet.serve.page import render_page

    nonce = secrets.token_urlsafe(16)
    html = render_page(request.app.state.tabs, nonce)
    return HTMLResponse(html, headers=_headers(PAGE_POLICY.format(nonce=nonce)))


def _headers(policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


async def _open_tab(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse

    tab = await run_in_threadpool(request.app.state.tabs.open)
    return JSONResponse(_opened(tab), headers=_headers("default-src 'none'"))


def _opened(tab: tabs.Tab) -> dict[str, Any]:
    from dealernet.engine._rule import ASSIGNMENTS, SAME_OWNER_MODES

    return {
        "tab": tab.id,
        "network": tab.network.label,
        "scenario": tab.network.scenario.name,
        "scenario_source": Path(tab.network.scenario.source).name,
        "rules": list(form.form_of(tab.network.scenario).rules),
        "same_owner_modes": list(SAME_OWNER_MODES),
        "assignments": list(ASSIGNMENTS),
        "preview": {"draws": tabs.PREVIEW["monte_carlo.draws"]},
        "state": tab.state(),
    }


async def _change(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse

    tab = _tab(request)
    data = await _json(request)
    quality = str(data.get("quality", "full"))
    try:
        state = await run_in_threadpool(tabs.change, tab, data, quality)
    except DealernetError as exc:
        state = {"errors": str(exc).splitlines()}
    return JSONResponse(state, headers=_headers("default-src 'none'"))


#: The largest JSON body a form change may be.
MAX_JSON_BYTES = 256 * 1024


async def _json(request: Request) -> dict[str, Any]:
    from starlette.exceptions import HTTPException

    body = await request.body()
    if len(body) > MAX_JSON_BYTES:
        raise HTTPException(413, "the form is too large")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        raise HTTPException(400, "the form is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the form is not a JSON object")
    return data


async def _upload(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse

    tab = _tab(request)
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "send the files with their length (Content-Length)")
    if int(length) > tabs.MAX_UPLOAD_BYTES + 1024**2:
        raise HTTPException(413, f"send at most {tabs.MAX_UPLOAD_BYTES // 1024**2} MB")
    async with request.form(max_files=tabs.MAX_UPLOAD_FILES, max_fields=10) as sent:
        files = [
            (str(item.filename or "dealers"), await item.read())
            for item in sent.getlist("files")
            if isinstance(item, UploadFile)
        ]
    try:
        upload = await run_in_threadpool(tabs.read_upload, files, tab.network)
    except DealernetError as exc:
        return JSONResponse({"errors": str(exc).splitlines()})
    problems = upload.problems()
    if upload.network is None:
        return JSONResponse({"problems": problems, "summary": upload.report.summary()})
    tab.network = upload.network
    fresh = await run_in_threadpool(request.app.state.tabs.reopen, tab)
    return JSONResponse({"problems": problems, "opened": _opened(fresh)})


async def _map(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse

    from dealernet.render.maps import render_map

    tab = _tab(request)
    html = await run_in_threadpool(render_map, tab.result, report_dir="owners")
    return HTMLResponse(html, headers=_headers(FRAME_POLICY))


async def _report(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.responses import HTMLResponse

    from dealernet.render.reports import render_owner_report

    tab = _tab(request)
    result = await run_in_threadpool(tabs.full_result, tab)  # the current settings
    owners = {stem: owner for owner, stem in tabs.report_stems(result).items()}
    owner = owners.get(request.path_params["stem"])
    if owner is None:
        raise HTTPException(404, "no report of that name for this tab's settings")
    html = await run_in_threadpool(render_owner_report, result, owner)
    return HTMLResponse(html, headers=_headers(FRAME_POLICY))


async def _scenario_file(request: Request) -> Response:
    from starlette.responses import Response

    tab = _tab(request)
    text = form.scenario_toml(tab.scenario, tab.network.scenario, tab.network.dealers)
    return Response(
        text,
        media_type="application/toml",
        headers={
            **_headers("default-src 'none'"),
            "Content-Disposition": 'attachment; filename="explorer-scenario.toml"',
        },
    )


async def _run_zip(request: Request) -> Response:
    return await _download(request, _zipped_run, "dealernet-run.zip", "application/zip")


async def _workbook(request: Request) -> Response:
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return await _download(request, _written_workbook, "dealernet.xlsx", media)


async def _gis_bundle(request: Request) -> Response:
    return await _download(
        request, _written_gpkg, "dealernet.gpkg", "application/geopackage+sqlite3"
    )


async def _download(
    request: Request, make: Callable[[tabs.Tab], bytes], name: str, media: str
) -> Response:
    """A file made for the tab's settings at full draws, sent as an attachment."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    tab = _tab(request)
    payload = await run_in_threadpool(make, tab)
    return Response(
        payload,
        media_type=media,
        headers={
            **_headers("default-src 'none'"),
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


def _in_private_folder(write: Callable[[Path], Path]) -> bytes:
    """What ``write`` writes into a private temporary folder (removed after), as bytes."""
    folder = Path(tempfile.mkdtemp(prefix="dealernet-serve-"))
    try:
        return write(folder).read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _written_workbook(tab: tabs.Tab) -> bytes:
    from dealernet.outputs.workbook import WORKBOOK, write_workbook

    result = tabs.full_result(tab)
    return _in_private_folder(lambda folder: write_workbook(result, folder / WORKBOOK))


def _written_gpkg(tab: tabs.Tab) -> bytes:
    from dealernet.outputs.gis_bundle import write_gis_bundle

    result = tabs.full_result(tab)
    return _in_private_folder(lambda folder: write_gis_bundle(result, folder, ("gpkg",))[0])


def _zipped_run(tab: tabs.Tab) -> bytes:
    """The tab's settings at full draws, written as ``dealernet run`` writes a folder, as
    one zip."""
    from dealernet.render.run_folder import write_run

    result = tabs.full_result(tab)

    def write(folder: Path) -> Path:
        out, target = folder / "run", folder / "run.zip"
        write_run(result, out)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(out).as_posix())
        return target

    return _in_private_folder(write)
