"""GET/PATCH /api/me: one's own profile, and a coach's settings."""

from __future__ import annotations

import threading

import pytest

from tests.factories import make_client, make_coach, user_row
from tests.helpers import assert_error

ME = "/api/me"


def assert_field_errors(error: dict, field: str) -> None:
    """The error's details name this field (or one of its items, ``field.0``)."""
    keys = set(error["details"])
    assert any(key == field or key.startswith(field + ".") for key in keys), keys
    assert all(key == field or key.startswith(field + ".") for key in keys), keys


def test_me_answers_a_coach_with_the_coach_settings(app, api):
    coach = make_coach(app, name="Dana", email="dana@example.com", timezone="Europe/Paris")

    response = api.get(ME, as_=coach)

    assert response.status_code == 200
    assert response.get_json() == {
        "user": {
            "id": coach.id,
            "email": "dana@example.com",
            "name": "Dana",
            "role": "coach",
            "timezone": "Europe/Paris",
            "slug": "dana",
            "calendar_privacy": "connected",
            "currency": "EUR",
            "vat_rate": "0",
            "embed_domains": [],
        }
    }


def test_me_answers_a_client_without_coach_settings(app, api):
    client = make_client(app, name="Carl")

    user = api.get(ME, as_=client).get_json()["user"]

    assert user == {
        "id": client.id,
        "email": client.email,
        "name": "Carl",
        "role": "client",
        "timezone": "Europe/Berlin",
    }


def test_me_without_credentials_is_401(app, api):
    assert_error(api.get(ME), 401, "unauthorized")
    assert_error(api.patch(ME, json={"name": "X"}), 401, "unauthorized")


def test_a_client_changes_name_and_timezone(app, api):
    client = make_client(app)

    response = api.patch(ME, json={"name": "  Carla  ", "timezone": "America/New_York"}, as_=client)

    assert response.status_code == 200
    assert response.get_json()["user"]["name"] == "Carla"
    assert response.get_json()["user"]["timezone"] == "America/New_York"
    after = user_row(app, client)
    assert (after["name"], after["timezone"]) == ("Carla", "America/New_York")


def test_an_empty_patch_changes_nothing(app, api):
    coach = make_coach(app)
    before = user_row(app, coach)

    response = api.patch(ME, json={}, as_=coach)

    assert response.status_code == 200
    assert user_row(app, coach) == before


def test_unknown_and_protected_fields_are_ignored(app, api):
    client = make_client(app)
    before = user_row(app, client)

    response = api.patch(
        ME,
        json={"role": "coach", "email": "new@example.com", "id": 999, "password_hash": "x"},
        as_=client,
    )

    assert response.status_code == 200
    after = user_row(app, client)
    assert {k: after[k] for k in ("role", "email", "id", "password_hash")} == {
        k: before[k] for k in ("role", "email", "id", "password_hash")
    }


def test_a_coach_changes_every_setting(app, api):
    coach = make_coach(app)
    changes = {
        "name": "Dana Demo",
        "timezone": "Asia/Tokyo",
        "slug": "dana-coaching",
        "calendar_privacy": "public",
        "currency": "JPY",
        "vat_rate": "0.19",
        "embed_domains": ["https://coach.example.com", "http://localhost:8080"],
    }

    response = api.patch(ME, json=changes, as_=coach)

    assert response.status_code == 200
    user = response.get_json()["user"]
    assert {key: user[key] for key in changes} == changes | {
        "embed_domains": ["http://localhost:8080", "https://coach.example.com"]
    }
    assert api.get(ME, as_=coach).get_json()["user"] == user
    assert str(user_row(app, coach)["vat_rate"]) == "0.19"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("HTTPS://Coach.Example.com:443/", "https://coach.example.com"),
        ("http://Example.com:80", "http://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("  https://example.com  ", "https://example.com"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ],
)
def test_embed_domains_are_stored_as_normalised_origins(app, api, given, stored):
    coach = make_coach(app)

    response = api.patch(ME, json={"embed_domains": [given]}, as_=coach)

    assert response.status_code == 200
    assert response.get_json()["user"]["embed_domains"] == [stored]
    assert user_row(app, coach)["embed_domains"] == [stored]


def test_the_same_origin_written_twice_is_kept_once(app, api):
    coach = make_coach(app)
    domains = ["HTTPS://Coach.Example.com:443/", "https://coach.example.com"]

    response = api.patch(ME, json={"embed_domains": domains}, as_=coach)

    assert response.get_json()["user"]["embed_domains"] == ["https://coach.example.com"]


def test_embed_domains_can_be_cleared(app, api):
    coach = make_coach(app, embed_domains=["https://coach.example.com"])

    response = api.patch(ME, json={"embed_domains": []}, as_=coach)

    assert response.get_json()["user"]["embed_domains"] == []


@pytest.mark.parametrize(
    ("vat_rate", "shown"), [("0.19", "0.19"), ("0", "0"), (0.07, "0.07"), ("0.0825", "0.0825")]
)
def test_vat_rate_is_answered_as_a_decimal_string(app, api, vat_rate, shown):
    coach = make_coach(app)

    response = api.patch(ME, json={"vat_rate": vat_rate}, as_=coach)

    assert response.status_code == 200
    assert response.get_json()["user"]["vat_rate"] == shown


def test_a_coach_may_keep_their_own_slug(app, api):
    coach = make_coach(app, slug="dana")

    response = api.patch(ME, json={"slug": "dana"}, as_=coach)

    assert response.status_code == 200
    assert response.get_json()["user"]["slug"] == "dana"


