"""The library and reading view through the test client."""

from __future__ import annotations

import re
from html import unescape

from flask import Flask

from tests.factories import SEED_ID, SHIPPED_SEED

CHROME = ["ISSN", "PATRON", "Octavian", "Photo Credit", "WISEWIDEWEB", "Amfiteatru", "SUBSCRIPTION"]


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_library_lists_the_shipped_article(seeded: Flask) -> None:
    page = seeded.test_client().get("/")
    assert page.status_code == 200
    assert "Russian Relations with North Korea" in page.text
    assert f'href="/documents/{SEED_ID}"' in page.text


def test_reading_view_shows_title_once_toc_and_asides_without_chrome(seeded: Flask) -> None:
    page = seeded.test_client().get(f"/documents/{SEED_ID}")
    assert page.status_code == 200
    article = page.text.split("<article", 1)[1]
    assert article.count("<h1") == 1
    assert _text(article).count("Russian Relations with North Korea") == 1
    toc = page.text.split('class="toc"', 1)[1].split("</nav>", 1)[0]
    for heading in (
        "Significance of Trump meeting with Putin",
        "Is conflict with Russia inevitable?",
        "Conclusion",
    ):
        assert heading in unescape(toc)
    assert page.text.count('class="passage pullquote"') >= 5
    body = _text(page.text)
    for chrome in CHROME:
        assert chrome not in body, chrome


def test_every_passage_is_addressable_with_a_link_control(seeded: Flask) -> None:
    page = seeded.test_client().get(f"/documents/{SEED_ID}").text
    ids = re.findall(r'class="passage[^"]*"[^>]*|id="([a-z]-[0-9a-f]{8}(?:-\d+)?)"', page)
    block_ids = [i for i in ids if i]
    assert len(block_ids) > 30
    for block_id in block_ids:
        assert f'href="#{block_id}"' in page


def test_original_is_byte_identical_to_the_seed(seeded: Flask) -> None:
    response = seeded.test_client().get(f"/documents/{SEED_ID}/original")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data == SHIPPED_SEED.read_bytes()


def test_unknown_document_and_bad_version_are_404_pages(seeded: Flask) -> None:
    client = seeded.test_client()
    missing = client.get("/documents/no-such-thing")
    assert missing.status_code == 404
    assert "no document 'no-such-thing'" in unescape(missing.text)
    assert "Traceback" not in missing.text
    assert client.get(f"/documents/{SEED_ID}?version=9").status_code == 404
    assert client.get(f"/documents/{SEED_ID}?version=abc").status_code == 404
    assert client.get(f"/documents/{SEED_ID}/original?version=0").status_code == 404
    # Ten digits would overflow the integer column (a 500 on PostgreSQL): refused first.
    assert client.get(f"/documents/{SEED_ID}?version=9999999999").status_code == 404
    assert client.get(f"/documents/{SEED_ID}?version=１").status_code == 404  # non-ASCII digit
    assert client.get(f"/documents/{SEED_ID}?version=").status_code == 200  # empty: the newest


def test_bad_version_in_the_api_is_a_json_404(seeded: Flask) -> None:
    client = seeded.test_client()
    assert client.get(f"/api/documents/{SEED_ID}?version=1").get_json()["version"] == 1
    response = client.get(f"/api/documents/{SEED_ID}?version=-1")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == (
        "version must be a positive whole number, not '-1'"
    )


def test_bad_diff_versions_are_404_pages_naming_the_parameter(seeded: Flask) -> None:
    client = seeded.test_client()
    assert client.get(f"/documents/{SEED_ID}/diff").status_code == 200  # 1 against 1
    assert client.get(f"/documents/{SEED_ID}/diff?from=1&to=1").status_code == 200
    bad_to = client.get(f"/documents/{SEED_ID}/diff?to=0")
    assert bad_to.status_code == 404
    assert "to must be a positive whole number, not '0'" in unescape(bad_to.text)
    assert client.get(f"/documents/{SEED_ID}/diff?from=2.5").status_code == 404
    assert client.get(f"/documents/{SEED_ID}/diff?from=3").status_code == 404  # no version 3


def test_pages_carry_security_headers(seeded: Flask) -> None:
    response = seeded.test_client().get(f"/documents/{SEED_ID}")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<style" not in response.text
    assert "<script>" not in response.text


def test_html_originals_are_sandboxed(app: Flask) -> None:
    from reader.extensions import db
    from tests.factories import import_text

    html = (
        "<html><body><h1>T</h1><p>" + "Words here. " * 10 + "</p><script>x()</script></body></html>"
    )
    with app.app_context():
        import_text(db.session, html, doc_id="page", filename="page.html")
        db.session.commit()
    response = app.test_client().get("/documents/page/original")
    assert response.data == html.encode()
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
