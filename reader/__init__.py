"""Annotated Reader: the web layer (Flask app factory)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers and CLI."""
    from annotations.accounts import make_hasher
    from reader import (
        api,
        auth,
        cli,
        errors,
        groups,
        indexer,
        interchange,
        library,
        notes,
        review,
        search,
        security,
    )
    from reader.config import load_config
    from reader.extensions import csrf, db, login_manager

    app = Flask(
        __name__,
        instance_path=os.environ.get("READER_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    load_config(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    app.extensions["reader.hasher"] = make_hasher(app.config["PASSWORD_HASH_PROFILE"])
    login_manager.init_app(app)
    csrf.init_app(app)
    auth.init_login(login_manager)
    security.init_app(app)
    errors.init_app(app)
    indexer.init_app(app)
    app.register_blueprint(library.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(groups.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(interchange.bp)
    cli.init_app(app)
    return app
