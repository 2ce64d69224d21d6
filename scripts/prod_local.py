"""The production stack on this machine, from a clone: ``scripts/prod-local start|stop|status``.

PostgreSQL and Redis (already running, as on a server), N gunicorn app processes, M RQ
workers and nginx in front on ``http://127.0.0.1:$PROD_PORT``: the same processes and
settings as docs/deploy.md, with the run files (pids, logs, nginx's config) under
``$PROD_DIR``. ``start`` creates the database if needed, migrates it, compiles the static
files (content-hashed names), adds the demo data, starts everything and waits until
``/healthz`` answers through nginx. ``stop`` stops it all gracefully (SIGTERM: requests
and jobs in progress finish) and waits for every process to end.

Environment (all optional): ``PROD_PORT`` (8080), ``PROD_APP_PORT`` (8001),
``WEB_CONCURRENCY`` (app processes, 2), ``RQ_WORKERS`` (1), ``GUNICORN_THREADS`` (100),
``DATABASE_URL`` (``postgresql+psycopg://postgres@127.0.0.1:5432/coachbook_prod``),
``REDIS_URL`` (``redis://127.0.0.1:6379/3``), ``PROD_DIR`` (``instance/prod``),
``PROD_SEED`` (``1``: add the demo data).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from string import Template
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STOP_SECONDS = 40  # gunicorn's graceful timeout (30 s) and a margin


class Stack:
    def __init__(self):
        env = os.environ
        self.port = int(env.get("PROD_PORT", "8080"))
        self.app_port = int(env.get("PROD_APP_PORT", "8001"))
        self.web = int(env.get("WEB_CONCURRENCY", "2"))
        self.workers = int(env.get("RQ_WORKERS", "1"))
        self.database_url = env.get(
            "DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/coachbook_prod"
        )
        self.redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6379/3")
        self.dir = Path(env.get("PROD_DIR", ROOT / "instance" / "prod")).resolve()
        self.logs = self.dir / "logs"
        self.seed = env.get("PROD_SEED", "1") == "1"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app_env(self) -> dict:
        """The app's environment: production, behind one proxy, JSON logs."""
        secret = self.dir / "secret_key"
        if not secret.exists():
            secret.write_text(secrets.token_hex(32))
            secret.chmod(0o600)
        return os.environ | {
            "APP_ENV": "production",
            "SECRET_KEY": secret.read_text().strip(),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "BASE_URL": os.environ.get("BASE_URL", self.base),
            "INSTANCE_PATH": str(self.dir / "instance"),
            "TRUSTED_PROXY_COUNT": "1",
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
            # Plain HTTP on 127.0.0.1 here; behind TLS on a server this stays true.
            "COOKIE_SECURE": os.environ.get("COOKIE_SECURE", "false"),
            "GUNICORN_BIND": f"127.0.0.1:{self.app_port}",
            "WEB_CONCURRENCY": str(self.web),
        }

    # --- start -------------------------------------------------------------------

    def start(self) -> None:
        nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        if nginx is None:
            sys.exit("nginx is not installed: sudo apt-get install -y nginx")
        if self.running():
            sys.exit(f"already running (scripts/prod-local stop first): {self.base}")
        self.logs.mkdir(parents=True, exist_ok=True)
        env = self.app_env()
        create_database(self.database_url)
        flask = [str(BIN / "flask"), "--app", "app"]
        steps = [["db", "upgrade"], ["digest", "compile"]] + ([["seed-demo"]] if self.seed else [])
        for step in steps:
            run(flask + step, env, self.logs / "setup.log")
        self.spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "-c",
                "deploy/gunicorn.conf.py",
                "--pid",
                str(self.pid_file("web")),
            ],
            env,
            write_pid=False,
        )
        for n in range(1, self.workers + 1):
            self.spawn(f"worker-{n}", [*flask, "worker"], env)
        self.write_nginx_config()
        run(
            [nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
            env,
            self.logs / "setup.log",
        )
        wait_until_healthy(self.base, self)
        print(
            f"Coachbook runs on {self.base}  "
            f"({self.web} app processes, {self.workers} workers, nginx)"
        )
        print(f"  logs: {self.logs}   stop: scripts/prod-local stop")

    def spawn(self, name: str, command: list[str], env: dict, write_pid: bool = True) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if write_pid:
            self.pid_file(name).write_text(str(process.pid))
        else:  # gunicorn writes its own pid file; wait for it
            deadline = time.monotonic() + 20
            while not self.pid_file(name).exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"{name} did not start: see {self.logs / (name + '.log')}")
                time.sleep(0.1)

    def write_nginx_config(self) -> None:
        site = Template((ROOT / "deploy" / "nginx-site.conf").read_text()).safe_substitute(
            LISTEN=f"127.0.0.1:{self.port}",
            SERVER_NAME="127.0.0.1 localhost",
            UPSTREAM=f"127.0.0.1:{self.app_port}",
            STATIC_ROOT=str(ROOT / "static"),
            ACCESS_LOG=str(self.logs / "nginx-access.log"),
        )
        (self.dir / "coachbook-site.conf").write_text(site)
        temp = self.dir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        (self.dir / "nginx.conf").write_text(
            NGINX_MAIN.substitute(
                PID=self.pid_file("nginx"),
                ERROR_LOG=self.logs / "nginx-error.log",
                TEMP=temp,
                SITE=self.dir / "coachbook-site.conf",
                MIME=nginx_mime_types(),
                USER=nginx_user(),
            )
        )

    # --- stop and status ------------------------------------------------------------

    def pid_file(self, name: str) -> Path:
        return self.dir / f"{name}.pid"

    def pids(self) -> dict[str, int]:
        found = {}
        for path in sorted(self.dir.glob("*.pid")) if self.dir.exists() else []:
            try:
                found[path.stem] = int(path.read_text().strip())
            except ValueError:
                path.unlink()
        return found

    def running(self) -> dict[str, int]:
        return {name: pid for name, pid in self.pids().items() if alive(pid)}

    def stop(self) -> None:
        """nginx first (no new requests), then the app processes and the workers: each
        finishes what it has (SIGTERM), then exits."""
        pids = self.pids()
        order = sorted(pids, key=lambda name: (name != "nginx", name != "web", name))
        for name in order:
            pid = pids[name]
            if alive(pid):
                os.kill(pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
                if not wait_for_exit(pid, STOP_SECONDS):
                    print(f"{name} ({pid}) did not stop in {STOP_SECONDS} s: killed")
                    os.kill(pid, signal.SIGKILL)
            if name != "nginx":
                stop_group(pid)  # what is left of its session, as systemd's cgroup stop
            self.pid_file(name).unlink(missing_ok=True)
            print(f"stopped {name}")

    def status(self) -> int:
        pids = self.pids()
        if not pids:
            print("not running")
            return 1
        for name, pid in pids.items():
            print(f"{name:10} {pid:>8}  {'running' if alive(pid) else 'GONE'}")
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:
                print(f"{self.base}/healthz: {answer.status} {answer.read().decode()}")
        except OSError as error:
            print(f"{self.base}/healthz: {error}")
            return 1
        return 0


NGINX_MAIN = Template("""\
# Written by scripts/prod-local: nginx as an ordinary user, its files under PROD_DIR.
$USER
worker_processes 1;
pid $PID;
error_log $ERROR_LOG warn;
events { worker_connections 4096; }
http {
    include $MIME;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 10000;
    server_tokens off;
    client_body_temp_path $TEMP/body;
    proxy_temp_path $TEMP/proxy;
    fastcgi_temp_path $TEMP/fastcgi;
    uwsgi_temp_path $TEMP/uwsgi;
    scgi_temp_path $TEMP/scgi;
    include $SITE;
}
""")


def nginx_user() -> str:
    """Started as root, nginx would run its workers as ``nobody``, who may not read a
    checkout in a private folder (static files answered 403): run them as the
    checkout's owner. Started by anyone else, nginx runs as that user anyway."""
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(ROOT.stat().st_uid).pw_name};"


