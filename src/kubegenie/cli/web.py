"""Serving the API and the web UI from the CLI: composing the app around one Assistant, binding a loopback
socket (a clear error when the port is taken), running uvicorn until Ctrl+C, and reporting the address once
the server answers. Used by `kubegenie serve` and `kubegenie demo`.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from kubegenie.assistant import Assistant

if TYPE_CHECKING:
    import uvicorn

READY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"




def bind(host: str, port: int) -> socket.socket:
    """A listening socket; OSError (port taken, bad address) is for the caller to report."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The protocol must be named: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto says TCP,
    # and with Nagle on, every answer on a kept-alive connection waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def serve(assistant: Assistant, sock: socket.socket, *, ui: bool = True,
                on_ready: Callable[[Address], Awaitable[None]] | None = None,
                shutdown: asyncio.Event | None = None) -> None:
    """Serve the API (and the UI at /ui) on `sock` until interrupted or `shutdown` is set; `on_ready` runs once
    requests are answered."""
    # Imported here: the web stack takes seconds to import, and `kubegenie ask` should not wait for it.
    import uvicorn

    from kubegenie.api import create_app
    from kubegenie.ui.app import mount

    app = create_app(assistant)
    if ui:
        mount(app, assistant)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:  # noqa: ARG002 (signal handler signature)
            # Ctrl+C or SIGTERM stop the server and the command then ends normally, closing the Assistant and
            # the demo sandbox; uvicorn would raise the signal again afterwards and end the process with it.
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True

    server = Server(config)
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    stopper = asyncio.ensure_future(_stop_when(shutdown, server)) if shutdown is not None else None
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT_SECONDS
        while not server.started and not serving.done() and loop.time() < deadline:
            await asyncio.sleep(0.02)
        if server.started and on_ready is not None:
            await on_ready(Address(host, port))
        await serving
    finally:
        if stopper is not None:
            stopper.cancel()
        if not serving.done():
            server.should_exit = True
            await serving


async def _stop_when(shutdown: asyncio.Event, server: uvicorn.Server) -> None:
    await shutdown.wait()
    server.should_exit = True
