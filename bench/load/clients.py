"""The HTTP client of the load: one keep-alive pool per role, aiohttp or httpx.

The load generator shares the machine's two cores with the stack, so what it costs per
request is taken from the app. Measured on this machine against a static file nginx
serves itself (32 at once): httpx 0.29 / httpcore 1.0 needs 1.5-2.4 ms of CPU per
request, aiohttp 0.13-0.17 ms. Part of httpx's cost is an environment quirk: without
``sniffio`` installed (anyio 4.16 no longer needs it) httpcore's
``current_async_library()`` tries ``import sniffio`` several times per request, and a
failed import searches the whole ``sys.path`` each time; ``sys.modules["sniffio"] =
None`` makes that import fail at once, with the same outcome (asyncio). aiohttp is the
default; ``--http httpx`` drives the same load with httpx.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self):
        return json.loads(self.body)


class RequestFailed(Exception):
    """No answer: ``kind`` says what the client saw (refused, reset, closed, timeout)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class Http(Protocol):
    async def get(self, path: str) -> Answer: ...

    async def post(self, path: str, body: dict, headers: dict[str, str]) -> Answer: ...

    async def close(self) -> None: ...


class AiohttpPool:
    def __init__(self, base_url: str, size: int):
        connector = aiohttp.TCPConnector(limit=size, limit_per_host=size, keepalive_timeout=30)
        self.session = aiohttp.ClientSession(
            base_url,
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        )

    async def _call(self, method: str, path: str, **kwargs) -> Answer:
        try:
            async with self.session.request(method, path, **kwargs) as response:
                return Answer(response.status, await response.read())
        except TimeoutError as error:
            raise RequestFailed("timeout") from error
        except aiohttp.ClientConnectorError as error:
            raise RequestFailed("connection refused") from error
        except aiohttp.ServerDisconnectedError as error:
            raise RequestFailed("connection closed") from error
        except aiohttp.ClientOSError as error:
            raise RequestFailed("connection reset") from error
        except aiohttp.ClientError as error:
            raise RequestFailed(type(error).__name__) from error

    async def get(self, path: str) -> Answer:
        return await self._call("GET", path)

    async def post(self, path: str, body: dict, headers: dict[str, str]) -> Answer:
        return await self._call("POST", path, json=body, headers=headers)

    async def close(self) -> None:
        await self.session.close()


class HttpxPool:
    def __init__(self, base_url: str, size: int):
        sys.modules.setdefault("sniffio", None)  # see the module's docstring
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self.client = httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=httpx.Timeout(TIMEOUT_SECONDS)
        )

    async def _call(self, method: str, path: str, **kwargs) -> Answer:
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.TimeoutException as error:
            raise RequestFailed("timeout") from error
        except httpx.ConnectError as error:
            raise RequestFailed("connection refused") from error
        except httpx.RemoteProtocolError as error:
            raise RequestFailed("connection closed") from error
        except (httpx.ReadError, httpx.WriteError) as error:
            raise RequestFailed("connection reset") from error
        except httpx.HTTPError as error:
            raise RequestFailed(type(error).__name__) from error
        return Answer(response.status_code, response.content)

    async def get(self, path: str) -> Answer:
        return await self._call("GET", path)

    async def post(self, path: str, body: dict, headers: dict[str, str]) -> Answer:
        return await self._call("POST", path, json=body, headers=headers)

    async def close(self) -> None:
        await self.client.aclose()


POOLS: dict[str, type[AiohttpPool] | type[HttpxPool]] = {
    "aiohttp": AiohttpPool,
    "httpx": HttpxPool,
}


def pool(kind: str, base_url: str, size: int) -> Http:
    return POOLS[kind](base_url, size)
