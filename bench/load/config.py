"""The run's settings (from the command line) and the stack's environment.

The stack gets a database, a Redis database, ports, a run folder and a Socket.IO channel
of its own, so a load run never touches another stack, the test suite's databases
(``test``, Redis 10-15) or their live events (Redis pub/sub channels ignore the database
number: hence the channel name).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LoadConfig:
    processes: int = 2
    fault: bool = False
    # Phase durations (seconds).
    read_seconds: float = 20.0
    mixed_seconds: float = 60.0
    max_seconds: float = 30.0
    warmup_seconds: float = 5.0
    # Concurrency.
    readers: int = 20
    bookers: int = 24
    max_bookers: int = 48
    acceptors: int = 4
    sockets: int = 50
    request_share: float = 0.2  # of the mixed phase's bookings: requests the coach accepts
    http: str = "aiohttp"  # the load's HTTP client: aiohttp or httpx (clients.py)
    # The stack.
    threads: int = 100
    rq_workers: int = 1
    database: str = "coachbook_load"
    redis_db: int = 5
    port: int = 8180
    app_port: int = 8181
    run_dir: Path = Path("/tmp/coachbook-load")
    # After the load: how long the outbox may take to be all 'sent'.
    drain_seconds: float = 120.0
    # Fault run: when to kill (seconds into the mixed phase) and the supervisor's delay.
    kill_after: float = 20.0
    restart_delay: float = 2.0
    # Seed sizes.
    coaches: int = 120
    clients: int = 400
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.database == "test" or not self.database.startswith("coachbook_"):
            raise ValueError("the load test's database must be coachbook_<something>, not test")
        if 10 <= self.redis_db <= 15:
            raise ValueError("Redis databases 10-15 belong to the test suite")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.database}"

    @property
    def admin_dsn(self) -> str:
        return "postgresql://postgres@127.0.0.1:5432/postgres"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.redis_db}"

    @property
    def outbox_dir(self) -> Path:
        return self.run_dir / "instance" / "outbox"

    @property
    def access_log(self) -> Path:
        return self.run_dir / "logs" / "nginx-access.log"

    def stack_env(self) -> dict[str, str]:
        """The environment of ``scripts/prod-local`` (and of a restarted RQ worker)."""
        return (
            os.environ
            | {
                "PROD_PORT": str(self.port),
                "PROD_APP_PORT": str(self.app_port),
                "WEB_CONCURRENCY": str(self.processes),
                "GUNICORN_THREADS": str(self.threads),
                "RQ_WORKERS": str(self.rq_workers),
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "PROD_DIR": str(self.run_dir),
                "PROD_SEED": "0",
                "SOCKETIO_CHANNEL": f"coachbook-load-{self.port}",
            }
            | self.extra_env
        )
