"""The read side in Chromium, on the bundled snapshot: index pages, filters and the workload cost
in the URL, offers no longer listed, stale sources said so."""

from __future__ import annotations

import pytest

from tests.browser.test_pages import shot
from tests.pricing.views import world

pytestmark = pytest.mark.browser
LLAMA = "meta-llama/llama-3.3-70b-instruct"


def test_the_index_pages_are_in_the_nav_and_sort_by_a_click(page):
    page.goto(page.base + "/")
    page.locator("header nav a", has_text="Models").click()
    assert page.url.endswith("/models/")
    assert page.locator("table.models-index tbody tr").count() >= 10
    page.locator("table.models-index th a", has_text="Cheapest host").click()
    assert "sort=-cheapest" in page.url or "sort=cheapest" in page.url
    shot(page, "models-index")
    page.locator("header nav a", has_text="Providers").click()
    rows = page.locator("table.providers-index tbody tr")
    assert rows.count() >= 10
    assert page.locator("table.providers-index .tag.aggregator").count() >= 1  # OpenRouter, labelled
    shot(page, "providers-index")
    assert page.errors == []


def test_the_model_page_filters_live_in_the_url(page):
    page.goto(page.base + f"/models/{LLAMA}/")
    every = page.locator("table.offers tbody tr").count()
    page.locator("select[name=min_precision]").select_option("bf16")
    page.locator("#offer-filters button[type=submit]").click()
    assert "min_precision=bf16" in page.url
    quants = page.locator("table.offers tbody tr td.quant").all_inner_texts()  # the model table leads with price
    assert quants and set(quants) <= {"bf16", "fp16", "fp32"} and len(quants) < every
    # The same filtered view from a shared link.
    page.goto(page.url)
    assert page.locator("table.offers tbody tr").count() == len(quants)
    assert page.errors == []


def test_a_workload_gives_a_monthly_cost_column_sorted_by_it(page):
    page.goto(page.base + f"/models/{LLAMA}/")
    page.fill("input[name=input_tokens]", "50M")
    page.fill("input[name=output_tokens]", "10M")
    page.locator("#offer-filters button[type=submit]").click()
    assert "input_tokens=50M" in page.url
    costs = page.locator("table.offers tbody td.cost").all_inner_texts()
    assert costs and all(c.startswith("$") for c in costs)
    values = [float(c.strip("$").replace(",", "")) for c in costs]
    assert values == sorted(values)
    shot(page, "model-workload")


def test_offers_no_longer_listed_show_only_when_asked_marked_with_their_date(page):
    page.goto(page.base + f"/models/{LLAMA}/")
    assert page.locator("table.offers tr.not-current").count() == 0
    page.get_by_text("also show offers no longer listed").click()
    assert "current_only=0" in page.url
    ended = page.locator("table.offers tr.not-current")
    assert ended.count() >= 1 and "not listed since" in ended.first.inner_text()
    # The bundled data is old: the page says its prices come from stale sources.
    assert page.locator(".notice").first.is_visible()
    shot(page, "model-ended")


def test_a_bad_filter_value_is_a_400_with_a_message(page):
    response = page.goto(page.base + f"/models/{world.R1}/?max_ttft_ms=fast")
    assert response.status == 400
    assert "max_ttft_ms" in page.content()


@pytest.mark.parametrize("path", ["/models/", "/providers/", f"/models/{LLAMA}/?input_tokens=5M&output_tokens=1M",
                                  "/providers/openrouter/"])
def test_the_read_side_pages_do_not_overflow_a_phone(page, path):
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(page.base + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400, path
