"""The e-mail tests send through a real SMTP server on 127.0.0.1 (``smtp_sink``): the app
writes each e-mail to its outbox, the in-process job delivers it right after the commit,
and the tests read what the server received."""

from __future__ import annotations

import pytest

from tests.email.mail import BASE_URL


@pytest.fixture
def sink(smtp_sink):
    return smtp_sink[0]


@pytest.fixture
def app_config(smtp_sink) -> dict:
    _, port = smtp_sink
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "BASE_URL": BASE_URL}
