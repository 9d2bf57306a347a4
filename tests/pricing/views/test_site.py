from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_robots_txt_is_a_real_one(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert body.startswith("User-agent: *\n")
    for path in ("/api/v1/", "/alerts/", "/admin/", "/compare/?"):
        assert f"Disallow: {path}\n" in body


def test_the_favicon_is_served_where_browsers_look_and_linked_from_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)
    assert client.head("/favicon.ico").status_code == 200
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get("/").content.decode()
