"""Does nginx send a POST on an upstream connection gunicorn is closing? (RESULTS.md,
finding 7.) Against a running stack::

    .venv/bin/python -m bench.load.keepalive_race --base-url http://127.0.0.1:8180

Bursts of concurrent ``POST /api/bookings/price`` (64 at once: nginx opens that many
upstream connections and keeps them), each followed by an idle gap from 4.8 to 6.6 s,
around gunicorn's ``keepalive = 5``: when the next burst reuses a connection gunicorn is
just closing, nginx cannot retry the POST and answers 502. Any answer but 502 (the 404
of a missing session type included) is fine. Prints the statuses seen.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter

import aiohttp

BURST = 64
GAPS = [4.8 + 0.2 * i for i in range(10)] * 2


async def race(base_url: str) -> Counter:
    statuses: Counter = Counter()
    connector = aiohttp.TCPConnector(limit=BURST)
    async with aiohttp.ClientSession(base_url, connector=connector) as session:

        async def post() -> None:
            try:
                async with session.post("/api/bookings/price", json={"session_type_id": 1}) as r:
                    await r.read()
                    statuses[str(r.status)] += 1
            except aiohttp.ClientError as error:
                statuses[type(error).__name__] += 1

        for gap in [*GAPS, 0.0]:
            await asyncio.gather(*(post() for _ in range(BURST)))
            await asyncio.sleep(gap)
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8180")
    statuses = asyncio.run(race(parser.parse_args().base_url))
    print(dict(statuses), f"502s: {statuses.get('502', 0)} of {sum(statuses.values())}")


if __name__ == "__main__":
    main()
