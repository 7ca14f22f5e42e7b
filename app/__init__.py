"""The Relais application factory: a list of init_app calls and blueprint registrations.

No I/O happens here (no connection, no migration, no prompt): the engine connects lazily.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import INSTANCE_DIR, Config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"), instance_path=str(INSTANCE_DIR))
    if config is None:
        config = Config.from_env()
    app.config.update(config.as_flask_config() if isinstance(config, Config) else config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is required")
    from app.common import request_log

    request_log.configure_logging(app.config.get("LOG_FORMAT", "text"))
    # our modules log as "app.*", children of Flask's "app" logger: let them reach the root
    # handler once instead of twice through Flask's default handler as well
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)

    from app import db as database
    from app.common import authz, i18n, security, web
    from app.common.mail import Mailer
    from app.extensions import csrf, limiter, login_manager

    database.init_app(app, app.config.get("RELAIS_DATABASE"))
    app.extensions["relais_mailer"] = app.config.get("RELAIS_MAILER") or Mailer.from_config(
        app.config)
    web.init_request_boundary(app)
    i18n.init_app(app)
    from app.accounts.auth import init_login

    init_login(app, login_manager)
    authz.init_authorization(app)  # before CSRF: refuse the unauthorised first
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_security_headers(app)

    from app.accounts import bp as accounts_bp
    from app.analytics import bp as analytics_bp
    from app.audit import bp as audit_bp
    from app.content import bp as content_bp
    from app.gamification import bp as gamification_bp
    from app.health import bp as health_bp
    from app.notifications import bp as notifications_bp
    from app.portal import bp as portal_bp
    from app.sharing import bp as sharing_bp
    from app.training import bp as training_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(content_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(sharing_bp)
    app.register_blueprint(gamification_bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(analytics_bp)
    # api (/api/v1) blueprint: registered here
    from app.api import init_app as init_api

    init_api(app)  # the JSON API (flask-smorest), its token pages and reference page
    # single sign-on (OIDC) blueprint: registered here

    from app.common import errors_pages, security_events, templating

    errors_pages.init_app(app)
    security_events.init_app(app)  # before request_log: it reads the redacted path
    templating.init_app(app)

    from app import cli

    cli.init_app(app)
    request_log.init_app(app)  # last: the request log and ProxyFix wrap everything
    return app
