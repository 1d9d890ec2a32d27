"""A loopback HTTP server that records a client's exchanges with an API server, then answers the same requests
again from memory at no cost: the floor under a client's wall time, whatever the server behind it."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
from aiohttp import web


@dataclass
class Recorded:
    status: int
    content_type: str
    """The whole header: discovery's media type parameters matter to kubectl."""
    body: bytes


@dataclass
class ReplayServer:
    upstream: str
    recording: bool = True
    answers: dict[tuple[str, str, str], Recorded] = field(default_factory=dict)
    misses: int = 0
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        """Serve on a free loopback port; returns the URL to point the client at."""
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._session = aiohttp.ClientSession()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _answer(self, request: web.Request) -> web.Response:
        key = (request.method, request.path_qs, request.headers.get("Accept", ""))
        if self.recording:
            assert self._session is not None
            async with self._session.request(request.method, self.upstream + request.path_qs,
                                             headers={"Accept": key[2]}, data=await request.read()) as reply:
                self.answers[key] = Recorded(reply.status, reply.headers.get("Content-Type", ""), await reply.read())
        recorded = self.answers.get(key)
        if recorded is None:
            self.misses += 1
            return web.Response(status=404, text=f"not recorded: {request.path_qs}")
        return web.Response(status=recorded.status, body=recorded.body, headers={"Content-Type": recorded.content_type})
