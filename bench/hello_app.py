"""The ceiling for bench.load: a bare Flask app answering "Hello" under the same gunicorn setup."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """The cheapest possible Flask response."""
    return "Hello, world!"
