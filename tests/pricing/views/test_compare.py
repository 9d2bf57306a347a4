from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.pricing.views import world

pytestmark = pytest.mark.django_db
LAUNCH = f"/compare/?models={world.O1},{world.R1}&basis=first-party&as_of=2025-02-01"


@pytest.fixture
def built():
    return world.build()


def test_o1_against_r1_at_launch_is_27_times_dearer_on_both_sides(client, built):
    response = client.get(LAUNCH)
    assert response.status_code == 200
    o1 = response.context["rows"][0]
    assert (str(o1.input), str(o1.output)) == ("27.27", "27.40")
    body = response.content.decode()
    assert 'data-ratio="input">27.3x' in body and 'data-ratio="output">27.4x' in body
    assert "$15.00" in body and "$2.19" in body and "USD per million tokens" in body


def test_a_basis_per_model_and_the_users_mix(client, built):
    response = client.get(f"/compare/?models={world.O1},{world.R1}&basis=first-party,cheapest&mix=1:3")
    o1, r1 = response.context["rows"]
    assert r1.ref.provider_slug == "deepinfra"
    assert str(o1.input) == "33.33"  # 15 / 0.45
    assert 'data-ratio="workload"' in response.content.decode()


def test_the_ratio_history_steps_at_each_price_change(client, built):
    response = client.get(f"/compare/?models={world.O1},{world.R1}")
    traces = {t["name"]: t for t in response.context["figures"]["ratio"]["data"]}
    blended = traces["OpenAI: o1 / DeepSeek: R1 (blended)"]
    assert blended["line"]["shape"] == "hv"
    assert blended["y"][0] == pytest.approx(27.34)  # 26.25 / 0.96
    assert blended["x"][0].startswith("2025-01-20")


def test_three_models_get_a_matrix(client, built):
    response = client.get(f"/compare/?models={world.O1},{world.R1},{world.LLAMA}&basis=cheapest")
    heat = response.context["figures"]["matrix"]["data"][0]
    assert heat["type"] == "heatmap" and len(heat["z"]) == 3 and heat["z"][1][1] == 1.0


def test_the_form_works_without_javascript(client, built):
    response = client.get(f"/compare/?m={world.O1}&m={world.R1}&m=&m=&basis=first-party&mix=&as_of=2025-02-01")
    assert str(response.context["rows"][0].input) == "27.27"
    assert client.get("/compare/").status_code == 200


@pytest.mark.parametrize("query,status", [
    ("models=openai/o1", 400),
    ("models=openai/o1,deepseek/deepseek-r1&basis=priciest", 400),
    ("models=openai/o1,deepseek/deepseek-r1&basis=cheapest,median,median", 400),
    ("models=openai/o1,deepseek/deepseek-r1&mix=3", 400),
    ("models=openai/o1,deepseek/deepseek-r1&as_of=yesterday", 400),
    ("models=openai/o1,nobody/nothing", 404),
])
def test_bad_parameters_are_400_and_unknown_models_404(client, built, query, status):
    response = client.get(f"/compare/?{query}")
    assert response.status_code == status
    # Shown at the field on the compare page itself, the form still there to correct it.
    assert response.context["errors"]
    body = response.content.decode()
    assert 'class="field-error"' in body and 'class="compare-form"' in body


def test_its_query_count_is_fixed_and_more_offers_add_none(client, built, django_assert_num_queries,
                                                           django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as before:
        client.get(f"/compare/?models={world.O1},{world.R1}&basis=cheapest")
    assert len(before.captured_queries) <= 7  # 6 for prices and figures, 1 for the models' benchmark scores
    with django_capture_on_commit_callbacks(execute=True):
        world.add_hosts(20)  # bumps the cache generation on commit: the figures are rebuilt
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(f"/compare/?models={world.O1},{world.R1}&basis=cheapest")


def test_the_figures_are_cached_until_the_next_ingestion(client, built, django_assert_num_queries):
    url = f"/compare/?models={world.O1},{world.R1}&basis=cheapest"
    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    with django_assert_num_queries(len(cold.captured_queries) - 3):  # no history read
        client.get(url)


def test_compare_with_from_a_model_page_opens_the_form_with_that_model_chosen(client, built):
    response = client.get(f"/compare/?m={world.R1}")
    assert response.status_code == 200 and "rows" not in response.context
    assert response.context["slots"][0] == (world.R1, "auto")
    assert f'<option value="{world.R1}" selected>' in response.content.decode()
