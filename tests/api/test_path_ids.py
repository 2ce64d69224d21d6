"""Ids in paths are ASCII digits, no sign, no leading zero, at most 2**31 - 1: anything
else is a 404 on every route that takes one (taken from the URL map), writes included."""

from __future__ import annotations

import pytest

from tests.api.scheduling import MONDAY, local
from tests.factories import make_booking, make_client, make_coach, make_session_type


def _digits_from(zero: int) -> dict[int, str]:
    """ASCII 0-9 → the ten digits of another script, whose zero is at ``zero``."""
    return str.maketrans("0123456789", "".join(chr(zero + n) for n in range(10)))


FULLWIDTH = _digits_from(0xFF10)
ARABIC_INDIC = _digits_from(0x0660)
DEVANAGARI = _digits_from(0x0966)


def spellings(real_id: int) -> dict[str, str]:
    digits = str(real_id)
    return {
        "fullwidth": digits.translate(FULLWIDTH),
        "arabic-indic": digits.translate(ARABIC_INDIC),
        "devanagari": digits.translate(DEVANAGARI),
        "plus sign": f"+{digits}",
        "minus sign": f"-{digits}",
        "leading zero": f"0{digits}",
        "leading zeros": f"000{digits}",
        "30 digits": "9" * 30,
        "one past the column": str(2**31),
        "zero": "0",
        "space": f" {digits}",
        "decimal": f"{digits}.0",
    }


def _id_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "<id:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_id_route_refuses_every_other_spelling_of_an_id(app, api):
    coach = make_coach(app, calendar_privacy="public")
    client = make_client(app)
    session_type_id = make_session_type(app, coach)
    booking_id = make_booking(app, coach, client, session_type_id, local(MONDAY, 10))
    assert api.get(f"/api/bookings/{booking_id}", as_=coach).status_code == 200
    routes = list(_id_routes(app))
    assert len(routes) >= 20

    answers = {}
    for method, rule in routes:
        arg = rule.split("<id:")[1].split(">")[0]
        for name, spelled in spellings(booking_id).items():
            url = rule.replace(f"<id:{arg}>", spelled).replace(
                "<any(accept, decline):answer>", "accept"
            )
            response = api.request(method, url, as_=coach, json={})
            answers[(method, rule, name)] = response.status_code

    assert {key: status for key, status in answers.items() if status != 404} == {}
    assert api.get(f"/api/bookings/{booking_id}", as_=coach).get_json()["booking"]["status"] == (
        "confirmed"
    )


@pytest.mark.parametrize("spelled", ["\uff11", "\u0661", "01"])
def test_a_unicode_digit_does_not_reach_a_booking(app, api, spelled):
    coach = make_coach(app, calendar_privacy="public")
    client = make_client(app)
    session_type_id = make_session_type(app, coach)
    make_booking(app, coach, client, session_type_id, local(MONDAY, 10), status="requested")

    response = api.post(f"/api/bookings/{spelled}/accept", as_=coach, json={})

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
