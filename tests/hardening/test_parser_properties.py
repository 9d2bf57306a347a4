"""Every parser of user input, over arbitrary Unicode (issue 11, item 3): each one returns a value
of the documented shape or raises its QueryError-style exception with a message; nothing else
escapes (``?mix=²:1`` passed ``str.isdigit()`` and then ``int()`` raised a bare ValueError)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pricing.alerts import netguard
from pricing.alerts.forms import parse_when
from pricing.queries import EARLIEST, LATEST, MAX_ID, QueryError, check_basis, parse_id, parse_mix
from pricing.queries.api import check_page, decode_cursor, encode_cursor, parse_instant
from pricing.queries.model_page import sort_rows
from pricing.queries.pages import parse_day

# Everything a URL can carry once decoded, weighted towards digits of every script and separators.
DIGITS = st.sampled_from("0123456789²³¹⁰⁴٣١٠۵१३০๓၃០᠓０１３𝟑𝟙߁")
TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.one_of(DIGITS, st.sampled_from(":-T+Z.| ,\x00\n\t")), max_size=40),
    st.from_regex(r"\A[0-9²٣]{1,9}:[0-9¹١]{1,9}\Z"),
)
ASCII_MIX = re.compile(r"\s*[0-9]{1,7}\s*:\s*[0-9]{1,7}\s*", re.ASCII)


@settings(max_examples=400, deadline=None)
@given(TEXT)
@example("²:1")
@example("3:¹")
@example("٣:١")
@example("１:３")
def test_parse_mix(text):
    try:
        a, b = parse_mix(text)
    except QueryError as exc:
        assert str(exc).startswith("mix ")
        return
    assert not text or ASCII_MIX.fullmatch(text)
    assert 0 <= a <= 1_000_000 and 0 <= b <= 1_000_000 and a + b > 0


@settings(max_examples=300, deadline=None)
@given(TEXT)
@example("²025-01-01")
@example("٢٠٢٥-٠١-٠١")
@example("9999-12-31")
def test_parse_day(text):
    try:
        day = parse_day(text, "since")
    except QueryError as exc:
        assert "since" in str(exc)
        return
    assert day is None or (isinstance(day, date) and text.strip().isascii()
                           and EARLIEST.date() <= day <= LATEST.date())


@settings(max_examples=400, deadline=None)
@given(st.one_of(TEXT, st.integers().map(str), st.floats().map(str), st.datetimes(timezones=st.timezones()).map(
    lambda d: d.isoformat())))
@example("1")
@example("99999999999")
@example("9999-12-31T23:59:59-14:00")
@example("0001-01-01T00:00:00+14:00")
def test_parse_instant(text):
    try:
        value = parse_instant(text, "as_of")
    except QueryError as exc:
        assert "as_of" in str(exc)
        return
    if text in ("", None):
        assert value is None
        return
    assert value.tzinfo is not None and value.utcoffset().total_seconds() == 0
    assert EARLIEST <= value <= LATEST
    assert not text.strip().isdigit()


def _cursor_texts():
    forged = st.text(max_size=60).map(lambda t: base64.urlsafe_b64encode(t.encode()).decode().rstrip("="))
    made = st.tuples(st.datetimes(timezones=st.timezones()), st.integers(min_value=-5, max_value=2**70)).map(
        lambda p: base64.urlsafe_b64encode(f"{p[0].isoformat()}|{p[1]}".encode()).decode().rstrip("="))
    return st.one_of(st.text(max_size=200), forged, made)


@settings(max_examples=400, deadline=None)
@given(_cursor_texts())
def test_decode_cursor(cursor):
    try:
        at, event_id = decode_cursor(cursor)
    except QueryError as exc:
        assert str(exc) == "cursor is not one this API gave out"
        return
    assert EARLIEST <= at <= LATEST and 0 <= event_id <= MAX_ID


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 30)),
       st.integers(min_value=0, max_value=MAX_ID))
def test_a_cursor_the_api_gave_out_round_trips(at, event_id):
    at = at.replace(tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, event_id)) == (at, event_id)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_check_basis(text):
    try:
        basis = check_basis(text)
    except QueryError as exc:
        assert str(exc).startswith("basis ")
        return
    assert basis in ("cheapest", "median", "first-party") or basis.startswith("provider:")


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, st.sampled_from(["blended", "-input", "--tps", "seen", "-"])))
def test_sort_keys(text):
    try:
        rows, sort = sort_rows([], text)
    except QueryError as exc:
        assert str(exc).startswith("sort ")
        return
    assert rows == [] and sort.lstrip("-") in ("provider", "quantization", "context", "input", "output", "cached",
                                               "blended", "ttft", "tps", "uptime", "seen")


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, st.integers().map(str)))
@example("99999999999999999999")
@example("٣")
def test_parse_id(text):
    try:
        value = parse_id(text)
    except QueryError:
        return
    assert 1 <= value <= MAX_ID and text.strip().isascii()


@given(st.integers(), st.integers())
def test_check_page(limit, offset):
    try:
        assert check_page(limit, offset) == (limit, offset)
    except QueryError:
        assert not (1 <= limit <= 500 and 0 <= offset <= 1_000_000)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), TEXT.map(lambda t: f"http://{t}/"), TEXT.map(lambda t: f"https://[{t}/x")))
@example("http://[::1/")
@example("http://a:99999/")
@example("http://[fe80::1%en0/")
def test_webhook_urls(url):
    try:
        netguard.check_url(url)
    except netguard.BlockedAddress as exc:
        assert str(exc)


@settings(max_examples=200, deadline=None)
@given(st.one_of(TEXT, TEXT.map(lambda t: f"drop:{t}"), TEXT.map(lambda t: f"below:{t}")))
def test_the_command_lines_when(text):
    try:
        parsed = parse_when(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert parsed["condition"] in ("change", "drop", "rise", "below", "above")


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(TEXT)
def test_the_rule_forms_mix_and_ids(text):
    """The alert rule form (and the API, which validates through it) never lets a parser error out."""
    from django.contrib.auth import get_user_model

    from pricing.alerts.forms import RuleForm

    user = get_user_model().objects.get_or_create(username="prop")[0]
    form = RuleForm({"condition": "change", "price_field": "blended", "digest": "immediate", "mix": text,
                     "channels": [text], "stale_hours": text, "percent": text}, user=user)
    assert not form.is_valid()
