"""Sessions, sign-in limits, proxies, security headers and input limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask, request

from reader import create_app
from reader.extensions import db
from tests.factories import PASSWORD, make_user
from tests.functional.helpers import payload, signed_in, token_for

WRONG = "nope-nope-nope"
LIMITED = "Too many sign-in attempts. Wait a minute, then try again."


def _user(app: Flask, name: str) -> None:
    with app.app_context():
        make_user(db.session, name)
        db.session.commit()


def _login(client: Any, name: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return client.post("/login", data={"username": name, "password": password}, **kwargs)


def _sibling(app: Flask, **overrides: Any) -> Flask:
    """Another app on the same database and index, with some settings changed."""
    keys = ("TESTING", "SECRET_KEY", "DATABASE_URL", "WTF_CSRF_ENABLED", "SEARCH_INDEX_DIR")
    config = {key: app.config[key] for key in keys}
    config["PASSWORD_HASH_PROFILE"] = "fast"
    return create_app({**config, **overrides})


# Sessions


def test_sign_in_starts_a_new_session(app: Flask) -> None:
    _user(app, "carol")
    client = app.test_client()
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    assert _login(client, "carol").status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"].startswith("1:")


def test_sign_out_ends_the_session_on_the_server(app: Flask) -> None:
    _user(app, "carol")
    client = app.test_client()
    _login(client, "carol")
    copied = client.get_cookie("session")
    assert copied is not None
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied.value)
    assert thief.get("/api/me").status_code == 401
    # Signing in again works, with a new session id.
    _login(client, "carol")
    assert client.get("/api/me").status_code == 200
    with client.session_transaction() as fresh:
        assert fresh["_user_id"] != copied.value


def test_sign_out_ends_every_session_of_the_account(app: Flask) -> None:
    _user(app, "carol")
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop, "carol")
    _login(phone, "carol")
    laptop.post("/logout")
    assert phone.get("/api/me").status_code == 401


def test_sessions_without_a_token_are_refused(app: Flask) -> None:
    _user(app, "carol")
    for forged in ("1", "1:", "1:wrong", "x:y", "9" * 40 + ":z"):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/api/me").status_code == 401, forged


def test_cookie_flags(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    _user(app, "carol")
    plain = _login(app.test_client(), "carol").headers["Set-Cookie"]
    assert "HttpOnly" in plain
    assert "SameSite=Lax" in plain
    assert "Secure" not in plain
    monkeypatch.setenv("READER_SESSION_COOKIE_SECURE", "1")
    secure = _sibling(app)
    assert secure.config["REMEMBER_COOKIE_SECURE"] is True
    assert secure.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert secure.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    response = _login(secure.test_client(), "carol", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_refuses_the_development_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READER_SECRET_KEY", raising=False)
    monkeypatch.setenv("READER_ENV_NAME", "production")
    with pytest.raises(RuntimeError, match="READER_SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://"})


# Sign-in rate limits


def test_failed_sign_ins_are_limited_per_account_without_revealing_it(app: Flask) -> None:
    _user(app, "carol")
    answers = {}
    for name in ("carol", "nobody-here"):
        for n in range(5):
            address = {"REMOTE_ADDR": f"10.0.0.{n}"}
            response = _login(app.test_client(), name, WRONG, environ_base=address)
            assert response.status_code == 422
        limited = _login(app.test_client(), name, WRONG, environ_base={"REMOTE_ADDR": "10.0.1.1"})
        assert limited.status_code == 429
        assert LIMITED in limited.text
        assert "Retry-After" in limited.headers
        as_json = _login(app.test_client(), name, WRONG, headers={"Accept": "application/json"})
        answers[name] = (as_json.status_code, as_json.get_json())
    assert answers["carol"] == answers["nobody-here"]
    # Even the right password waits; another account is not affected.
    assert _login(app.test_client(), "carol").status_code == 429
    _user(app, "dave")
    assert _login(app.test_client(), "dave").status_code == 302


def test_failed_sign_ins_are_limited_per_address(app: Flask) -> None:
    client = app.test_client()
    for n in range(10):
        assert _login(client, f"guess{n}", WRONG).status_code == 422
    limited = _login(client, "guess-eleven", WRONG, headers={"Accept": "application/json"})
    assert limited.status_code == 429
    assert limited.get_json()["error"]["message"] == LIMITED
    other = app.test_client()
    elsewhere = _login(other, "guess-eleven", WRONG, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert elsewhere.status_code == 422


def test_successful_sign_ins_do_not_count(app: Flask) -> None:
    _user(app, "carol")
    client = app.test_client()
    for _ in range(12):
        assert _login(client, "carol").status_code == 302


def test_forwarded_addresses_count_only_behind_a_proxy(app: Flask) -> None:
    def attempts(target: Flask, forwarded: str) -> int:
        headers = {"X-Forwarded-For": forwarded}
        return _login(target.test_client(), f"x{forwarded}", WRONG, headers=headers).status_code

    proxied = _sibling(app, BEHIND_PROXY=1)
    proxied.add_url_rule("/whoami", view_func=lambda: request.url)
    for n in range(10):
        attempts(app, f"192.0.2.{n}")
    assert attempts(app, "192.0.2.99") == 429  # headers ignored: one address
    for _ in range(10):
        assert attempts(proxied, "198.51.100.7") in (422, 429)
    assert attempts(proxied, "198.51.100.7") == 429
    assert attempts(proxied, "203.0.113.5") == 422
    seen = proxied.test_client().get(
        "/whoami", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "reader.example"}
    )
    assert seen.text == "https://reader.example/whoami"


# Security headers on every kind of response


def _assert_headers(response: Any) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_security_headers_on_every_response(seeded: Flask) -> None:
    def boom() -> str:
        raise RuntimeError("a bug")

    seeded.add_url_rule("/boom", view_func=boom)
    client = seeded.test_client()
    responses = {
        "page": client.get("/"),
        "missing page": client.get("/no/such/page"),
        "missing api": client.get("/api/annotations/nope"),
        "static": client.get("/static/reader.css"),
        "error": client.get("/boom"),
        "method": client.put("/"),
    }
    assert responses["missing page"].status_code == 404
    assert responses["static"].status_code == 200
    assert responses["error"].status_code == 500
    assert "a bug" not in responses["error"].text
    for name, response in responses.items():
        _assert_headers(response)
        response.close()
        assert name


DATA_BLOCKS = ("application/ld+json", "application/json")


def test_pages_have_no_inline_script_or_style(seeded: Flask) -> None:
    client = signed_in(seeded, "alice")
    for path in ("/", "/documents/russian-relations-with-north-korea", "/search?q=russia"):
        html = client.get(path).text
        assert " style=" not in html, path
        for chunk in html.split("<script")[1:]:
            opening = chunk.split(">", 1)[0]
            # script files, or data blocks (JSON) that browsers never run
            data_block = any(f'type="{kind}"' in opening for kind in DATA_BLOCKS)
            assert "src=" in opening or data_block, path


# Input limits


def test_too_large_bodies_get_413_with_a_message(app: Flask) -> None:
    _user(app, "carol")
    headers = token_for(app, "carol")
    app.config["MAX_CONTENT_LENGTH"] = 2000
    big = json.dumps(payload(body="x" * 5000))
    api = app.test_client().post(
        "/api/annotations/", data=big, content_type="application/json", headers=headers
    )
    assert api.status_code == 413
    assert "larger than the limit of 2000 bytes" in api.get_json()["error"]["message"]
    _assert_headers(api)
    form = app.test_client().post("/login", data={"username": "carol", "password": "y" * 5000})
    assert form.status_code == 413
    assert "text/html" in form.content_type
    assert "larger than the limit of 2000 bytes" in form.text


def test_deeply_nested_json_is_refused_before_parsing(seeded: Flask) -> None:
    _user(seeded, "carol")
    headers = token_for(seeded, "carol")
    client = seeded.test_client()
    for depth in (33, 100_000):
        nested = "[" * depth + "]" * depth
        response = client.post(
            "/api/annotations/", data=nested, content_type="application/json", headers=headers
        )
        assert response.status_code == 422
        assert "nested deeper than 32 levels" in response.get_json()["error"]["message"]
    shallow = "[" * 32 + "]" * 32
    response = client.post(
        "/api/annotations/", data=shallow, content_type="application/json", headers=headers
    )
    assert response.status_code == 422
    assert "nested deeper" not in response.get_json()["error"]["message"]
    # Brackets inside strings do not count.
    quoted = json.dumps(payload(body="[" * 100))
    made = client.post(
        "/api/annotations/", data=quoted, content_type="application/json", headers=headers
    )
    assert made.status_code == 201
