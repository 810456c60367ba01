"""Benchmark: the reading view of the seed article with 1,000 annotations.

Measures (medians) the server's render time of /documents/<seed> with no annotations and with
N annotations (replies and sources included) from 20 users, and, in headless Chromium, the time
from navigation start until the annotator has drawn every highlight.

Run:  .venv/bin/python -m bench.reading_view [--annotations 1000] [--renders 15] [--loads 5]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from annotations.accounts import User
from bench.seeding import make_users, seed_annotations
from reader import create_app
from reader.cli import import_shipped
from reader.extensions import db
from reader.migrate import upgrade_database

SEED_ID = "russian-relations-with-north-korea"
PASSWORD = "benchmark-password"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def build_app(folder: Path) -> Flask:
    """A migrated app with the shipped corpus, on a SQLite file in folder."""
    os.environ["READER_INSTANCE_PATH"] = str(folder)
    app = create_app(
        {
            "SECRET_KEY": "benchmark",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "WTF_CSRF_ENABLED": False,
            "ENV_NAME": "development",
        }
    )
    with app.app_context():
        upgrade_database(db.engine)
        import_shipped()
    return app


def render_times(client: FlaskClient, renders: int) -> list[float]:
    """Milliseconds for each of `renders` GETs of the reading view (after one warm-up)."""
    client.get(f"/documents/{SEED_ID}")
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        response = client.get(f"/documents/{SEED_ID}")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def browser_times(app: Flask, loads: int, chromium: str) -> tuple[list[float], int]:
    """Milliseconds from navigation start until every highlight is drawn, per page load."""
    from playwright.sync_api import sync_playwright

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    times, marks = [], 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(base + "/login")
            page.fill("#username", "user000")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            for _ in range(loads + 1):
                page.goto(f"{base}/documents/{SEED_ID}", wait_until="commit")
                page.wait_for_selector("html[data-highlights=drawn]", state="attached")
                drawn = page.evaluate("Number(document.documentElement.dataset.highlightsAt)")
                times.append(drawn)
                marks = page.evaluate("document.querySelectorAll('mark.hl').length")
            browser.close()
    finally:
        server.shutdown()
    return times[1:], marks


def main() -> None:
    """Run the benchmark and print its figures."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        with app.app_context():
            user_ids = [u.id for u in make_users(db.session, args.users, PASSWORD)]
            db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": "user000", "password": PASSWORD})
        empty = render_times(client, args.renders)
        empty_browser = [] if args.no_browser else browser_times(app, args.loads, args.chromium)[0]
        started = time.perf_counter()
        with app.app_context():
            users = [db.session.get(User, i) for i in user_ids]
            seeded = seed_annotations(db.session, SEED_ID, users, args.annotations)
            db.session.commit()
        seeding = time.perf_counter() - started
        full = render_times(client, args.renders)
        n = len(seeded.annotations)
        print(f"seeded {n} annotations from {args.users} users in {seeding:.1f} s")
        base, loaded = statistics.median(empty), statistics.median(full)
        print(f"server render, no annotations: median {base:.1f} ms")
        print(f"server render, {n} annotations: median {loaded:.1f} ms ({loaded / base:.1f}x)")
        if not args.no_browser:
            drawn, marks = browser_times(app, args.loads, args.chromium)
            print(f"browser, no annotations: median {statistics.median(empty_browser):.1f} ms")
            print(
                f"browser, highlights drawn, {args.annotations} annotations: median "
                f"{statistics.median(drawn):7.1f} ms ({marks} highlight segments)"
            )


if __name__ == "__main__":
    main()
