"""Load under gunicorn: the reading view, search and annotation creation, driven by `wrk`.

Builds a throw-away instance (the shipped corpus, N generated annotations on 50 generated
documents; bench/search_data.py), serves it with gunicorn (4 workers, production settings) and,
in the same run, a bare Flask "hello" app (bench/hello_app.py) with the same workers: the
ceiling. `wrk` (Debian's package) drives each endpoint from its own process and reports
requests a second and p50/p95/p99 latency; every figure is also given as a share of the ceiling.

    .venv/bin/python -m bench.load                                   # 20,000 annotations, 15 s each
    .venv/bin/python -m bench.load --annotations 2000 --seconds 10   # a quick look
    .venv/bin/python -m bench.load --reuse /tmp/b100k                # bench.search's kept data

Not a test: it measures and reports. Figures depend on what else the machine is doing (the
load average is printed at the start and the end).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from annotations.accounts import AccountService
from annotations.indexing import IndexSync
from annotations.models import Annotation
from bench.search_data import Plan, generate
from corpus.search import IndexUnavailable, SearchIndex
from reader import create_app
from reader.cli import import_shipped
from reader.extensions import db
from reader.migrate import upgrade_database

ROOT = Path(__file__).resolve().parent.parent
QUOTE = "Russia is well past that powerful situation"
SEED_ID = "russian-relations-with-north-korea"

# wrk prints one JSON line at the end: requests, duration, latency percentiles, errors.
REPORT_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50": %d, "p95": %d, "p99": %d, "max": %d, '
    .. '"non2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""
QUERIES_LUA = """
local queries = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/search?q=" .. queries[(n %% #queries) + 1])
end
"""
CREATE_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
local n = 0
request = function()
  n = n + 1
  local body = string.format(%s, n)
  return wrk.format(nil, nil, nil, body)
end
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_average() -> float:
    """The one-minute load average."""
    return os.getloadavg()[0]


def _app(folder: Path) -> Flask:
    """The app on the instance in folder (its database and index)."""
    return create_app(
        {
            "SECRET_KEY": "benchmark",
            "ENV_NAME": "development",
            "DATABASE_URL": f"sqlite:///{folder / 'reader.sqlite3'}",
            "SEARCH_INDEX_DIR": str(folder / "index"),
        }
    )


def _busiest() -> Any:
    """(document id, count) of the document with the most public annotations."""
    return db.session.execute(
        select(Annotation.document_id, func.count())
        .where(Annotation.visibility == "public")
        .group_by(Annotation.document_id)
        .order_by(func.count().desc())
        .limit(1)
    ).one()


def build(folder: Path, annotations: int) -> dict[str, Any]:
    """Generate the instance; return what the endpoints need (token, document, queries)."""
    app = _app(folder)
    plan = Plan(annotations=annotations, documents=50, users=50, groups=10, sources=500)
    with app.app_context():
        upgrade_database(db.engine)
        import_shipped()
        made = generate(db.session, plan)
        token = AccountService(db.session).create_token(made.usernames[0])
        busiest = _busiest()
        db.session.commit()
        index = SearchIndex(folder / "index")
        IndexSync(db.session, index).rebuild()
        index.close()
        db.engine.dispose()
    queries = [p for p in made.phrases if p.isascii()][:40] + made.tags[:10]
    return {"token": token, "document": busiest[0], "public": busiest[1], "queries": queries}


def build_from(kept: Path, folder: Path) -> dict[str, Any]:
    """Copy the data `bench.search --keep DIR` generated (100,000 annotations by default)."""
    shutil.copy(kept / "base.sqlite3", folder / "reader.sqlite3")
    if (kept / "index-built").is_dir():  # the index of its last rebuild (rebuilt if outdated)
        shutil.copytree(kept / "index-built", folder / "index")
    manifest = json.loads((kept / "manifest.json").read_text())
    app = _app(folder)
    with app.app_context():
        upgrade_database(db.engine)
        token = AccountService(db.session).create_token(manifest["usernames"][0])
        busiest = _busiest()
        total = db.session.scalar(select(func.count()).select_from(Annotation))
        db.session.commit()
        index = SearchIndex(folder / "index")
        if not index.exists() or not _readable(index):
            IndexSync(db.session, index).rebuild()
        else:  # the kept index was built from a copy of this database: apply what it queued
            IndexSync(db.session, index).run_pending()
        index.close()
        db.engine.dispose()
    queries = [p for p in manifest["phrases"] if p.isascii()][:40] + manifest["tags"][:10]
    return {
        "token": token,
        "document": busiest[0],
        "public": busiest[1],
        "queries": queries,
        "annotations": total,
    }


def _readable(index: SearchIndex) -> bool:
    try:
        index.open()
    except IndexUnavailable:
        return False
    return True


class Gunicorn:
    """A gunicorn master serving one WSGI app on a loopback port."""

    def __init__(self, app: str, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
        command += ["--bind", f"127.0.0.1:{self.port}", app]
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str) -> None:
        """Wait until the server answers path."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + path, timeout=30) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{self.url} did not start")

    def stop(self) -> None:
        """Stop the master and its workers."""
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)


