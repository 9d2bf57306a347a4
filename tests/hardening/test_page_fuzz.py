"""Fuzzing every page and feed (issue 11, item 8): hostile values in each parameter and path segment
(NUL and other control characters, digits of other scripts, huge numbers, overlong strings, invalid
UTF-8 percent-escapes, traversal, markup), on PostgreSQL, where NUL used to be a 500. No answer may
be a 5xx. The API has its own fuzzing with Schemathesis (tests/api/test_schema.py)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pricing.views import world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

R1_AUTHOR, R1_NAME = world.R1.split("/")

HOSTILE = st.one_of(
    st.sampled_from([
        "\x00", "a\x00b", "%00", "²:1", "٣:١", "３", "𝟑:1", "9" * 40, "-9" * 20, "1e999", "NaN", "-0", " ",
        "x" * 5000, "../../etc/passwd", "%2e%2e%2f", "<script>alert(1)</script>", "\u202e", "\ufeff", "'; --",
        "provider:", "provider:\x00", "2025-13-45", "9999-12-31", "0001-01-01", "\r\nSet-Cookie: x=1",
    ]),
    st.text(max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x20), max_size=8),
    st.integers().map(str),
)
# Raw escapes that are not valid UTF-8 once decoded, put in the query string as they are.
RAW = st.sampled_from(["%ff", "%c3%28", "%ed%a0%80", "%f4%90%80%80", "%e2%82", "%%", "%zz", "%C0%AF"])

PAGES = {
    "/": ["mix"],
    f"/models/{world.R1}/": ["mix", "sort", "range"],
    f"/models/{world.R1}/series.json": ["mix", "range"],
    "/compare/": ["models", "m", "basis", "mix", "as_of"],
    "/providers/deepinfra/": ["mix", "page", "sort"],
    "/changes/": ["model", "provider", "kind", "since", "page"],
    "/search/": ["q"],
    "/feeds/changes.atom": ["x"],
    f"/feeds/models/{world.R1}.atom": ["x"],
    "/feeds/providers/deepinfra.atom": ["x"],
    "/accounts/login/": ["next"],
    "/accounts/signup/": ["next"],
    "/healthz": ["x"],
}
PATHS = [
    "/models/{}/{}/", "/models/{}/{}/series.json", "/providers/{}/", "/feeds/models/{}/{}.atom",
    "/feeds/providers/{}.atom", "/alerts/feed/{}.atom", "/alerts/unsubscribe/{}/", "/alerts/confirm/{}/",
]
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@pytest.fixture
def built():
    return world.build()


def check(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code < 500, (url[:300], response.status_code)


@FUZZ
@given(page=st.sampled_from(sorted(PAGES)), data=st.data())
def test_hostile_values_in_every_page_parameter(client, built, page, data):
    names = PAGES[page]
    params = data.draw(st.dictionaries(st.sampled_from(names), HOSTILE, min_size=1, max_size=len(names)))
    query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params.items())
    check(client, f"{page}?{query}")


@FUZZ
@given(page=st.sampled_from(sorted(PAGES)), data=st.data())
def test_invalid_utf8_in_every_page_parameter(client, built, page, data):
    name = data.draw(st.sampled_from(PAGES[page]))
    raw = data.draw(RAW)
    check(client, f"{page}?{name}=a{raw}b")
    check(client, f"{page}?{raw}=1")


@FUZZ
@given(template=st.sampled_from(PATHS), values=st.lists(HOSTILE.filter(lambda v: v not in ("", ".", "..")),
                                                         min_size=2, max_size=2))
def test_hostile_path_segments(client, built, template, values):
    segments = [quote(v, safe="") for v in values][: template.count("{}")]
    check(client, template.format(*segments))


@FUZZ
@given(raw=RAW, template=st.sampled_from(PATHS))
def test_invalid_utf8_in_path_segments(client, built, raw, template):
    check(client, template.format(*[f"a{raw}"] * template.count("{}")))


@pytest.mark.parametrize("method", ["head", "options", "put", "patch", "delete", "trace"])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_other_methods_on_every_page(client, built, page, method):
    response = client.generic(method.upper(), page)
    assert response.status_code < 500, response.status_code

