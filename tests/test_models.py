"""Tests for pal_core.models: validation at the edge, with messages a person can act on."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest

from pal_core.models import (
    LINE_LIMIT,
    PHASE_SHARE,
    TEXT_LIMIT,
    NewAction,
    NewSession,
    Pairing,
    Phase,
    RatingInput,
    Role,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def message(excinfo) -> str:
    return str(excinfo.value)


@pytest.mark.parametrize("rating", [0, -3, 11, 100])
def test_rating_outside_1_to_10_is_rejected_readably(rating):
    with pytest.raises(pydantic.ValidationError) as excinfo:
        RatingInput(rating=rating)
    text = message(excinfo)
    assert "rating" in text
    assert ("greater than or equal to 1" in text) if rating < 1 else ("less than or equal to 10" in text)


@pytest.mark.parametrize("rating", [1, 5, 10, None])
def test_rating_inside_range_is_accepted(rating):
    assert RatingInput(rating=rating).rating == rating


def test_rating_must_be_a_number():
    with pytest.raises(pydantic.ValidationError, match="valid integer"):
        RatingInput(rating="great")


def test_text_over_the_limit_names_the_limit():
    assert TEXT_LIMIT == 20_000
    RatingInput(why="x" * TEXT_LIMIT)  # exactly at the limit is fine
    with pytest.raises(pydantic.ValidationError) as excinfo:
        RatingInput(why="x" * (TEXT_LIMIT + 1))
    text = message(excinfo)
    assert "the limit is 20,000" in text
    assert "20,001 characters" in text
    assert "Shorten it" in text


def test_line_over_the_limit_names_the_limit():
    NewAction(text="y" * LINE_LIMIT, owner=Role.MENTEE)
    with pytest.raises(pydantic.ValidationError) as excinfo:
        NewAction(text="y" * (LINE_LIMIT + 1), owner=Role.MENTEE)
    assert f"the limit is {LINE_LIMIT}" in message(excinfo)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00", " \x00 "])
def test_empty_required_line_is_rejected(text):
    with pytest.raises(pydantic.ValidationError) as excinfo:
        NewAction(text=text, owner=Role.PAL)
    assert "can't be empty" in message(excinfo)


def test_nul_bytes_are_stripped():
    assert RatingInput(why="fi\x00ne\x00").why == "fine"
    assert NewAction(text="Re\x00ad the guide", owner=Role.MENTEE).text == "Read the guide"


def test_surrounding_whitespace_is_trimmed():
    assert NewAction(text="  Book a room \n", owner=Role.MENTEE).text == "Book a room"


@pytest.mark.parametrize(
    "text",
    [
        "Great week 🎉🚀 — 👩🏽‍💻 family emoji 👨‍👩‍👧",
        "שלום, זה עובד טוב — مرحبا بالعالم",
        "<script>alert('hi')</script> & <b>bold</b> \"quotes\" 'single'",
        "Line one\nLine two\r\n\ttabbed",
    ],
)
def test_unusual_text_is_kept_intact(text):
    assert RatingInput(why=text, plus_one=text).why == text
    assert NewAction(text=text, owner=Role.PAL).text == text


def test_new_session_in_the_past_is_rejected():
    with pytest.raises(ValueError, match="in the past"):
        NewSession.at(NOW - dt.timedelta(hours=1), now=NOW)
    with pytest.raises(ValueError, match="in the past"):
        NewSession.at(NOW - dt.timedelta(days=400), now=NOW)


def test_new_session_just_now_is_allowed():
    # A few minutes of slack for the time it takes to fill in the form.
    assert NewSession.at(NOW - dt.timedelta(minutes=2), now=NOW).scheduled_at == NOW - dt.timedelta(minutes=2)
    assert NewSession.at(NOW, now=NOW).scheduled_at == NOW


def test_new_session_more_than_a_year_ahead_is_rejected():
    assert NewSession.at(NOW + dt.timedelta(days=365), now=NOW).scheduled_at == NOW + dt.timedelta(days=365)
    with pytest.raises(ValueError, match="more than a year away"):
        NewSession.at(NOW + dt.timedelta(days=400), now=NOW)


def test_new_session_with_a_naive_datetime_gets_a_readable_error_or_is_accepted():
    naive = dt.datetime(2030, 3, 8, 10, 0)
    try:
        new = NewSession.at(naive, now=NOW)
    except ValueError:
        return
    assert new.scheduled_at.tzinfo is not None


def test_phase_shares_add_up_to_the_whole_session():
    assert list(PHASE_SHARE) == list(Phase)
    assert sum(PHASE_SHARE.values()) == pytest.approx(1.0)


def test_models_are_frozen():
    rating = RatingInput(rating=5)
    with pytest.raises(pydantic.ValidationError):
        rating.rating = 6


def test_pairing_roles():
    p = Pairing(id=1, mentee_id=10, pal_id=20, mentee_name="Ann", pal_name="Bo")
    assert (p.role_of(10), p.role_of(20)) == (Role.MENTEE, Role.PAL)
    assert (p.other_name(10), p.other_name(20)) == ("Bo", "Ann")
    assert (p.cadence_days, p.session_minutes, p.is_sample) == (7, 30, False)
