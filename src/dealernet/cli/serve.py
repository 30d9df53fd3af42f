"""``dealernet serve``: the scenario explorer in the browser (the ``serve`` extra)."""

from __future__ import annotations

import contextlib
import secrets
import shlex
import socket
import threading
import webbrowser
from pathlib import Path

import click

from dealernet.cli._common import (
    analysis_options,
    dealers_option,
    escape,
    handle_errors,
    load_dealers,
    load_settings,
    make_console,
    progress_bar,
)

#: Where the explorer listens unless told otherwise.
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@click.command(
    epilog="""\b
Examples:
  dealernet serve                                  # the real 2015 rosters, the default scenario
  dealernet serve --dealers sample --scenario announced-2024
  dealernet serve --port 9000 --no-browser
  dealernet serve --host 0.0.0.0                   # others on your network: a token is required"""
)
@dealers_option
@analysis_options
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="The port to listen on; 0 takes any free one (printed at start).",
)
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help="The address to listen on. Any other than this machine's requires the random "
    "access token printed at start.",
)
@click.option("--browser/--no-browser", default=True, help="Open the page in a browser.")
@handle_errors
def serve(
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: str,
    assumptions: Path,
    overrides: tuple[str, ...],
    port: int,
    host: str,
    browser: bool,
) -> None:
    """Explore a scenario in the browser: switch rules, move distance limits, keep or close
    stores, and see the map, the totals and the owners change."""
    from dealernet._errors import MissingDependencyError

    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        msg = "dealernet serve needs its extra: pip install 'dealernet[serve]'"
        raise MissingDependencyError(msg) from None
    from dealernet.analysis.pipeline import prepare
    from dealernet.serve.app import create_app
    from dealernet.serve.tabs import Network, Tabs

    console = make_console()
    the_scenario, the_assumptions = load_settings(scenario, assumptions, overrides)
    listening = bind(host, port)  # a port in use fails before the minutes of loading
    with progress_bar() as progress:
        network = load_dealers(progress, dealers, skip_invalid, steps=2)
        progress("Running the scenario file at its full draws", 1, 2)
        again = dealers_part(dealers)
        explorer = Network("", prepare(network), the_scenario, the_assumptions, dealers=again)
        explorer.label = explorer.started().data_origin
    port = listening.getsockname()[1]
    local = host in LOCAL_HOSTS
    token = None if local else secrets.token_urlsafe(24)
    app = create_app(Tabs(explorer), token=token, hosts=allowed_hosts(host))
    address = f"http://{shown_host(host)}:{port}/" + (f"?token={token}" if token else "")
    console.print(f"dealernet explorer: {escape(address)}")
    if token:
        console.print("Anyone with this address (it holds the access token) can use the explorer.")
    console.print("Press Ctrl+C to stop.")
    if browser:  # in a thread: a console browser must not hold up the server
        threading.Timer(0.5, webbrowser.open, [address]).start()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops on Ctrl+C, then re-raises
        server.run(sockets=[listening])
    console.print("The explorer has stopped; nothing was written.")


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed: a port in use is an error
    that says what to do (``--port 0`` takes any free port)."""
    from dealernet._errors import DealernetError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        reason = exc.strerror or str(exc)
        msg = (
            f"cannot listen on {host} port {port}: {reason}. Fix: give another port "
            f"(--port {port + 1 if port < 65535 else 8765}, or --port 0 for any free one)"
            + ("" if host in LOCAL_HOSTS else ", or an address of this machine with --host")
        )
        raise DealernetError(msg) from None
    listening.listen(128)
    return listening


def shown_host(host: str) -> str:
    """The host part of the printed address: one a browser on this (or, with ``--host``
    for every address, another) machine can open."""
    if host in ("0.0.0.0", "::"):
        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


def dealers_part(dealers: tuple[Path, ...]) -> str:
    """The ``--dealers`` options that read this network again (none: the default)."""
    return " ".join(f"--dealers {shlex.quote(str(d))}" for d in dealers)


def allowed_hosts(host: str) -> list[str]:
    """The ``Host`` headers the server answers to: this machine's names, and the address
    it listens on (any name when it listens on every address: the token guards it)."""
    names = ["127.0.0.1", "localhost", "[::1]"]
    if host in ("0.0.0.0", "::"):
        return ["*"]
    return names if host in LOCAL_HOSTS else [host, *names]
