"""Every page in headless Chromium on a live server: charts drawn, the o1/R1 ratio, no script
runs from hostile names. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.pricing.views import world

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
SNAPSHOT = Path(__file__).resolve().parents[2] / "pricing" / "snapshot" / "snapshot.json"

# Playwright's sync API keeps an event loop running in this thread; Django's ORM calls made by the
# test itself (fixtures, teardown flush) are still synchronous, so its async guard is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"headless Chromium not found at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def data(transactional_db):
    if SNAPSHOT.exists():
        from pricing.collection.snapshot import load

        load()
    else:
        world.build()
    world.add_xss()


@pytest.fixture
def page(browser, live_server, data):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.errors = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.base = live_server.url
    yield page
    assert page.dialogs == [], f"a script ran: {page.dialogs}"
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_for_charts(page, n: int) -> None:
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('[data-figure]'))"
        ".filter(el => el.data && el.data.length > 0).length >= n",
        arg=n, timeout=20000,
    )
    assert page.evaluate("document.querySelectorAll('.js-plotly-plot .trace').length") > 0


def test_the_home_page_shows_the_headline_ratio_and_freshness(page):
    response = page.goto(page.base + "/")
    assert response.status == 200
    card = page.locator(".ratio-card").first
    assert "o1" in card.inner_text() and "R1" in card.inner_text()
    assert page.locator("table.freshness tbody tr").count() >= 1
    shot(page, "home")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "home-phone")
    assert page.errors == []


def test_the_model_page_draws_its_charts_and_sorts_without_a_reload(page):
    page.goto(page.base + f"/models/{world.R1}/?range=7d")
    wait_for_charts(page, 3)
    assert page.locator("table.offers tbody tr").count() >= 2
    # JS sorting: click the TTFT header, rows reorder in place.
    page.locator("th[data-sort-key=ttft] a").click()
    assert page.locator("th[data-sort-key=ttft]").get_attribute("aria-sort") == "ascending"
    shot(page, "model")
    assert page.errors == []


def test_a_stated_discount_shows_as_a_badge_beside_the_host(page):
    if not SNAPSHOT.exists():
        pytest.skip("the bundled snapshot carries SambaNova's discount")
    page.goto(page.base + "/models/meta-llama/llama-3.3-70b-instruct/")
    row = page.locator("table.offers tbody tr", has_text="SambaNova")
    assert row.locator(".discount").inner_text() == "25% off"
    assert "$0.45" in row.inner_text()  # the price paid, not the list price
    assert page.locator("table.offers .discount").count() == 1
    shot(page, "model-discount")
    assert page.errors == []


def test_the_model_table_sorts_on_the_server_without_javascript(browser, live_server, data):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + f"/models/{world.R1}/")
    page.locator("th[data-sort-key=output] a").click()
    assert "sort=output" in page.url
    values = page.locator("table.offers tbody tr td:nth-child(4)").all_inner_texts()
    assert values and values[0].startswith("$")
    context.close()


def test_compare_shows_o1_against_r1_at_launch(page):
    page.goto(page.base + f"/compare/?models={world.O1},{world.R1}&basis=first-party&as_of=2025-02-01")
    assert page.locator('[data-ratio="input"]').first.inner_text() == "27.3x"
    assert page.locator('[data-ratio="output"]').first.inner_text() == "27.4x"
    wait_for_charts(page, 1)
    shot(page, "compare")
    assert page.errors == []


def test_compare_draws_a_matrix_for_three_models(page):
    page.goto(page.base + f"/compare/?models={world.O1},{world.R1},{world.LLAMA}&basis=cheapest")
    wait_for_charts(page, 2)
    assert page.evaluate("document.querySelector('[data-figure=fig-matrix]').data[0].type") == "heatmap"
    shot(page, "compare-matrix")


def test_compare_reports_bad_parameters_as_a_page(page):
    response = page.goto(page.base + "/compare/?models=openai/o1&basis=priciest")
    assert response.status == 400
    assert "at least two models" in page.locator(".error-message").inner_text()


def test_provider_changes_and_search_pages_render(page):
    for path, name in [("/providers/deepinfra/", "provider"), ("/changes/", "changes"), ("/search/?q=deep", "search")]:
        response = page.goto(page.base + path)
        assert response.status == 200, path
        shot(page, name)
    assert page.errors == []


def test_hostile_names_are_shown_as_text_and_run_nothing(page):
    for path in ["/models/evil/xss-model/", "/providers/evil-host/", "/search/?q=evil", "/changes/", "/"]:
        page.goto(page.base + path)
        if path.startswith("/models/"):
            wait_for_charts(page, 1)
            # Hover text and legends of the chart carry the escaped name, not markup.
            legend = page.locator("[data-figure=fig-history] .legendtext").first.text_content()
            assert legend.startswith("</script><script>alert(2)"), legend
        assert page.get_by_text(world.XSS_MODEL).first.is_visible(), path
    page.goto(page.base + "/providers/evil-host/")
    assert page.get_by_text(world.XSS_PROVIDER).first.is_visible()
    shot(page, "hostile-names")
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    assert page.dialogs == []
