"""Load test of the production stack (scripts/prod-local: nginx, gunicorn, RQ, PostgreSQL,
Redis) on this machine: ``.venv/bin/python -m bench.load [--processes 1|2] [--fault]``.

One asyncio process drives the stack through nginx on 127.0.0.1 only: HTTP clients with
keep-alive pools (aiohttp, or httpx with ``--http httpx``: see ``clients``) for the HTTP
load and python-socketio ``AsyncClient``s for the live updates. Every phase has a
duration; the stack is stopped whatever happens.

- ``config``: the run's settings and the stack's environment (its own database, Redis db,
  ports and run folder);
- ``stack``: create the database, start and stop the stack, find its processes, sample
  their CPU time, restart a killed RQ worker as a supervisor would;
- ``clients``: the HTTP pools and what a failed request looked like;
- ``seed``: coaches, clients and tokens written through the app's services;
- ``workload``: readers, bookers and accepting coaches, and the phases that combine them;
- ``sockets``: the listening Socket.IO clients and the commit-to-event latency;
- ``fault``: SIGKILL of one app process and one RQ worker during the booking load;
- ``checks``: the database after the run (lost or double bookings, the outbox);
- ``metrics``: what a phase records (latencies, successes, errors, the loop's lag);
- ``report``: nginx's timings, the printed table and the side-by-side Markdown table.
"""
