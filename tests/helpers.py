"""Test helpers: an API client that signs requests as a given person, and row counts."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from extensions import db


class ApiClient:
    """``api.post("/api/coupons", json=..., as_=coach)`` with that person's bearer token."""

    def __init__(self, client):
        self.client = client

    def request(self, method: str, path: str, as_=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {as_.token}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


def count(app, model, *where) -> int:
    """How many rows of ``model`` (matching ``where``) the database holds."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def assert_error(response, status: int, code: str, fields: tuple[str, ...] = ()) -> dict:
    """The response is the SPEC's error body with this status and code (and these fields)."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    for field in fields:
        assert field in body["error"]["details"], body["error"]["details"]
    return body["error"]


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a browser would find in a page's form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def web_login(client, email: str, password: str):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})