def nginx_mime_types() -> str:
    for path in ("/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types"):
        if Path(path).exists():
            return path
    sys.exit("nginx's mime.types not found (is nginx installed from the distribution?)")


def create_database(url: str) -> None:
    """CREATE DATABASE if it is not there (on the server's ``postgres`` database)."""
    import psycopg

    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def run(command: list[str], env: dict, log: Path) -> None:
    with log.open("ab") as out:
        code = subprocess.call(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if code != 0:
        sys.exit(f"{' '.join(command)} failed ({code}): see {log}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (our own child that exited) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def stop_group(pid: int) -> None:
    """SIGTERM whatever still runs in the process group ``pid`` led (``spawn`` starts
    each in a session of its own): e.g. RQ's scheduler child of a worker that died."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)


def wait_for_exit(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def wait_until_healthy(base: str, stack: Stack, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            stack.stop()
            sys.exit(f"the stack did not become healthy at {base}/healthz: see {stack.logs}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/prod-local", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("start", "stop", "status", "restart"))
    command = parser.parse_args(argv).command
    stack = Stack()
    if command in ("stop", "restart"):
        stack.stop()
    if command in ("start", "restart"):
        stack.start()
    if command == "status":
        return stack.status()
    return 0


if __name__ == "__main__":
    sys.exit(main())
