"""Bodies over MAX_CONTENT_LENGTH (1 MiB) are a 413 with the error body, also when they
come chunked (no Content-Length), through a real HTTP server."""

from __future__ import annotations

import http.client
import io

import pytest

from tests.factories import make_coach
from tests.helpers import assert_error

ONE_MIB = 1024 * 1024


def login_body(padding: int) -> bytes:
    return b'{"email": "' + b"a" * padding + b'@example.com", "password": "x"}'


def send_chunked(address, path: str, body: bytes) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(*address, timeout=20)
    try:
        chunks = (body[i : i + 65_536] for i in range(0, len(body), 65_536))
        connection.request(
            "POST",
            path,
            body=chunks,
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("size", [ONE_MIB + 1, 2 * ONE_MIB, 5 * ONE_MIB])
def test_a_chunked_body_over_the_limit_is_413_through_a_real_server(app, served, size):
    status, body = send_chunked(served, "/api/auth/login", login_body(size))
    assert status == 413
    assert b'"payload_too_large"' in body


def test_a_chunked_body_under_the_limit_is_read(app, served):
    coach = make_coach(app)
    body = b'{"email": "%s", "password": "%s"}' % (coach.email.encode(), coach.password.encode())
    status, answer = send_chunked(served, "/api/auth/login", body)
    assert status == 200, answer
    assert b'"token"' in answer


def test_a_body_with_a_content_length_over_the_limit_is_413(app, client):
    response = client.post(
        "/api/auth/login", data=login_body(2 * ONE_MIB), content_type="application/json"
    )
    assert_error(response, 413, "payload_too_large")


def test_a_streamed_body_over_the_limit_is_413_in_process(app, client):
    response = client.post(
        "/api/auth/login",
        input_stream=io.BytesIO(login_body(2 * ONE_MIB)),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_error(response, 413, "payload_too_large")
