"""Quality on the pages: the compare page's counts and chart, a model's card, a benchmark's page.
Built from the bundled snapshot, so the numbers are the R1 table's."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pricing.collection.snapshot import load
from pricing.models import Model, Source
from pricing.quality.models import Benchmark, Score
from tests.quality.helpers import O1, O1_MINI, R1, SIX

pytestmark = pytest.mark.django_db
XSS = '<img src=x onerror=alert(1)>"Lab'


@pytest.fixture
def snap():
    load()


def headlines(response) -> list[str]:
    return [unescape(t) for t in re.findall(r'class="quality-headline"[^>]*>([^<]*)<', response.content.decode())]


def figure(response) -> dict:
    found = re.search(r'<script id="fig-quality" type="application/json">(.*?)</script>', response.content.decode(),
                      re.S)
    return json.loads(found.group(1))


def test_o1_against_r1_says_11_shared_r1_higher_on_5_o1_on_6_beside_the_price_ratio(client, snap):
    response = client.get(f"/compare/?models={O1},{R1}&basis=first-party&as_of=2025-02-01")
    assert response.status_code == 200
    assert headlines(response) == ["Of the 11 benchmarks both were run on, DeepSeek R1 scores higher on 5 and "
                                   "OpenAI o1 on 6, at 1/27 the price."]
    body = response.content.decode()
    assert 'data-shared="11" data-a-higher="6" data-b-higher="5" data-ties="0"' in body
    assert body.count('<tr data-benchmark="') == 21  # every benchmark either was run on, "—" where not


def test_o1_mini_against_r1_21_shared_r1_higher_on_20(client, snap):
    response = client.get(f"/compare/?models={O1_MINI},{R1}")
    assert 'data-shared="21" data-a-higher="1" data-b-higher="20"' in response.content.decode()
    assert headlines(response)[0].startswith("Of the 21 benchmarks both were run on, DeepSeek R1 scores higher on 20 "
                                             "and OpenAI o1-mini on 1, at 1/2 the price")


def test_all_six_show_who_is_best_per_benchmark_and_how_often(client, snap):
    response = client.get("/compare/?models=" + ",".join(SIX))
    body = response.content.decode()
    rows = dict(re.findall(r'<tr data-on="([^"]*)">(.*?)</tr>', body, re.S))
    best = lambda row: [int(n) for n in re.findall(r'data-best="(\d+)"', row)]  # noqa: E731
    assert best(rows["all"]) == [2, 0, 1, 0, 6, 12]  # Claude, GPT-4o, V3, o1-mini, o1, R1 over 21
    assert "all 21 benchmarks" in rows["all"]
    assert best(rows["OpenAI o1"]) == [1, 0, 0, 0, 6, 4] and "the 11 benchmarks OpenAI o1 was run on" in rows["OpenAI o1"]
    swe = re.search(r'<tr data-benchmark="swe-verified-resolved">(.*?)</tr>', body, re.S).group(1)
    assert swe.count('class="num best"') == 1 and swe.rstrip().endswith("<td>Claude 3.5 Sonnet</td>")


def test_the_compare_chart_puts_score_against_log_price_with_citations_and_a_frontier(client, snap):
    response = client.get(f"/compare/?models={O1},{R1}&basis=first-party&benchmark=aime-2024-pass1&qsort=per_dollar")
    fig = figure(response)
    assert fig["layout"]["xaxis"]["type"] == "log"
    by_name = {t["name"]: t for t in fig["data"]}
    assert set(by_name) == {"self-reported score", "third-party score", "better and cheaper frontier"}
    assert "github.com/deepseek-ai/DeepSeek-R1" in by_name["third-party score"]["hovertext"][0]
    assert by_name["self-reported score"]["y"] == [79.8] and by_name["third-party score"]["y"] == [79.2]
    # R1 is cheaper and scores higher on AIME: it alone is the frontier.
    assert by_name["better and cheaper frontier"]["y"] == [79.8]
    rows = re.findall(r'<tr data-model="([^"]+)">', response.content.decode())
    assert rows == [R1, O1]  # most points per dollar first


def test_an_unknown_benchmark_falls_back_and_says_so(client, snap):
    response = client.get(f"/compare/?models={O1},{R1}&benchmark=nope")
    assert response.status_code == 200
    assert "None of these models has a score on &#x27;nope&#x27;." in response.content.decode()


def test_the_model_page_has_a_quality_card_with_evaluator_and_citation(client, snap):
    body = client.get(f"/models/{R1}/").content.decode()
    card = body[body.index('<section class="quality-card"'):body.index("</section>")]
    assert card.count("<tr>") == 1 + 21
    assert "21 scores: 21 self-reported" in card and "DeepSeek" in card
    places = re.findall(r'<td class="num" title="among the \d+ tracked models with a score on it">(\d+) of (\d+)</td>', card)
    assert len(places) == 21 and sum(1 for place, _ in places if place == "1") == 12  # best on 12 of 21
    assert 'href="https://github.com/deepseek-ai/DeepSeek-R1/blob/0cf78561f1d51c84a21b2190626b21116d5c68bb/README.md"' in card
    o1 = client.get(f"/models/{O1}/").content.decode()
    assert "11 scores: 0 self-reported (run by the model's maker), 11 third-party" in o1


def test_a_benchmark_page_lists_scores_prices_and_points_per_dollar(client, snap):
    response = client.get("/benchmarks/mmlu-pass1/?basis=first-party&sort=per_dollar")
    assert response.status_code == 200
    rows = re.findall(r'<tr data-model="([^"]+)">', response.content.decode())
    assert len(rows) == 6 and set(rows) == set(SIX)
    per_dollar = [p.per_dollar for p in response.context["points"]]
    assert per_dollar == sorted(per_dollar, reverse=True) and None not in per_dollar
    assert client.get("/benchmarks/mmlu-pass1/?sort=score").context["points"][0].score.model.slug == O1  # 91.8
    assert client.get("/benchmarks/").status_code == 200
    assert client.get("/benchmarks/nope/").status_code == 404
    assert client.get("/benchmarks/mmlu-pass1/?sort=cost").status_code == 400
    assert client.get("/benchmarks/mmlu-pass1/?basis=bogus").status_code == 400
    assert client.get("/benchmarks/mmlu-pass1/?as_of=2025-13-01").status_code == 400


def test_evaluator_names_and_settings_are_escaped_on_pages_and_in_charts(client, snap):
    bench = Benchmark.objects.get(slug="mmlu-pass1")
    score = Score.objects.get(benchmark=bench, model__slug=R1)
    Score.objects.filter(pk=score.pk).update(evaluator=XSS, settings=XSS)
    for url in (f"/compare/?models={O1},{R1}&benchmark=mmlu-pass1", f"/models/{R1}/", "/benchmarks/mmlu-pass1/"):
        body = client.get(url).content.decode()
        assert "<img src=x" not in body, url
    fig = json.dumps(figure(client.get("/benchmarks/mmlu-pass1/")))
    assert "<img" not in fig and "&lt;img" in fig


def test_the_compare_quality_section_costs_a_fixed_number_of_queries(client, snap):
    def count(slugs):
        with CaptureQueriesContext(connection) as ctx:
            client.get("/compare/?models=" + ",".join(slugs))
        return len(ctx.captured_queries)

    assert count(SIX) == count([O1, R1])


def test_a_model_with_no_scores_says_how_to_add_them(client, snap):
    Model.objects.create(slug="acme/plain", name="Plain", author="acme")
    assert "manage.py import_scores" in client.get("/models/acme/plain/").content.decode()
    Source.objects.get(slug="deepseek-r1-readme")  # the scores source is a Source like any other
    assert Score.objects.filter(first_seen=datetime(2025, 1, 20, tzinfo=UTC)).count() == 115


def test_scores_are_edited_in_the_admin_and_the_edit_shows_at_once(snap, client, monkeypatch, django_user_model):
    from django.test import Client

    from pricing.api import http
    from pricing.cache import generation

    admin_client = Client()
    admin_client.force_login(django_user_model.objects.create_superuser("boss", "boss@example.org", "x" * 16))

    monkeypatch.setattr(http, "GENERATION_MEMO_SECONDS", 0.0)  # production re-reads it every second
    http.forget_local()

    score = Score.objects.get(model__slug=R1, benchmark__slug="mmlu-pass1")
    assert admin_client.get("/admin/quality/score/").status_code == 200
    assert admin_client.get("/admin/quality/benchmark/").status_code == 200
    page = admin_client.get(f"/admin/quality/score/{score.pk}/change/")
    assert page.status_code == 200 and "DeepSeek" in page.content.decode()
    client.get(f"/api/v1/models/{R1}/scores")  # cached now
    before = generation()
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"benchmark": score.benchmark_id, "model": score.model_id, "source": score.source_id,
                 "value": "90.9", "self_reported": "on", "evaluated_on": "2025-01-20"})
    response = admin_client.post(f"/admin/quality/score/{score.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert generation() != before
    items = client.get(f"/api/v1/models/{R1}/scores").json()["items"]
    assert next(i for i in items if i["benchmark"] == "mmlu-pass1")["score"] == "90.9"


def test_as_of_a_day_before_the_r1_table_there_are_no_scores_to_compare(client, snap):
    response = client.get(f"/compare/?models={O1},{R1}&basis=first-party&as_of=2025-01-19")
    assert response.status_code == 200 and "quality-headline" not in response.content.decode()
    assert headlines(client.get(f"/compare/?models={O1},{R1}&as_of=2025-01-20"))[0].startswith("Of the 11 benchmarks")
    body = client.get(f"/api/v1/compare?models={O1},{R1}&as_of=2025-01-19T12:00:00Z").json()
    assert body["quality"]["benchmarks"] == [] and body["quality"]["pairs"][0]["shared"] == 0
