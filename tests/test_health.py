"""GET /healthz tells a load balancer whether the database and Redis answer."""

from __future__ import annotations

import pytest


def test_healthz_reports_the_database_and_no_redis_by_default(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not_configured"}


class TestWithRedis:
    @pytest.fixture
    def app_config(self, redis_url):
        return {"REDIS_URL": redis_url, "SOCKETIO_MESSAGE_QUEUE": None}

    @pytest.mark.redis
    def test_healthz_reports_a_reachable_redis(self, client):
        assert client.get("/healthz").get_json()["redis"] == "ok"


class TestWithRedisDown:
    @pytest.fixture
    def app_config(self):
        # Nothing listens on port 1 of loopback.
        return {"REDIS_URL": "redis://127.0.0.1:1/0", "SOCKETIO_MESSAGE_QUEUE": None}

    def test_healthz_is_503_degraded_when_redis_does_not_answer(self, client):
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "down"}

    def test_the_site_still_answers_while_redis_is_down(self, client):
        # Degraded, not out: pages and the API work without Redis (jobs wait for the sweep).
        assert client.get("/healthz").status_code == 503
        assert client.get("/login").status_code == 200
        assert client.get("/healthz").get_json()["database"] == "ok"


def test_a_database_that_does_not_answer_gives_503_with_retry_after(tmp_path):
    """Not a 500: the client is told to try again (the transaction changed nothing)."""
    from app import create_app

    dead = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x" * 40,
        }
    )
    client = dead.test_client()

    api = client.get("/api/me", headers={"Authorization": "Bearer some-token"})
    page = client.get("/coaches/some-coach", headers={"Accept": "text/html"})

    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "service_unavailable"
    assert api.headers["Retry-After"] == "5"
    assert page.status_code == 503 and "try again in a moment" in page.get_data(as_text=True)
