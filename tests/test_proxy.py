"""Behind a reverse proxy (``TRUSTED_PROXY_COUNT=1``) the app sees the client's address
from ``X-Forwarded-For``, so the login rate limit counts per real client; without one the
header is ignored, so nobody escapes the limit by sending it."""

from __future__ import annotations

import pytest

from tests.factories import make_client
from tests.helpers import csrf_token

PASSWORD = "wrong password"


@pytest.fixture(params=[0, 1], ids=["no-proxy", "behind-nginx"])
def app_config(request):
    return {"TRUSTED_PROXY_COUNT": request.param, "AUTH_RATE_LIMIT": "2/minute"}


def attempt(client, forwarded_for: str, n: int):
    # A new e-mail each time: only the per-address limit can refuse.
    body = {"email": f"nobody{n}@example.com", "password": PASSWORD}
    return client.post(
        "/api/auth/login", json=body, headers={"X-Forwarded-For": forwarded_for}
    ).status_code


def test_the_rate_limit_counts_the_address_the_proxy_saw(app, client):
    first = [attempt(client, "203.0.113.7", n) for n in range(3)]
    other = attempt(client, "198.51.100.4", 3)

    assert first == [401, 401, 429]
    if app.config["TRUSTED_PROXY_COUNT"]:
        assert other == 401  # another client: its own budget
    else:
        assert other == 429  # a made-up header changes nothing


def test_a_sign_in_records_the_clients_address(app, client):
    person = make_client(app)
    answer = client.post(
        "/login",
        data={"email": person.email, "password": person.password, "csrf_token": csrf_token(client)},
        headers={"X-Forwarded-For": "203.0.113.50"},
    )
    assert answer.status_code == 302
    page = client.get("/settings").get_data(as_text=True)

    shown = "203.0.113.50" in page
    assert shown == bool(app.config["TRUSTED_PROXY_COUNT"])
