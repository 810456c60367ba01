"""Browser fixtures: a live server for the app and headless Chromium through Playwright."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from reader.extensions import db
from tests.factories import PASSWORD, make_user

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def find_chromium() -> str | None:
    """Return the path of Debian's Chromium, or None if it is not installed."""
    for candidate in (os.environ.get("READER_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Chromium's path; skip (or fail in CI, where READER_REQUIRE_BROWSER=1) without it."""
    path = find_chromium()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("READER_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(seeded: Flask) -> Iterator[str]:
    """Serve the seeded app on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, seeded, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    """A fresh browser page (own context, so own cookies) with a 1280x900 viewport."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server)  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def sign_in(seeded: Flask) -> Any:
    """Create an account with the factory and sign a page in through the login form's POST.

    Quicker than the register page (which the first test drives): no form rendering."""

    def _sign_in(page: Any, name: str, role: str = "member") -> None:
        with seeded.app_context():
            make_user(db.session, name, role=role)
            db.session.commit()
        form = page.request.get("/login").text()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
        data = {"username": name, "password": PASSWORD}
        if seeded.config["WTF_CSRF_ENABLED"]:
            assert token, "the login form has no CSRF token"
            data["csrf_token"] = token.group(1)
        response = page.request.post("/login", form=data, max_redirects=0)
        assert response.status == 302, response.text()

    return _sign_in