def run_wrk(url: str, lua: str, seconds: int, connections: int, folder: Path) -> dict[str, Any]:
    """Drive url with wrk for seconds; return its JSON summary."""
    script = folder / f"wrk-{secrets.token_hex(4)}.lua"
    script.write_text(lua + REPORT_LUA)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    command += ["-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def create_lua(token: str) -> str:
    """A wrk script POSTing a new public annotation (a numbered body) per request."""
    data = {
        "type": "Annotation",
        "motivation": "commenting",
        "visibility": "public",
        "body": [{"type": "TextualBody", "value": "Load note %d.", "purpose": "commenting"}],
        "target": {
            "source": f"http://127.0.0.1/documents/{SEED_ID}",
            "selector": [{"type": "TextQuoteSelector", "exact": QUOTE}],
        },
    }
    return CREATE_LUA % (token, json.dumps(json.dumps(data)))


def report(rows: list[tuple[str, dict[str, Any]]], ceiling: float) -> None:
    """Print one line per endpoint."""
    print(
        f"{'endpoint':<34}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'non-2xx':>9}{'of hello':>10}"
    )
    for name, r in rows:
        print(
            f"{name:<34}{r['rps']:>8.1f}{r['p50'] / 1000:>9.1f}{r['p95'] / 1000:>9.1f}"
            f"{r['p99'] / 1000:>9.1f}{r['non2xx'] + r['socket_errors']:>9}"
            f"{r['rps'] / ceiling:>9.1%}"
        )


def main() -> None:
    """Build, serve, drive each endpoint in turn, report."""
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="reader-load-"))
    print(f"load average at start: {load_average():.2f}; data in {folder}")
    started = time.perf_counter()
    if args.reuse:
        made = build_from(Path(args.reuse), folder)
        args.annotations = made["annotations"]
    else:
        made = build(folder, args.annotations)
    print(
        f"built {args.annotations} annotations on 50 documents in "
        f"{time.perf_counter() - started:.0f} s; reading view: {made['document']} "
        f"({made['public']} public annotations)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("READER_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "READER_SECRET_KEY": secrets.token_urlsafe(32),
        "READER_DATABASE_URL": f"sqlite:///{folder / 'reader.sqlite3'}",
        "READER_SEARCH_INDEX_DIR": str(folder / "index"),
        "READER_INSTANCE_PATH": str(folder / "instance"),
    }
    log = folder / "gunicorn.log"
    hello = Gunicorn("bench.hello_app:app", env, args.workers, log)
    reader = Gunicorn("reader:create_app()", env, args.workers, log)
    try:
        hello.wait("/")
        reader.wait("/api/documents")
        quoted = ", ".join(json.dumps(q.replace(" ", "+")) for q in made["queries"])
        plans = [
            ("hello (bare Flask)", hello.url + "/", ""),
            (
                f"reading view ({made['public']} notes)",
                f"{reader.url}/documents/{made['document']}",
                "",
            ),
            ("search (API, 50 queries)", reader.url + "/", QUERIES_LUA % quoted),
            (
                "create annotation (API)",
                reader.url + "/api/annotations/",
                create_lua(made["token"]),
            ),
        ]
        rows = []
        for name, url, lua in plans:
            # Warm every worker: its searcher and per-segment tables (searches for words that
            # are not in the measured mix), its database connection.
            for n in range(4 * args.workers):
                warm = url if not lua else f"{reader.url}/api/search?q=warmup{n}"
                urllib.request.urlopen(warm).read()
            rows.append((name, run_wrk(url, lua, args.seconds, args.connections, folder)))
    finally:
        reader.stop()
        hello.stop()
    print(
        f"\ngunicorn --workers {args.workers}; wrk -t2 -c{args.connections} -d{args.seconds}s "
        f"per endpoint; load average at end: {load_average():.2f}\n"
    )
    report(rows, rows[0][1]["rps"])
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotations", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the generated instance")
    parser.add_argument(
        "--reuse", help="serve a copy of the data `bench.search --keep DIR` left in DIR"
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
