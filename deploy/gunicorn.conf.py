"""gunicorn's settings for Coachbook: ``gunicorn -c deploy/gunicorn.conf.py``.

Every value can be changed by the environment (below) or on the command line (which wins).
- gthread workers: each process serves ``GUNICORN_THREADS`` requests or open sockets at
  once (a browser's live-update WebSocket holds a thread for as long as the tab is open):
  size it above the open tabs per process plus the requests in flight.
- Socket.IO runs with ``async_mode="threading"`` (``SOCKETIO_ASYNC_MODE``) and browsers
  connect by WebSocket only, so any process may serve any client: no sticky sessions;
  events cross processes through Redis.
- On SIGTERM a process stops accepting, finishes its requests (``graceful_timeout``) and
  the effects they handed to its effects thread (e-mail jobs, live events), then exits.
"""

import os

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "100"))
# A request never takes long; a worker silent this long is stuck and is replaced.
timeout = 60
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5  # above nginx's upstream keepalive_timeout (4 s)
# Requests come from the proxy on this machine; gunicorn believes its X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# nginx logs every request (with its request id); set GUNICORN_ACCESS_LOG=- to log here too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
proc_name = "coachbook-web"
# gunicorn 24+ opens a control socket in ~/.gunicorn by default: one path for every
# gunicorn of the user, so two stacks (or a benchmark's) would fight over it.
control_socket_disable = True


def worker_exit(server, worker):
    """Before a process exits: let its effects thread finish what requests handed it."""
    from services import effects

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions") and not effects.drain(app):
        server.log.warning("worker %s: after-commit effects left unfinished", worker.pid)