@pytest.mark.parametrize(
    "changes",
    [
        {"slug": "carl"},
        {"calendar_privacy": "public"},
        {"currency": "USD"},
        {"vat_rate": "0.19"},
        {"embed_domains": ["https://carl.example.com"]},
        {"name": "Carl", "slug": "carl"},
    ],
)
def test_a_client_sending_coach_settings_is_403_and_nothing_changes(app, api, changes):
    client = make_client(app)
    before = user_row(app, client)

    response = api.patch(ME, json=changes, as_=client)

    assert_error(response, 403, "forbidden")
    assert user_row(app, client) == before


def test_a_slug_taken_by_another_coach_is_409_and_nothing_changes(app, api):
    make_coach(app, slug="dana")
    coach = make_coach(app, slug="other")
    before = user_row(app, coach)

    response = api.patch(ME, json={"slug": "dana", "name": "Renamed"}, as_=coach)

    assert_error(response, 409, "slug_taken", fields=("slug",))
    assert user_row(app, coach) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", 123),
        ("name", None),
        ("name", "x" * 10_000),
        ("timezone", "Mars/Base"),
        ("timezone", "CET+1"),
        ("timezone", ""),
        ("slug", "Dana Demo"),
        ("slug", "ab"),
        ("slug", "dana--demo"),
        ("slug", "-dana"),
        ("slug", "admin"),
        ("slug", "x" * 65),
        ("slug", None),
        ("calendar_privacy", "friends"),
        ("calendar_privacy", "PUBLIC"),
        ("currency", "EURO"),
        ("currency", "eur"),
        ("currency", "XYZ"),
        ("currency", 978),
        ("vat_rate", "1.5"),
        ("vat_rate", "1"),
        ("vat_rate", "-0.1"),
        ("vat_rate", "abc"),
        ("vat_rate", "NaN"),
        ("vat_rate", "Infinity"),
        ("vat_rate", "0.123456"),
        ("vat_rate", True),
        ("embed_domains", ["javascript:alert(1)"]),
        ("embed_domains", ["https://x.com/path"]),
        ("embed_domains", ["https://x.com?q=1"]),
        ("embed_domains", ["https://user:pw@x.com"]),
        ("embed_domains", ["https://*.example.com"]),
        ("embed_domains", ["ftp://example.com"]),
        ("embed_domains", ["example.com"]),
        ("embed_domains", ["https://x.com:99999"]),
        ("embed_domains", [1]),
        ("embed_domains", "https://x.com"),
        ("embed_domains", ["https://x.com"] * 21),
        ("embed_domains", ["https://" + "a" * 400 + ".com"]),
    ],
)
def test_a_bad_setting_is_400_with_details_for_it_and_nothing_changes(app, api, field, value):
    coach = make_coach(app)
    before = user_row(app, coach)

    good = {"timezone": "Asia/Tokyo"} if field == "name" else {"name": "Should Not Stick"}

    response = api.patch(ME, json=good | {field: value}, as_=coach)

    assert_field_errors(assert_error(response, 400, "validation_error"), field)
    assert user_row(app, coach) == before


def test_one_bad_origin_among_good_ones_is_named_by_its_position(app, api):
    coach = make_coach(app)
    domains = ["https://ok.example.com", "javascript:alert(1)"]

    response = api.patch(ME, json={"embed_domains": domains}, as_=coach)

    error = assert_error(response, 400, "validation_error")

    assert set(error["details"]) == {"embed_domains.1"}


def test_several_bad_fields_are_all_reported(app, api):
    coach = make_coach(app)

    response = api.patch(
        ME, json={"currency": "EURO", "vat_rate": "abc", "calendar_privacy": "x"}, as_=coach
    )

    error = assert_error(response, 400, "validation_error")
    assert set(error["details"]) == {"currency", "vat_rate", "calendar_privacy"}


def test_a_patch_with_malformed_json_is_400_and_changes_nothing(app, api):
    coach = make_coach(app)
    before = user_row(app, coach)

    response = api.patch(ME, data='{"name": ', content_type="application/json", as_=coach)

    assert_error(response, 400, "validation_error")
    assert user_row(app, coach) == before


def test_a_zero_vat_rate_is_never_negative(app, api):
    coach = make_coach(app, vat_rate="0.19")

    response = api.patch(ME, json={"vat_rate": "-0"}, as_=coach)

    assert response.status_code == 200
    assert response.get_json()["user"]["vat_rate"] == "0"


def test_coaches_changing_their_settings_at_once_all_succeed(app):
    coaches = [make_coach(app) for _ in range(4)]
    barrier = threading.Barrier(len(coaches))
    statuses = []

    def rename(coach, n):
        client = app.test_client()
        barrier.wait()
        headers = {"Authorization": f"Bearer {coach.token}"}
        body = {"name": f"Renamed {n}", "slug": f"renamed-{n}"}
        statuses.append(client.patch(ME, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=rename, args=(c, n)) for n, c in enumerate(coaches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 4
    assert [user_row(app, c)["slug"] for c in coaches] == [f"renamed-{n}" for n in range(4)]


def test_a_body_that_is_not_json_is_refused_with_415_and_changes_nothing(app, api):
    from tests.factories import make_coach, user_row
    from tests.helpers import assert_error

    coach = make_coach(app)
    before = user_row(app, coach)
    response = api.patch(
        "/api/me", data="name=Renamed", headers={"Content-Type": "text/plain"}, as_=coach
    )
    assert_error(response, 415, "unsupported_media_type")
    assert user_row(app, coach) == before


def test_a_patch_without_a_body_is_refused(app, api):
    coach = make_coach(app)
    before = user_row(app, coach)

    for headers in ({}, {"Content-Type": "application/json"}):
        response = api.patch(ME, as_=coach, headers=headers)
        assert_error(response, 400, "validation_error", ("_schema",))

    assert user_row(app, coach) == before
