"""Raw HTTP against a sandbox (aiohttp), for tests that check exact status codes, headers and bodies."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import yarl

from tests.support.sandbox import SandboxEnv


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    warnings: list[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


async def call(env: SandboxEnv, method: str, path: str, body: Any = None, content_type: str | None = None,
               headers: dict[str, str] | None = None, params: dict[str, str] | None = None,
               timeout: float = 30, raw_path: bool = False) -> Reply:
    """One request; a dict or list body is sent as JSON unless it is already bytes or text. With `raw_path`
    the path goes out exactly as written (no dot-segment removal, no re-quoting)."""
    data: bytes | None
    if body is None:
        data = None
    elif isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = json.dumps(body).encode()
    sent = dict(headers or {})
    if data is not None:
        sent.setdefault("Content-Type", content_type or "application/json")
    payload: bytes | io.BytesIO | None = io.BytesIO(data) if data is not None and len(data) > 1024 * 1024 else data
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, \
            session.request(method, yarl.URL(env.url + path, encoded=raw_path), data=payload, headers=sent,
                            params=params) as response:
        raw = await response.read()
        return Reply(response.status, dict(response.headers), response.headers.getall("Warning", []), raw)
