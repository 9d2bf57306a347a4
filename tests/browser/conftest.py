"""The browser fixtures (Chromium, the snapshot data, a page on the live server) for every file here."""

from tests.browser.test_pages import browser, data, page  # noqa: F401
