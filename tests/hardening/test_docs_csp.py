"""The API docs page is served with the site's Content-Security-Policy (issue 11, item 8), and its
bundled Swagger UI still works under it: headless Chromium renders every operation and records no
policy violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_the_docs_page_renders_under_its_own_csp_with_no_violation(live_server, transactional_db):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        response = page.goto(f"{live_server.url}/api/v1/docs")
        csp = response.headers.get("content-security-policy", "")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        page.locator(".opblock-summary").first.click()  # expanding an operation runs more of the UI
        page.wait_for_timeout(500)
        violations = page.evaluate("window.__violations")
        n_ops = page.locator(".opblock-summary-path").count()
        browser.close()
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert n_ops >= 10
    assert violations == []
    assert [e for e in errors if "Content Security Policy" in e] == []
