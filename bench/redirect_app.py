"""The two WSGI apps of the redirect benchmark (bench/redirect_bench.py), each served by
its own gunicorn with the same settings:

    gunicorn ... 'bench.redirect_app:real_app()'   # Relais (DATABASE_URL, SECRET_KEY from env)
    gunicorn ... 'bench.redirect_app:bare_app()'   # one Flask route answering 302
"""

from __future__ import annotations

from flask import Flask, redirect

TARGET = ("https://www.acme.example/news/item?ref=home&utm_source=linkedin"
          "&utm_medium=employee_advocacy&utm_campaign=item&utm_content=code")


def real_app() -> Flask:
    from app import create_app

    return create_app()


def bare_app() -> Flask:
    app = Flask(__name__)

    @app.get("/r/<code>")
    def follow(code: str):
        return redirect(TARGET, 302)

    return app
