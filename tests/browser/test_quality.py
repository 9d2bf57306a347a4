"""Quality beside price in headless Chromium: the compare page's headline, the price-against-quality
chart drawn with its frontier on a log price axis, and a benchmark's own page."""

from __future__ import annotations

from tests.browser.test_pages import browser, data, page, shot  # noqa: F401 (fixtures)

O1, R1 = "openai/o1", "deepseek/deepseek-r1"


def wait_for_quality_chart(page) -> None:  # noqa: F811
    page.wait_for_function(
        "() => { const el = document.querySelector('[data-figure=fig-quality]');"
        " return el && el.data && el.data.length > 0 && el.querySelectorAll('.scatterlayer .trace').length > 0; }",
        timeout=20000,
    )


def test_compare_o1_and_r1_shows_the_counts_and_draws_price_against_quality(page):  # noqa: F811
    page.goto(page.base + f"/compare/?models={O1},{R1}&basis=first-party&as_of=2025-02-01&benchmark=aime-2024-pass1")
    assert page.locator(".quality-headline").first.inner_text() == (
        "Of the 11 benchmarks both were run on, DeepSeek R1 scores higher on 5 and OpenAI o1 on 6, at 1/27 the price.")
    wait_for_quality_chart(page)
    chart = page.locator("[data-figure=fig-quality]")
    assert page.evaluate("document.querySelector('[data-figure=fig-quality]').layout.xaxis.type") == "log"
    names = page.evaluate("Array.from(document.querySelector('[data-figure=fig-quality]').data, t => t.name)")
    assert "better and cheaper frontier" in names
    # Both models are drawn as points (one self-reported, one third-party), labelled by name.
    assert chart.locator(".scatterlayer .point").count() >= 2
    assert "DeepSeek R1" in chart.inner_text() and "OpenAI o1" in chart.inner_text()
    chart.scroll_into_view_if_needed()
    shot(page, "compare-quality")
    assert page.errors == []


def test_a_benchmark_page_draws_every_model_and_changes_basis_without_errors(page):  # noqa: F811
    page.goto(page.base + "/benchmarks/mmlu-pass1/?basis=cheapest")
    wait_for_quality_chart(page)
    assert page.locator("table.per-dollar tbody tr").count() == 6
    points = page.evaluate("document.querySelectorAll('[data-figure=fig-quality] .scatterlayer .point').length")
    assert points == 6
    shot(page, "benchmark")
    assert page.errors == []
