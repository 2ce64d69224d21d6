"""Pure rules for what a coach offers: session-type defaults and checks, coupons,
embed origins and slugs (SPEC sections 4, 5 and 8.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.coupons import coupon_problems, normalise_code
from domain.origins import normalise_origin
from domain.session_types import session_type_problems, with_defaults
from domain.slugs import (
    MAX_SLUG_LENGTH,
    RESERVED_SLUGS,
    is_valid_slug,
    slug_candidates,
    slugify,
)

# --- session types: defaults -------------------------------------------------------

SPEC_DEFAULTS = {
    "format": "one_on_one",
    "active": True,
    "color": "#2563eb",
    "duration_min": 60,
    "duration_max": 60,
    "duration_default": 60,
    "duration_step": 15,
    "price_amount": 0,
    "firm_booking": "everyone",
    "min_notice_minutes": 120,
    "max_advance_days": 90,
    "buffer_before_minutes": 0,
    "buffer_after_minutes": 0,
    "full_refund_hours": 24,
    "partial_refund_hours": 2,
    "partial_refund_percent": 50,
    "max_attendees": 1,
    "email_notifications": True,
    "reminder_offsets_minutes": [1440, 60],
}


def valid(**overrides) -> dict:
    return with_defaults({"name": "Coaching", **overrides})


def test_omitted_fields_take_the_spec_defaults():
    full = with_defaults({"name": "Intro call"})
    assert full["name"] == "Intro call"
    assert {key: full[key] for key in SPEC_DEFAULTS} == SPEC_DEFAULTS


def test_a_group_session_seats_ten_by_default():
    assert with_defaults({"format": "group"})["max_attendees"] == 10


def test_a_given_number_of_attendees_is_kept():
    assert with_defaults({"format": "group", "max_attendees": 4})["max_attendees"] == 4


def test_given_values_win_over_defaults():
    full = with_defaults({"duration_default": 90, "color": "#000000", "active": False})
    assert (full["duration_default"], full["color"], full["active"]) == (90, "#000000", False)
    assert full["duration_min"] == 60


def test_default_reminders_are_a_fresh_list_each_time():
    first = with_defaults({})
    first["reminder_offsets_minutes"].append(5)
    assert with_defaults({})["reminder_offsets_minutes"] == [1440, 60]


def test_the_defaults_have_no_problems():
    assert session_type_problems(valid()) == {}
    assert session_type_problems(valid(format="group")) == {}


# --- session types: problems, keyed by API path -------------------------------------


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"duration_step": 20}, "duration.step"),
        ({"duration_step": 0}, "duration.step"),
        ({"duration_step": -15}, "duration.step"),
        ({"duration_step": 30, "duration_min": 45, "duration_max": 90}, "duration.min"),
        ({"duration_step": 30, "duration_max": 75}, "duration.max"),
        ({"duration_step": 30, "duration_default": 45, "duration_min": 30}, "duration.default"),
        ({"duration_min": 90, "duration_max": 120}, "duration.default"),
        ({"duration_default": 90}, "duration.default"),
        ({"partial_refund_hours": 48}, "cancellation.partial_refund_hours"),
        ({"max_attendees": 3}, "max_attendees"),
        ({"format": "group", "max_attendees": 1}, "max_attendees"),
        ({"reminder_offsets_minutes": [60, 1440, 60]}, "notifications.reminder_offsets_minutes"),
    ],
)
def test_each_broken_rule_is_reported_at_its_api_path(overrides, path):
    problems = session_type_problems(valid(**overrides))
    assert list(problems) == [path]
    assert all(isinstance(message, str) and message for message in problems[path])


def test_a_step_of_twenty_minutes_is_off_the_grid():
    problems = session_type_problems(valid(duration_step=20))
    assert "15" in problems["duration.step"][0]


def test_a_bad_step_does_not_also_blame_every_duration():
    problems = session_type_problems(valid(duration_step=20, duration_min=45))
    assert set(problems) == {"duration.step"}


def test_several_problems_are_reported_together():
    problems = session_type_problems(
        valid(duration_min=90, duration_max=30, partial_refund_hours=30, max_attendees=2)
    )
    assert set(problems) == {
        "duration.default",
        "cancellation.partial_refund_hours",
        "max_attendees",
    }
    assert len(problems["duration.default"]) == 2  # shorter than min and longer than max


def test_equal_partial_and_full_refund_hours_are_fine():
    assert session_type_problems(valid(full_refund_hours=2, partial_refund_hours=2)) == {}


def test_no_reminders_at_all_is_fine():
    assert session_type_problems(valid(reminder_offsets_minutes=[])) == {}


@given(
    step=st.sampled_from([15, 30, 45, 60, 90, 120, 240]),
    counts=st.lists(st.integers(1, 24), min_size=3, max_size=3),
)
def test_durations_on_the_step_in_order_have_no_problems(step, counts):
    low, middle, high = sorted(n * step for n in counts)
    values = valid(duration_step=step, duration_min=low, duration_default=middle, duration_max=high)
    assert not {path for path in session_type_problems(values) if path.startswith("duration.")}


@given(
    step=st.sampled_from([15, 30, 60]),
    minutes=st.integers(15, 600),
)
def test_a_duration_off_the_step_is_always_reported(step, minutes):
    values = valid(duration_step=step, duration_min=minutes, duration_default=600)
    values["duration_max"] = 600
    problems = session_type_problems(values)
    assert ("duration.min" in problems) == (minutes % step != 0)


# --- coupons ------------------------------------------------------------------------


def coupon(**overrides) -> dict:
    values = {"code": "SAVE10", "percent_off": 10, "amount_off": None}
    return values | {"valid_from": None, "valid_until": None, "max_redemptions": None} | overrides


def test_a_percent_or_a_fixed_coupon_is_fine():
    assert coupon_problems(coupon()) == {}
    assert coupon_problems(coupon(percent_off=None, amount_off=500)) == {}


def test_both_kinds_of_discount_is_a_problem_on_both_fields():
    problems = coupon_problems(coupon(amount_off=500))
    assert set(problems) == {"percent_off", "amount_off"}


def test_no_discount_is_a_problem_on_both_fields():
    problems = coupon_problems(coupon(percent_off=None))
    assert set(problems) == {"percent_off", "amount_off"}


@pytest.mark.parametrize("code", ["A", "SAVE 10", "save10", "-SAVE", "SÄVE", "X" * 41, ""])
def test_codes_outside_the_pattern_are_refused(code):
    assert "code" in coupon_problems(coupon(code=code))


@pytest.mark.parametrize("code", ["AB", "SUMMER-2026", "VIP_1", "X" * 40, "10OFF"])
def test_codes_inside_the_pattern_are_accepted(code):
    assert coupon_problems(coupon(code=code)) == {}


def test_codes_are_trimmed_and_upper_cased():
    assert normalise_code("  Summer-10 ") == "SUMMER-10"


def test_validity_must_end_after_it_starts():
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert "valid_until" in coupon_problems(coupon(valid_from=start, valid_until=start))
    earlier = start - timedelta(minutes=1)
    assert "valid_until" in coupon_problems(coupon(valid_from=start, valid_until=earlier))
    later = start + timedelta(minutes=1)
    assert coupon_problems(coupon(valid_from=start, valid_until=later)) == {}


def test_an_open_ended_validity_is_fine():
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert coupon_problems(coupon(valid_from=start)) == {}
    assert coupon_problems(coupon(valid_until=start)) == {}


# --- embed origins ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_origin", "origin"),
    [
        ("HTTPS://Coach.Example.com:443/", "https://coach.example.com"),
        ("https://coach.example.com", "https://coach.example.com"),
        ("  https://coach.example.com  ", "https://coach.example.com"),
        ("http://example.com:80", "http://example.com"),
        ("https://example.com:80", "https://example.com:80"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://[2001:DB8::1]", "https://[2001:db8::1]"),
        ("https://my-site.co.uk", "https://my-site.co.uk"),
    ],
)
def test_origins_are_normalised(given_origin, origin):
    assert normalise_origin(given_origin) == origin


def test_normalising_twice_changes_nothing():
    once = normalise_origin("HTTP://Example.COM:8080/")
    assert normalise_origin(once) == once


@pytest.mark.parametrize(
    "value",
    [
        "coach.example.com",
        "//coach.example.com",
        "ftp://coach.example.com",
        "javascript:alert(1)",
        "https://",
        "https:/coach.example.com",
        "https://*.example.com",
        "https://user:secret@example.com",
        "https://user@example.com",
        "https://example.com/widget",
        "https://example.com/?a=1",
        "https://example.com#top",
        "https://example.com:99999",
        "https://example.com:0",
        "https://example.com:http",
        "https://exa mple.com",
        "https://example.com;script-src",
        "https://example.com,https://evil.example",
        "https://example.com'",
        "",
        "   ",
        "https://" + "a" * 300 + ".com",
        None,
        443,
    ],
)
def test_anything_but_an_http_origin_is_refused(value):
    with pytest.raises(ValueError):
        normalise_origin(value)


# --- slugs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Anna Müller", "anna-muller"),
        ("  Zoë O'Brien  ", "zoe-o-brien"),
        ("Dr. José   García-López", "dr-jose-garcia-lopez"),
        ("ALL CAPS", "all-caps"),
        ("Coach #1", "coach-1"),
        ("", "coach"),
        ("!!!", "coach"),
        ("李小龙", "coach"),
    ],
)
def test_names_become_lower_case_ascii_slugs(name, slug):
    assert slugify(name) == slug


def test_long_names_are_cut_without_a_trailing_hyphen():
    slug = slugify("a" * 47 + " " + "b" * 30)
    assert len(slug) <= 48
    assert not slug.endswith("-")
    assert slug == "a" * 47


def test_candidates_count_up_from_the_name():
    candidates = slug_candidates("Anna Müller")
    assert [next(candidates) for _ in range(3)] == ["anna-muller", "anna-muller-2", "anna-muller-3"]


@pytest.mark.parametrize("name", sorted(RESERVED_SLUGS))
def test_a_reserved_word_is_never_offered_as_it_is(name):
    candidates = slug_candidates(name.upper())
    assert next(candidates) == f"{name}-2"


@pytest.mark.parametrize("name", ["Al", "X", "Jo"])
def test_a_name_too_short_for_a_slug_gets_a_number(name):
    first = next(slug_candidates(name))
    assert is_valid_slug(first)
    assert first == f"{slugify(name)}-2"


@given(st.text(max_size=80))
def test_every_candidate_is_a_valid_slug(name):
    candidates = slug_candidates(name)
    for _ in range(3):
        assert is_valid_slug(next(candidates))


@pytest.mark.parametrize("slug", ["anna", "anna-muller", "coach-2", "abc", "a" * MAX_SLUG_LENGTH])
def test_well_formed_slugs_are_valid(slug):
    assert is_valid_slug(slug)


@pytest.mark.parametrize(
    "slug",
    ["ab", "Anna", "anna--m", "-anna", "anna-", "anna_m", "anna m", "a" * 65, "api", "admin", 7],
)
def test_malformed_or_reserved_slugs_are_invalid(slug):
    assert not is_valid_slug(slug)
