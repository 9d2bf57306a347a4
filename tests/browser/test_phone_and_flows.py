"""Issue 13 in Chromium: no page scrolls sideways on a 400 px phone, the home market chart draws,
bad values are shown at their field, "alert me" on a model page ends in a saved rule, and compare
shows the hosts that sell both models."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve

from tests.browser.test_pages import CHROMIUM, browser, data, shot, wait_for_charts  # noqa: F401 (fixtures)
from tests.pricing.views import world

pytestmark = pytest.mark.browser

PASSWORD = "a-long-enough-pass-1"


def _served(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _index(path: str):
    # The index pages land from another branch; until then they are listed, not failed.
    return pytest.param(path, marks=pytest.mark.skipif(not _served(path), reason=f"{path} not routed yet"))


PUBLIC = [
    "/", _index("/models/"), _index("/providers/"), f"/models/{world.R1}/", "/models/evil/xss-model/",
    "/providers/deepinfra/", "/providers/evil-host/", f"/compare/?models={world.O1},{world.R1}",
    f"/compare/?models={world.O1},{world.R1},{world.LLAMA}&basis=cheapest", "/compare/", "/changes/",
    "/search/?q=deep", "/accounts/login/", "/accounts/signup/", "/?mix=5", "/changes/?page=999",
]
PRIVATE = ["/alerts/", "/alerts/rules/new/", f"/alerts/rules/new/?model={world.R1}"]


@pytest.fixture
def phone(browser, live_server, data):  # noqa: F811
    context = browser.new_context(viewport={"width": 400, "height": 860}, device_scale_factor=1)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.base = live_server.url
    yield page
    context.close()


@pytest.fixture
def user(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("ada", "ada@example.com", PASSWORD)


def log_in(page, next_path: str = "/alerts/") -> None:
    page.goto(page.base + f"/accounts/login/?next={next_path}")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")


def overflow(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


def test_no_page_scrolls_sideways_at_400_px(phone, user):
    checked = []
    for param in PUBLIC:
        path = param.values[0] if hasattr(param, "values") else param
        if not _served(path.split("?")[0]):
            continue
        phone.goto(phone.base + path)
        phone.wait_for_load_state("load")
        scroll, client = overflow(phone)
        assert scroll <= client, f"{path}: page is {scroll}px wide at {client}px"
        checked.append(path)
    log_in(phone)
    for path in PRIVATE:
        phone.goto(phone.base + path)
        scroll, client = overflow(phone)
        assert scroll <= client, f"{path}: page is {scroll}px wide at {client}px"
        checked.append(path)
    shot(phone, "phone-alerts")
    # No console error either (a missing favicon was one on every page); the 400s asked for above
    # are the only failed loads.
    assert [e for e in phone.errors if "status of 400" not in e] == [], phone.errors
    assert len(checked) >= len(PRIVATE) + 14


def test_the_model_table_keeps_provider_and_blended_in_view_and_scrolls_the_rest(phone):
    phone.goto(phone.base + f"/models/{world.R1}/")
    table_box = phone.locator(".offers-wrap")
    assert phone.evaluate("el => el.scrollWidth > el.clientWidth", table_box.element_handle())
    header = [h.strip(" ▲▼") for h in phone.locator("table.offers thead th").all_inner_texts()]
    assert header[:2] == ["Provider", "Blended"]
    blended = phone.locator("table.offers tbody tr td.blended").first.bounding_box()
    assert blended["x"] + blended["width"] <= 400
    # Scrolled to the far right, the provider column is still on screen (sticky).
    table_box.evaluate("el => el.scrollLeft = el.scrollWidth")
    provider = phone.locator("table.offers tbody tr td:first-child").first.bounding_box()
    assert 0 <= provider["x"] < 40
    shot(phone, "phone-model")


def test_the_home_market_chart_draws_each_hosts_price_on_a_log_axis(phone):
    phone.goto(phone.base + "/")
    wait_for_charts(phone, 1)
    layout_type = phone.evaluate("document.querySelector('[data-figure=fig-market]').layout.xaxis.type")
    assert layout_type == "log"
    n_points = phone.evaluate(
        "document.querySelector('[data-figure=fig-market]').data.reduce((n, t) => n + t.x.length, 0)")
    assert n_points >= 20
    assert phone.locator("[data-figure=fig-market] .point").count() >= 20
    shot(phone, "phone-home")


@pytest.mark.parametrize("path,near", [
    ("/?mix=5", "input[name=mix]"),
    (f"/models/{world.R1}/?mix=5&sort=zz", "input[name=mix]"),
    ("/changes/?page=999", ".pager"),
    (f"/compare/?models={world.O1},{world.R1}&basis=priciest", "select[name=b]"),
])
def test_a_bad_value_is_shown_at_its_field(phone, path, near):
    response = phone.goto(phone.base + path)
    assert response.status == 400
    message = phone.locator(".field-error").first
    assert message.is_visible()
    field = phone.locator(near).first.bounding_box()
    box = message.bounding_box()
    assert abs(box["y"] - field["y"]) < 160, (box, field)  # beside or right under the field
    assert phone.locator("h1").first.inner_text() not in ("Bad request", "Not found")


def test_alert_me_on_a_model_page_ends_in_a_saved_rule_with_units(browser, live_server, data, user):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + f"/models/{world.R1}/")
    page.get_by_role("link", name="Alert me").click()
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/alerts/rules/new/**")
    assert page.locator("select[name=model]").input_value() == world.R1
    page.select_option("select[name=condition]", "below")
    page.fill("input[name=threshold]", "1")
    page.check("input[name=quick_channel][value=feed]")
    page.click("form.rule-form button[type=submit]")
    page.wait_for_url("**/alerts/")
    assert f"{world.R1}: blended 3:1 below $1.00 / M" in page.locator("main").inner_text()
    shot(page, "alert-me")
    context.close()


def test_compare_shows_the_hosts_that_sell_both_and_picks_the_basis_from_a_list(browser, live_server, data):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/compare/")
    selects = page.locator("select[name=m]")
    selects.nth(0).select_option(world.LLAMA)
    selects.nth(1).select_option("meta-llama/llama-3.1-70b-instruct")
    assert page.locator("select[name=b]").first.input_value() == "auto"
    page.click("form.compare-form button[type=submit]")
    rows = page.locator("table.hosts tbody tr")
    assert rows.count() >= 2
    first = rows.first.inner_text()
    assert first.count("$") >= 2 and "x" in first
    # Open models without a first-party host fall back to the cheapest host, not a row of dashes.
    assert "cheapest" in page.locator("table.compare tbody").inner_text()
    wait_for_charts(page, 1)
    assert page.evaluate("document.querySelector('[data-figure=fig-ratio]').layout.yaxis.type") == "log"
    shot(page, "compare-hosts")
    context.close()
