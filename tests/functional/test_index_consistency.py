"""The index follows the database: drift checks and repair, failed writes retried, rebuilds."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from annotations.indexing import IndexSync
from annotations.models import Annotation
from corpus.models import IndexJob
from corpus.search import IndexDoc, SearchIndex
from reader.extensions import db
from reader.indexer import search_index
from tests.functional.helpers import payload, signed_in


def _check(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["index", "check"])
    return result.exit_code, result.output


def _hits(client, q: str) -> int:
    return client.get("/api/search", query_string={"q": q}).get_json()["total"]


def test_no_drift_after_creates_edits_deletes_and_imports(seeded: Flask, tmp_path: Path) -> None:
    alice = signed_in(seeded, "alice")
    ids = []
    for n in range(3):
        made = alice.post("/api/annotations/", json=payload(body=f"note {n}")).get_json()
        ids.append(made["id"].rsplit("/", 1)[1])
    cited = payload(body="sourced", visibility="private")
    cited["body"] += [
        {"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in ("zeta", "Alpha")
    ]
    cited["body"] += [
        {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": {"id": f"https://example.org/{n}", "title": title, "author": ["A. Writer"]},
        }
        for n, title in enumerate(["Second source", "First source"])
    ]
    response = alice.post("/api/annotations/", json=cited)
    assert response.status_code == 201, response.get_json()
    edit = {"body": [{"type": "TextualBody", "value": "changed", "purpose": "commenting"}]}
    alice.put(f"/api/annotations/{ids[0]}", json=edit)
    alice.delete(f"/api/annotations/{ids[1]}")
    doc = tmp_path / "extra.md"
    doc.write_text("# Extra\n\nA paragraph about ocelots, long enough to be a paragraph.\n")
    assert seeded.test_cli_runner().invoke(args=["import", str(doc)]).exit_code == 0
    code, output = _check(seeded)
    assert code == 0, output
    assert "missing 0, stale 0, extra 0, queued jobs 0" in output
    assert _hits(seeded.test_client(), "ocelots") == 1


def test_the_longest_document_id_fits_its_index_job(app: Flask, tmp_path: Path) -> None:
    # "document:" plus a 100-character id: PostgreSQL refuses a key longer than its column.
    doc = tmp_path / "long.md"
    doc.write_text("# Long\n\nA paragraph about quokkas, long enough to be a paragraph.\n")
    result = app.test_cli_runner().invoke(args=["import", str(doc), "--id", "q" * 100])
    assert result.exit_code == 0, result.output
    assert _hits(app.test_client(), "quokkas") == 1


def test_check_reports_missing_stale_and_extra_and_repair_fixes_them(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    made = alice.post("/api/annotations/", json=payload(body="aardvark")).get_json()
    aid = made["id"].rsplit("/", 1)[1]
    with seeded.app_context():
        index = search_index()
        index.apply(
            [
                IndexDoc(
                    key="annotation:ffffffffffffffff",
                    type="annotation",
                    stamp="x",
                    audience=("public",),
                    content="ghost",
                )
            ],
            deletes=[f"annotation:{aid}"],
        )
        db.session.execute(update(Annotation).values(body_markdown="pangolin"))
        db.session.commit()
    code, output = _check(seeded)
    assert code == 1
    assert "missing 1, stale 0, extra 2" in output or "missing 1" in output
    assert f"missing: annotation:{aid}" in output
    assert "extra: annotation:ffffffffffffffff" in output
    repaired = seeded.test_cli_runner().invoke(args=["index", "check", "--repair"])
    assert "repaired" in repaired.output
    assert _check(seeded)[0] == 0
    assert _hits(seeded.test_client(), "pangolin") == 1
    assert _hits(seeded.test_client(), "ghost") == 0


def test_stale_documents_are_detected(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    alice.post("/api/annotations/", json=payload(body="capybara"))
    with seeded.app_context():
        db.session.execute(update(Annotation).values(body_markdown="tapir"))
        db.session.commit()
    code, output = _check(seeded)
    assert code == 1
    assert "stale 1" in output


def test_a_failed_index_write_is_recorded_and_retried(seeded: Flask) -> None:
    seeded.config["SEARCH_WRITE_TIMEOUT"] = 0.2
    alice = signed_in(seeded, "alice")
    with seeded.app_context():
        search_index().writer_timeout = 0.2
        blocker = SearchIndex(search_index().path).open().writer()  # holds the write lock
    try:
        response = alice.post("/api/annotations/", json=payload(body="okapi"))
        assert response.status_code == 201
        with seeded.app_context():
            jobs = db.session.scalars(select(IndexJob)).all()
            assert jobs
            assert all(job.attempts >= 1 for job in jobs)
            assert "busy" in (jobs[0].last_error or "")
        assert _hits(alice, "okapi") == 0  # the search's own catch-up also found the lock held
    finally:
        blocker.cancel()
    assert _hits(alice, "okapi") == 1  # retried before this search
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndexJob)) == 0


def test_missing_or_corrupt_index_is_rebuilt_on_start(
    seeded: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    alice = signed_in(seeded, "alice")
    alice.post("/api/annotations/", json=payload(body="axolotl"))
    index_dir = Path(seeded.config["SEARCH_INDEX_DIR"])
    for damage in ("delete", "corrupt"):
        seeded.extensions["reader.index"].close()
        seeded.extensions.pop("reader.index")
        seeded.extensions.pop("reader.index_ready")
        if damage == "delete":
            shutil.rmtree(index_dir)
        else:
            for toc in index_dir.glob("*.toc"):
                toc.write_bytes(b"not an index")
        with caplog.at_level(logging.WARNING, logger="reader.indexer"):
            assert _hits(seeded.test_client(), "axolotl") == 1
        assert "rebuilding" in caplog.text
        caplog.clear()


def test_rebuild_command_reports_progress_and_count(
    seeded: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.rmtree(seeded.config["SEARCH_INDEX_DIR"])  # missing: rebuilt once, not twice
    result = seeded.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0
    assert "indexed 33 documents" in result.output
    assert "rebuilding" not in caplog.text
    with seeded.app_context():
        assert IndexSync(db.session, search_index()).check().total == 0


WRITER = textwrap.dedent(
    """
    import sys
    from reader import create_app
    from reader.extensions import db
    from tests.factories import make_user
    config = {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": sys.argv[1],
              "SEARCH_INDEX_DIR": sys.argv[2], "WTF_CSRF_ENABLED": False,
              "PASSWORD_HASH_PROFILE": "fast", "SEARCH_WRITE_TIMEOUT": 30.0}
    app = create_app(config)
    name = sys.argv[3]
    with app.app_context():
        make_user(db.session, name)
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": name, "password": "correct horse battery"})
    quote = {"type": "TextQuoteSelector", "exact": "Russia is well past that powerful situation"}
    failures = 0
    for n in range(int(sys.argv[4])):
        body = [{"type": "TextualBody", "value": f"{name} note {n}", "purpose": "commenting"}]
        data = {"type": "Annotation", "body": body, "visibility": "public",
                "target": {"source": "http://x/documents/russian-relations-with-north-korea",
                           "selector": [quote]}}
        r = client.post("/api/annotations/", json=data, buffered=True)
        if r.status_code != 201:
            failures += 1
            continue
        aid = r.get_json()["id"].rsplit("/", 1)[1]
        if n % 3 == 0:
            text = {"type": "TextualBody", "value": f"{name} edited {n}", "purpose": "commenting"}
            edit = {"body": [text]}
            r = client.put(f"/api/annotations/{aid}", json=edit, buffered=True)
            failures += r.status_code != 200
        if n % 5 == 0:
            r = client.delete(f"/api/annotations/{aid}", buffered=True)
            failures += r.status_code != 204
    print(failures)
    """
)


def test_several_processes_writing_at_once_lose_nothing(seeded: Flask, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    url = seeded.config["DATABASE_URL"]
    index_dir = seeded.config["SEARCH_INDEX_DIR"]
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, index_dir, f"writer{i}", "15"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        for i in range(4)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "0", err
    with seeded.app_context():
        live = db.session.scalar(
            select(func.count()).select_from(Annotation).where(Annotation.deleted_at.is_(None))
        )
        assert live == 4 * 12
    code, output = _check(seeded)
    assert code == 0, output
    assert _hits(seeded.test_client(), "edited") == 4 * 4


def _pending(app: Flask) -> int:
    with app.app_context():
        return IndexSync(db.session, search_index()).pending()


def test_a_write_is_indexed_once_its_response_has_gone(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")  # reads and closes each response, as a server does
    assert alice.post("/api/annotations/", json=payload(body="wombatfirst")).status_code == 201
    assert _pending(seeded) == 0
    assert _hits(seeded.test_client(), "wombatfirst") == 1


def test_a_search_applies_jobs_a_response_still_holds(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    response = alice.post("/api/annotations/", json=payload(body="wombatsecond"), buffered=False)
    assert response.status_code == 201
    assert _pending(seeded) == 1  # the response is not closed yet: its index job waits
    assert _hits(alice, "wombatsecond") == 1  # a search applies waiting jobs first
    assert _pending(seeded) == 0
    response.close()  # nothing left to do, and closing twice over is harmless
    assert _pending(seeded) == 0
