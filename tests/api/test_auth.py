"""POST /api/auth/register, /login, /logout; bearer tokens; rate limits on signing in."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import update

from extensions import db
from models import ApiToken, User
from tests.factories import PASSWORD, make_client, make_coach
from tests.helpers import assert_error, count

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
LOGOUT = "/api/auth/logout"
WRONG_CREDENTIALS = "The e-mail address or password is wrong."


def registration(**overrides) -> dict:
    return {
        "email": "dana@example.com",
        "password": "a long enough password",
        "name": "Dana Demo",
        "role": "coach",
        "timezone": "Europe/Berlin",
    } | overrides


def assert_nothing_written(app) -> None:
    assert count(app, User) == 0
    assert count(app, ApiToken) == 0


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- registration ------------------------------------------------------------------


def test_registering_a_coach_answers_201_with_user_token_and_expiry(app, api):
    response = api.post(REGISTER, json=registration())

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"user", "token", "expires_at"}
    user = body["user"]
    assert user["email"] == "dana@example.com"
    assert user["name"] == "Dana Demo"
    assert user["role"] == "coach"
    assert user["timezone"] == "Europe/Berlin"
    assert user["slug"] == "dana-demo"
    assert user["calendar_privacy"] == "connected"
    assert user["vat_rate"] == "0"
    assert user["embed_domains"] == []
    assert not {"password", "password_hash"} & set(user)
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert body["expires_at"].endswith("Z")
    assert expires_at > datetime.now(UTC) + timedelta(hours=1)


def test_registering_a_client_gives_no_coach_settings(app, api):
    response = api.post(REGISTER, json=registration(role="client", name="Carl"))

    assert response.status_code == 201
    user = response.get_json()["user"]
    assert set(user) == {"id", "email", "name", "role", "timezone"}
    assert user["role"] == "client"


@pytest.mark.parametrize(("name", "slug"), [("Dana Demo", "dana-demo-2"), ("Admin", "admin-2")])
def test_a_coach_gets_the_next_free_slug_when_the_name_is_taken_or_reserved(app, api, name, slug):
    make_coach(app, slug="dana-demo")

    response = api.post(REGISTER, json=registration(name=name))

    assert response.status_code == 201
    assert response.get_json()["user"]["slug"] == slug


def test_registration_stores_the_email_lower_case_and_no_secret_in_clear(app, api):
    response = api.post(REGISTER, json=registration(email="Dana.Demo@Example.COM"))

    assert response.get_json()["user"]["email"] == "dana.demo@example.com"
    token = response.get_json()["token"]
    with app.app_context():
        user = db.session.scalar(db.select(User))
        assert user.email == "dana.demo@example.com"
        assert "a long enough password" not in user.password_hash
        assert token not in db.session.scalar(db.select(ApiToken)).token_hash


def test_registration_without_a_timezone_defaults_to_utc(app, api):
    body = {k: v for k, v in registration().items() if k != "timezone"}

    response = api.post(REGISTER, json=body)

    assert response.get_json()["user"]["timezone"] == "UTC"


def test_registration_with_an_empty_body_names_every_required_field(app, api):
    error = assert_error(api.post(REGISTER, json={}), 400, "validation_error")

    assert {"email", "password", "name", "role"} <= set(error["details"])
    assert_nothing_written(app)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 123),
        ("name", ""),
        ("name", "   "),
        ("name", None),
        ("name", "x" * 10_000),
        ("email", "not-an-email"),
        ("email", ["dana@example.com"]),
        ("email", "a" * 10_000 + "@example.com"),
        ("password", "short"),
        ("password", 12345678),
        ("password", "p" * 10_000),
        ("role", "admin"),
        ("role", "COACH"),
        ("timezone", "Mars/Base"),
        ("timezone", "CET+1"),
        ("timezone", "europe/berlin"),
        ("timezone", 1),
    ],
)
def test_registration_with_a_bad_field_is_400_with_details_for_it(app, api, field, value):
    response = api.post(REGISTER, json=registration(**{field: value}))

    error = assert_error(response, 400, "validation_error", fields=(field,))
    assert set(error["details"]) == {field}
    assert_nothing_written(app)


@pytest.mark.parametrize("path", [REGISTER, LOGIN])
@pytest.mark.parametrize("body", ['{"email": "dana@', "[]", "null", '"dana"'])
def test_a_json_body_that_is_not_an_object_is_400(app, api, path, body):
    response = api.post(path, data=body, content_type="application/json")

    assert_error(response, 400, "validation_error")
    assert_nothing_written(app)


@pytest.mark.parametrize("path", [REGISTER, LOGIN])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [("email=dana%40example.com", "application/x-www-form-urlencoded"), ("x", "text/plain")],
)
def test_a_body_that_is_not_json_is_415(app, api, path, body, content_type):
    response = api.post(path, data=body, content_type=content_type)

    assert_error(response, 415, "unsupported_media_type")
    assert_nothing_written(app)


def test_a_registration_body_over_a_megabyte_is_413(app, api):
    response = api.post(REGISTER, json=registration(name="x" * 1_100_000))

    assert_error(response, 413, "payload_too_large")
    assert_nothing_written(app)


def test_registering_a_taken_email_in_another_case_is_409_email_taken(app, api):
    make_client(app, email="dana@example.com")

    response = api.post(REGISTER, json=registration(email="DANA@Example.com"))

    assert_error(response, 409, "email_taken", fields=("email",))
    assert count(app, User) == 1
    assert count(app, ApiToken) == 1  # the factory's token only


def register_at_once(app, bodies: list[dict]) -> list:
    """Registrations sent from threads released together; their responses."""
    barrier = threading.Barrier(len(bodies))
    responses = []

    def send(body):
        client = app.test_client()
        barrier.wait()
        responses.append(client.post(REGISTER, json=body))

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_one_email_registered_at_once_makes_one_account(app):
    bodies = [registration(email=e) for e in ("dana@example.com", "DANA@example.com") * 2]

    statuses = sorted(r.status_code for r in register_at_once(app, bodies))

    assert statuses == [201, 409, 409, 409]
    assert count(app, User) == 1


def test_coaches_of_one_name_registered_at_once_get_distinct_slugs(app):
    bodies = [registration(email=f"dana{n}@example.com") for n in range(4)]

    responses = register_at_once(app, bodies)

    assert [r.status_code for r in responses] == [201] * 4
    slugs = {r.get_json()["user"]["slug"] for r in responses}
    assert slugs == {"dana-demo", "dana-demo-2", "dana-demo-3", "dana-demo-4"}


def test_unknown_fields_in_registration_are_ignored(app, api):
    response = api.post(REGISTER, json=registration(is_admin=True, slug="chosen", id=99))

    assert response.status_code == 201
    user = response.get_json()["user"]
    assert user["slug"] == "dana-demo"
    assert user["id"] != 99


# --- login -------------------------------------------------------------------------


def test_login_answers_the_user_and_a_token_that_works_on_me(app, api):
    client = make_client(app, name="Carl")

    response = api.post(LOGIN, json={"email": client.email, "password": PASSWORD})

    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["id"] == client.id
    me = api.get("/api/me", headers=bearer(body["token"]))
    assert me.get_json()["user"]["name"] == "Carl"
    assert body["token"] != client.token
    assert api.get("/api/me", as_=client).status_code == 200  # earlier tokens stay valid


def test_login_ignores_the_case_of_the_email(app, api):
    coach = make_coach(app, email="dana@example.com")

    response = api.post(LOGIN, json={"email": "  DANA@Example.Com ", "password": PASSWORD})

    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == coach.id


@pytest.mark.parametrize(
    ("email", "password"),
    [("carl@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_login_with_wrong_password_or_unknown_email_is_401_alike(app, api, email, password):
    make_client(app, email="carl@example.com")

    response = api.post(LOGIN, json={"email": email, "password": password})

    error = assert_error(response, 401, "unauthorized")
    assert error["message"] == WRONG_CREDENTIALS
    assert error["details"] == {}


def test_login_of_a_deactivated_account_is_401(app, api):
    client = make_client(app)
    with app.app_context():
        db.session.execute(update(User).values(is_active_account=False))
        db.session.commit()

    response = api.post(LOGIN, json={"email": client.email, "password": PASSWORD})

    assert_error(response, 401, "unauthorized")
    assert_error(api.get("/api/me", as_=client), 401, "unauthorized")


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "a@example.com"}, {"password": PASSWORD}, {"email": 1, "password": 2}],
)
def test_login_with_missing_or_mistyped_fields_is_400(app, api, body):
    assert_error(api.post(LOGIN, json=body), 400, "validation_error")


# --- tokens ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["Bearer garbage", "Bearer " + "x" * 5000, "Bearer ", "Basic ZGFuYTpwdw==", "Token"]
)
def test_a_garbage_authorization_header_is_401(app, api, header):
    make_client(app)

    assert_error(api.get("/api/me", headers={"Authorization": header}), 401, "unauthorized")


def test_a_token_whose_expiry_has_passed_is_401(app, api):
    client = make_client(app)
    with app.app_context():
        past = datetime.now(UTC) - timedelta(minutes=1)
        db.session.execute(update(ApiToken).values(expires_at=past))
        db.session.commit()

    assert_error(api.get("/api/me", as_=client), 401, "unauthorized")


class TestTokensWithoutLifetime:
    @pytest.fixture
    def app_config(self):
        return {"API_TOKEN_TTL_HOURS": 0}

    def test_a_token_issued_with_no_lifetime_is_refused(self, app, api):
        client = make_client(app)
        token = api.post(LOGIN, json={"email": client.email, "password": PASSWORD})

        assert token.status_code == 200
        me = api.get("/api/me", headers=bearer(token.get_json()["token"]))
        assert_error(me, 401, "unauthorized")


def test_logout_revokes_the_token_of_that_request_only(app, api):
    client = make_client(app)
    other = api.post(LOGIN, json={"email": client.email, "password": PASSWORD}).get_json()

    response = api.post(LOGOUT, as_=client)

    assert response.status_code == 204
    assert_error(api.get("/api/me", as_=client), 401, "unauthorized")
    assert_error(api.post(LOGOUT, as_=client), 401, "unauthorized")
    assert api.get("/api/me", headers=bearer(other["token"])).status_code == 200


def test_logout_without_a_token_is_401(app, api):
    assert_error(api.post(LOGOUT), 401, "unauthorized")
    assert_error(api.post(LOGOUT, headers=bearer("unknown")), 401, "unauthorized")


# --- rate limits -------------------------------------------------------------------


def from_ip(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def assert_rate_limited(response) -> None:
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


class TestRateLimits:
    @pytest.fixture
    def app_config(self):
        return {"AUTH_RATE_LIMIT": "3/minute"}

    def test_the_fourth_login_within_a_minute_is_429_with_retry_after(self, app, api):
        client = make_client(app)
        credentials = {"email": client.email, "password": PASSWORD}
        for _ in range(3):
            assert api.post(LOGIN, json=credentials).status_code == 200

        assert_rate_limited(api.post(LOGIN, json=credentials))

    def test_failed_logins_count_towards_the_limit(self, app, api):
        client = make_client(app)
        for _ in range(3):
            wrong = api.post(LOGIN, json={"email": client.email, "password": "wrong guess"})
            assert wrong.status_code == 401

        right = api.post(LOGIN, json={"email": client.email, "password": PASSWORD})
        assert_rate_limited(right)

    def test_the_per_email_limit_applies_across_addresses(self, app, api):
        client = make_client(app)
        for n in range(3):
            body = {"email": client.email, "password": "wrong guess"}
            assert api.post(LOGIN, json=body, **from_ip(f"10.0.0.{n + 1}")).status_code == 401

        body = {"email": client.email.upper(), "password": PASSWORD}
        assert_rate_limited(api.post(LOGIN, json=body, **from_ip("10.0.0.99")))

    def test_the_per_ip_limit_applies_across_emails(self, app, api):
        for n in range(3):
            body = {"email": f"guess{n}@example.com", "password": "wrong guess"}
            assert api.post(LOGIN, json=body, **from_ip("10.0.1.1")).status_code == 401

        client = make_client(app)
        body = {"email": client.email, "password": PASSWORD}
        assert_rate_limited(api.post(LOGIN, json=body, **from_ip("10.0.1.1")))
        assert api.post(LOGIN, json=body, **from_ip("10.0.1.2")).status_code == 200

    def test_registration_is_limited_per_ip(self, app, api):
        for n in range(3):
            body = registration(email=f"new{n}@example.com")
            assert api.post(REGISTER, json=body, **from_ip("10.0.2.1")).status_code == 201

        late = registration(email="late@example.com")
        assert_rate_limited(api.post(REGISTER, json=late, **from_ip("10.0.2.1")))
        assert count(app, User) == 3
        assert api.post(REGISTER, json=late, **from_ip("10.0.2.2")).status_code == 201

    def test_registering_does_not_use_up_the_login_budget(self, app, api):
        for n in range(3):
            body = registration(email=f"new{n}@example.com")
            assert api.post(REGISTER, json=body).status_code == 201

        body = {"email": "new0@example.com", "password": "a long enough password"}
        assert api.post(LOGIN, json=body).status_code == 200


@pytest.mark.redis
class TestRateLimitsInRedis:
    @pytest.fixture
    def app_config(self, redis_url):
        return {
            "AUTH_RATE_LIMIT": "3/minute",
            "REDIS_URL": redis_url,
            "RATELIMIT_STORAGE_URI": redis_url,
        }

    def test_the_login_limit_holds_and_is_kept_in_redis(self, app, api, redis_url):
        client = make_client(app)
        body = {"email": client.email, "password": PASSWORD}
        for _ in range(3):
            assert api.post(LOGIN, json=body, **from_ip("10.0.3.1")).status_code == 200

        assert_rate_limited(api.post(LOGIN, json=body, **from_ip("10.0.3.1")))
        keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys("*")]
        assert any("login-email" in key and client.email in key for key in keys), keys
        assert any("login-ip" in key and "10.0.3.1" in key for key in keys), keys

    def test_a_second_app_sharing_redis_sees_the_same_budget(self, app, api, app_config):
        from app import create_app

        client = make_client(app)
        body = {"email": client.email, "password": PASSWORD}
        for _ in range(3):
            assert api.post(LOGIN, json=body).status_code == 200

        second = create_app({**app.config, **app_config}).test_client()
        assert_rate_limited(second.post(LOGIN, json=body))
