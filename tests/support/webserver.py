"""The API and web UI served by uvicorn on a free loopback port from a background thread, as `kubegenie serve`
composes them, for browser tests and benchmarks."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

from kubegenie.assistant import Assistant
from kubegenie.cli import web
from kubegenie.settings import Settings


class WebServer:
    def __init__(self, settings: Settings, *, ui: bool = True) -> None:
        self.settings = settings
        self.ui = ui
        self.url = ""
        self._ready: Future[str] = Future()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="kubegenie-web", daemon=True)

    def start(self, timeout: float = 120) -> WebServer:
        self._thread.start()
        self.url = self._ready.result(timeout)
        return self

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            # What the web stack leaves running (Gradio's queue) ends with the loop, as asyncio.run would do it.
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        assistant = Assistant(self.settings)
        sock = web.bind("127.0.0.1", 0)

        async def ready(address: web.Address) -> None:
            await assistant.list_clusters()  # caches synced before the first question
            self._ready.set_result(address.url)

        try:
            await assistant.runtime()
            await web.serve(assistant, sock, ui=self.ui, on_ready=ready, shutdown=self._stop)
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise
        finally:
            sock.close()
            await assistant.close()

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)
