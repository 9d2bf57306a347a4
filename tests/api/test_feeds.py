from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.api.market import EVIL, LLAMA, R1

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response) -> list[ET.Element]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def test_the_changes_feed_is_atom_with_newest_first(client, built):
    items = entries(client.get("/feeds/changes.atom"))
    assert len(items) == 5  # price changes and new offers; no attribute events
    title = items[0].find(f"{ATOM}title").text
    # Only what changed, in the pages' format.
    assert title == "DeepSeek: R1 at Together AI: input $7.00 → $3.00 per M tokens"
    assert items[0].find(f"{ATOM}id").text.startswith("urn:uuid:")


def test_a_model_feed_has_only_that_model(client, built):
    items = entries(client.get(f"/feeds/models/{R1}.atom"))
    assert len(items) == 3 and all("DeepSeek: R1" in e.find(f"{ATOM}title").text for e in items)


def test_a_provider_feed_escapes_provider_text(client, built):
    response = client.get("/feeds/providers/evil.atom")
    items = entries(response)
    assert len(items) == 1
    assert b"<script>" not in response.content and b"&lt;script&gt;" in response.content
    assert EVIL in items[0].find(f"{ATOM}title").text
    assert LLAMA in items[0].find(f"{ATOM}summary").text


@pytest.mark.parametrize("url", ["/feeds/models/nobody/nothing.atom", "/feeds/providers/nobody.atom"])
def test_an_unknown_feed_is_a_404(client, built, url):
    assert client.get(url).status_code == 404


def test_a_nul_in_a_feed_path_is_a_404_not_a_database_error(client, built):
    assert client.get("/feeds/providers/ev%00il.atom").status_code == 404
    assert client.get("/feeds/models/a%00/b.atom").status_code == 404


def test_feed_prices_read_as_pages_print_them(client, built):
    titles = [e.find(f"{ATOM}title").text for e in entries(client.get("/feeds/changes.atom"))]
    assert "Meta: Llama 3.3 70B Instruct at DeepInfra: new offer at $0.23 in / $0.40 out per M tokens" in titles
    assert not any("$0.4 " in t or "$7 " in t for t in titles)
