from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.market import LLAMA, R1, R1_CUT, q, sweep

pytestmark = pytest.mark.django_db
PATH = "/api/v1/changes"


def test_it_lists_changes_newest_first(client, built, valid):
    body = valid(client.get(PATH), PATH)
    assert [(e["kind"], e["model"], e["provider"]) for e in body["items"]][:1] == [("price", R1, "together")]
    price = body["items"][0]
    assert price["at"] == "2025-03-01T00:00:00Z"
    assert (price["old"]["input"], price["new"]["input"], price["new"]["price_kind"]) == ("7", "3", "fixed")
    assert len(body["items"]) == 5 and body["next_cursor"] is None


@pytest.mark.parametrize(("params", "n"), [
    ({"model": LLAMA}, 2), ({"provider": "together"}, 2), ({"kind": "price"}, 1), ({"kind": "new_offer"}, 4),
    ({"since": "2025-01-21"}, 3), ({"until": "2025-01-21"}, 2), ({"model": LLAMA, "provider": "evil"}, 1),
])
def test_it_filters_changes(client, built, valid, params, n):
    assert len(valid(client.get(PATH, params), PATH)["items"]) == n


def test_the_cursor_pages_without_gaps_or_repeats_while_events_arrive(client, built, valid,
                                                                        django_capture_on_commit_callbacks):
    from pricing.models import Source

    first = valid(client.get(PATH, {"limit": 3}), PATH)
    assert len(first["items"]) == 3 and first["next_cursor"]
    # A new change lands between page requests.
    with django_capture_on_commit_callbacks(execute=True):
        sweep(Source.objects.get(slug="hostapi"), R1_CUT + timedelta(days=1), [q("together", R1, "2.5", "7")])
    seen = [e["id"] for e in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = valid(client.get(PATH, {"limit": 3, "cursor": cursor}), PATH)
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize("cursor", ["garbage!", "bm9wZQ", "MjAyNS0wMS0wMXwx"])
def test_a_forged_cursor_is_a_400(client, built, valid, cursor):
    assert valid(client.get(PATH, {"cursor": cursor}), PATH, 400)["error"]["code"] == "bad_parameter"


def test_an_unknown_kind_is_a_400(client, built, valid):
    valid(client.get(PATH, {"kind": "gossip"}), PATH, 400)


def test_changes_run_a_fixed_number_of_queries(client, built, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(PATH)


def test_each_change_says_in_words_what_moved_with_exact_values_beside(client, built, valid):
    items = valid(client.get(PATH), PATH)["items"]
    price = items[0]
    assert price["text"] == "input $7.00 → $3.00 per M tokens"  # output stayed at 7: not named
    assert (price["old"]["input"], price["new"]["input"]) == ("7", "3")
    new_offer = next(e for e in items if e["kind"] == "new_offer" and e["provider"] == "deepinfra")
    assert new_offer["text"] == "input $0.23, output $0.40 per M tokens"
