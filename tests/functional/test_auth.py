"""Accounts in the browser and through tokens; CSRF on every form."""

from __future__ import annotations

import re

from flask import Flask

from reader.extensions import db
from tests.factories import FAST_HASHER, PASSWORD, make_user


def _register(client, name: str, password: str = PASSWORD):
    return client.post(
        "/register", data={"username": name, "password": password, "confirm": password}
    )


def test_register_signs_in_and_first_account_is_admin(app: Flask) -> None:
    client = app.test_client()
    response = _register(client, "alice")
    assert response.status_code == 302
    home = client.get("/").text
    assert "Signed in as <strong>alice</strong>" in home
    assert "admin" in home
    other = app.test_client()
    _register(other, "bob")
    assert "admin" not in other.get("/").text.split("Signed in as", 1)[1].split("</span>", 2)[0]


def test_register_errors_are_422_with_message(app: Flask) -> None:
    client = app.test_client()
    short = _register(client, "alice", "short")
    assert short.status_code == 422
    assert "at least 10 characters" in short.text.lower() or "between 10" in short.text.lower()
    _register(client, "alice")
    client.post("/logout")
    taken = _register(client, "ALICE")
    assert taken.status_code == 422
    assert "taken" in taken.text


def test_login_logout_and_wrong_password(app: Flask) -> None:
    with app.app_context():
        make_user(db.session, "carol")
        db.session.commit()
    client = app.test_client()
    wrong = client.post("/login", data={"username": "carol", "password": "nope-nope-nope"})
    assert wrong.status_code == 422
    assert "Unknown username or wrong password." in wrong.text
    unknown = client.post("/login", data={"username": "zed", "password": "nope-nope-nope"})
    assert "Unknown username or wrong password." in unknown.text
    ok = client.post("/login", data={"username": "carol", "password": PASSWORD, "next": "/api/me"})
    assert ok.status_code == 302
    assert ok.headers["Location"] == "/api/me"
    assert client.get("/api/me").get_json() == {"username": "carol", "role": "member"}
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/api/me").status_code == 401


def test_next_redirect_stays_on_site(app: Flask) -> None:
    with app.app_context():
        make_user(db.session, "dave")
        db.session.commit()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = app.test_client().post(
            "/login", data={"username": "dave", "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == "/"


def test_forms_without_csrf_token_are_rejected(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    for path, data in [
        ("/register", {"username": "eve", "password": PASSWORD, "confirm": PASSWORD}),
        ("/login", {"username": "eve", "password": PASSWORD}),
        ("/logout", {}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "CSRF" in response.text
    with csrf_app.app_context():
        from sqlalchemy import func, select

        from annotations.accounts import User

        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_forms_with_csrf_token_are_accepted(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    page = client.get("/register").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/register",
        data={"username": "eve", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def test_bearer_token_authenticates_api_calls(app: Flask) -> None:
    from annotations.accounts import AccountService

    with app.app_context():
        make_user(db.session, "frank", role="reviewer")
        raw = AccountService(db.session, FAST_HASHER).create_token("frank")
        db.session.commit()
    client = app.test_client()
    me = client.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.get_json() == {"username": "frank", "role": "reviewer"}
    bad = client.get("/api/me", headers={"Authorization": "Bearer ar_wrong"})
    assert bad.status_code == 401
    assert bad.get_json()["error"]["status"] == 401
