"""Relais configuration, read from environment variables.

Every setting has a safe default for the embedded development setup (SQLite under
``instance/``, emails printed to the console). ``RELAIS_ENV=production`` turns on the
production checks: a ``SECRET_KEY`` must be given, debug is off, cookies are secure and
HSTS is sent. The docs (docs/configuration.md) list every variable below.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("RELAIS_INSTANCE_DIR", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete."""


def _placeholder(value: str) -> bool:
    """A value copied from an example file instead of generated."""
    lowered = value.lower()
    return any(word in lowered for word in ("change-me", "changeme", "change_me", "example"))


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    return int(value) if value not in (None, "") else default


def _fernet_key(value: str) -> bool:
    """Fernet keys (32 bytes, URL-safe base64), comma-separated: newest first (rotation)."""
    import base64
    import binascii

    keys = [key.strip() for key in value.split(",") if key.strip()]
    try:
        return bool(keys) and all(len(base64.urlsafe_b64decode(key.encode())) == 32
                                  for key in keys)
    except (binascii.Error, ValueError):
        return False


def _dev_secret_key() -> str:
    """A per-checkout random key kept in instance/, so dev sessions survive restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass
class Config:
    #: development | production | test
    ENV: str = "development"
    #: signs sessions and tokens; required in production (at least 32 characters); in
    #: development a random one is kept in instance/secret_key
    SECRET_KEY: str = ""
    #: Flask's debug mode (FLASK_DEBUG); refused in production
    DEBUG: bool = False
    TESTING: bool = False
    #: SQLAlchemy URL; SQLite file under instance/ by default, PostgreSQL with
    #: postgresql+psycopg://user:pass@host/db
    DATABASE_URL: str = ""
    #: how many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0:
    #: none; the headers are then ignored — never trust them by default)
    PROXY_FIX_HOPS: int = 0
    #: text (development) or json (one JSON object per line: production log collectors)
    LOG_FORMAT: str = "text"
    #: one log line per request (method, path, status, duration, request id, person); the
    #: default from the environment is on in production, off in development (the
    #: development server logs each request itself)
    LOG_REQUESTS: bool = True
    #: the Bearer token /metrics asks for; empty: /metrics is off (404)
    METRICS_TOKEN: str = ""
    #: where `flask backup` writes when given no --output (default: instance/backups)
    BACKUP_DIR: str = ""
    #: public base URL used in emails (invitation and reset links)
    BASE_URL: str = "http://127.0.0.1:5000"
    #: SMTP; with no MAIL_SERVER, emails are written to the log/console
    MAIL_SERVER: str = ""
    MAIL_PORT: int = 25
    MAIL_USERNAME: str = ""
    MAIL_PASSWORD: str = ""
    MAIL_USE_TLS: bool = False
    MAIL_USE_SSL: bool = False
    MAIL_FROM: str = "Relais <relais@localhost>"
    #: Redis for shared rate-limit counters and the leaderboards' cache (optional)
    REDIS_URL: str = ""
    #: rate limit on login / reset / enrolment POSTs, per client address
    LOGIN_RATE_LIMIT: str = "10 per minute"
    #: consecutive failed logins before an account is locked, and for how long
    LOGIN_MAX_FAILURES: int = 5
    LOGIN_LOCK_MINUTES: int = 15
    #: how long an invitation link works
    INVITATION_TTL_HOURS: int = 72
    PASSWORD_RESET_TTL_MINUTES: int = 60
    PASSWORD_MIN_LENGTH: int = 12
    #: largest accepted CSV import, in bytes and rows
    IMPORT_MAX_BYTES: int = 5 * 1024 * 1024
    IMPORT_MAX_ROWS: int = 50_000
    #: rows handled per import step (each step is one transaction)
    IMPORT_STEP_ROWS: int = 2_000
    #: server-side fetches of user-supplied URLs (app/common/fetcher.py): overall deadline,
    #: largest body (after gzip decoding), redirects followed
    FETCH_TIMEOUT_SECONDS: float = 10.0
    FETCH_MAX_BYTES: int = 5 * 1024 * 1024
    FETCH_MAX_REDIRECTS: int = 5
    #: tests only, never read from the environment: lets the fetcher reach 127.0.0.0/8 and ::1
    #: (a local test server); private ranges stay refused
    FETCH_ALLOW_LOOPBACK: bool = False
    #: argon2 cost; tests lower it
    ARGON2_TIME_COST: int = 3
    ARGON2_MEMORY_COST: int = 65536
    #: send cookies over HTTPS only (always on in production)
    SESSION_COOKIE_SECURE: bool = False
    REMEMBER_COOKIE_SECURE: bool = False
    #: the cookies' names: in production "__Host-session" and "__Host-remember" — a
    #: browser then takes them only over HTTPS, for this host, for every path (no
    #: sub-domain can plant or overwrite them)
    SESSION_COOKIE_NAME: str = "session"
    REMEMBER_COOKIE_NAME: str = "remember_token"
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_DURATION_DAYS: int = 14
    PERMANENT_SESSION_LIFETIME_HOURS: int = 12
    WTF_CSRF_ENABLED: bool = True
    WTF_CSRF_TIME_LIMIT: int | None = None
    RATELIMIT_ENABLED: bool = True
    HSTS: bool = False
    #: SQLite busy timeout in milliseconds
    SQLITE_BUSY_TIMEOUT_MS: int = 10_000
    LANGUAGES: tuple[str, ...] = ("en", "fr")
    BABEL_DEFAULT_LOCALE: str = "en"
    BABEL_DEFAULT_TIMEZONE: str = "UTC"
    PER_PAGE: int = 25
    #: items on the employee's portal home at once ("less is more"); "Show more" adds as many
    QUEUE_DAILY_CAP: int = 5
    #: the /r/<code> redirector: in-process cache of tracked links (and of unknown codes)
    LINK_CACHE_SIZE: int = 10_000
    LINK_CACHE_TTL_SECONDS: int = 300
    LINK_CACHE_NEGATIVE_SIZE: int = 2_000
    LINK_CACHE_NEGATIVE_TTL_SECONDS: int = 30
    #: clicks are buffered and written in batches by a background thread per process
    CLICK_FLUSH_INTERVAL_MS: int = 500
    CLICK_FLUSH_BATCH: int = 500
    #: beyond this many unwritten clicks (database down for long) the oldest are dropped
    CLICK_BUFFER_MAX_PENDING: int = 500_000
    #: answer cookie-less /r/<code> requests before Flask's request machinery (see
    #: app/sharing/redirect.py); off only to debug
    REDIRECT_FAST_PATH: bool = True
    #: gamification, leaderboards: how long a board's top rows are cached (per process, or
    #: in Redis when REDIS_URL is set); every award invalidates them. 0: no cache
    LEADERBOARD_CACHE_SECONDS: int = 60
    #: gamification, challenges: a challenge is closed (winners paid) this long after its
    #: end, so the award job has counted the window's last events
    CHALLENGE_CLOSE_DELAY_MINUTES: int = 30
    #: where uploaded content images are kept (default: instance/uploads/content)
    CONTENT_UPLOAD_DIR: str = ""
    #: training: due-date reminder windows, in days before a course's due date (one email
    #: per window, plus one when overdue; job "training.reminders")
    TRAINING_REMINDER_DAYS: tuple[int, ...] = (7, 1)
    #: analytics (app/analytics/): raw clicks are deleted this many days after they happened,
    #: once rolled up (job "analytics.retention"); the daily rollups stay. 0: keep forever
    ANALYTICS_CLICK_RETENTION_DAYS: int = 400
    #: the tally re-scans the rows that were new in the last N minutes, for rows whose
    #: transaction committed after a later one (must exceed the longest write transaction)
    ANALYTICS_TALLY_OVERLAP_MINUTES: int = 15
    #: at most this many new ids per source (clicks, shares…) per tally run; a backlog is
    #: worked off over the next runs (or at once with `flask analytics rebuild`)
    ANALYTICS_TALLY_BATCH: int = 500_000
    #: clicks deleted per retention run at most
    ANALYTICS_RETENTION_BATCH: int = 1_000_000
    #: a dashboard is computed once per tally run and kept this long at most (per process,
    #: or in Redis when REDIS_URL is set; the job analytics.warm_dashboards then computes
    #: the default company view ahead). 0: computed on every view
    ANALYTICS_DASHBOARD_CACHE_SECONDS: int = 300
    #: shared secret of the signed conversions webhook (POST /api/v1/conversions);
    #: empty: the webhook is disabled and answers 503
    CONVERSION_WEBHOOK_SECRET: str = ""
    #: largest accepted gap between a webhook's X-Relais-Timestamp and our clock
    CONVERSION_MAX_SKEW_SECONDS: int = 300
    #: REST API (app/api/): requests per personal access token (Flask-Limiter syntax; one
    #: budget per token across every /api/v1 endpoint, shared by workers when REDIS_URL is set)
    API_RATE_LIMIT: str = "600 per minute"
    #: connectors (app/sharing/connectors/): the key that encrypts the connected accounts'
    #: OAuth tokens (and the webhook and SSO secrets) at rest: Fernet keys, comma-separated,
    #: the first one encrypts, all decrypt (rotation: docs/deploy.md); required in
    #: production; in development derived from SECRET_KEY
    TOKEN_ENCRYPTION_KEY: str = ""
    #: LinkedIn app (empty client id: LinkedIn posting is hidden); base URLs for tests
    LINKEDIN_CLIENT_ID: str = ""
    LINKEDIN_CLIENT_SECRET: str = ""
    LINKEDIN_AUTH_BASE: str = "https://www.linkedin.com"
    LINKEDIN_API_BASE: str = "https://api.linkedin.com"
    #: X app, OAuth 2.0 confidential client (empty client id: X posting is hidden)
    X_CLIENT_ID: str = ""
    X_CLIENT_SECRET: str = ""
    X_AUTH_BASE: str = "https://x.com"
    X_API_BASE: str = "https://api.x.com"
    #: single sign-on (OpenID Connect, app/accounts/sso*): each variable, when set, takes
    #: precedence over the admin page's setting; OIDC_ISSUER also turns single sign-on on
    OIDC_ISSUER: str = ""
    OIDC_CLIENT_ID: str = ""
    OIDC_CLIENT_SECRET: str = ""
    #: space-separated scopes ("openid" is always sent); empty: the admin page's (default
    #: "openid email profile")
    OIDC_SCOPES: str = ""
    #: the claim listing the person's groups (a dotted path reads nested claims)
    OIDC_GROUPS_CLAIM: str = ""
    #: shown on the "Sign in with …" button
    OIDC_PROVIDER_NAME: str = ""
    #: discovery documents and signing keys are cached this long per process
    OIDC_CACHE_SECONDS: int = 3600
    #: clock skew tolerated on the ID token's exp and iat; older ID tokens are refused
    OIDC_CLOCK_SKEW_SECONDS: int = 120
    OIDC_MAX_TOKEN_AGE_SECONDS: int = 600
    # outbox and webhooks
    #: the outbox (app/notifications/outbox.py, job "notifications.deliver"): a message is
    #: given up ("failed") after this many attempts (retries 1, 2, 4 … minutes apart, at
    #: most 6 hours: 12 attempts span about a day and a half)
    OUTBOX_MAX_ATTEMPTS: int = 12
    #: messages delivered per run at most (every minute); the next run takes the rest
    OUTBOX_BATCH: int = 100
    #: overall time limit of one webhook call (connect, send, answer)
    OUTBOX_WEBHOOK_TIMEOUT_SECONDS: int = 10
    # notifications e-mail
    #: digests of new content (job "notifications.digests", hourly): sent from this hour
    #: (UTC) on — daily ones every day, weekly ones on Mondays
    DIGEST_HOUR_UTC: int = 7
    #: items in a digest at most (the best ranked, featured first)
    DIGEST_MAX_ITEMS: int = 5
    #: inactivity nudge (job "notifications.nudges"): after this many weeks without a
    #: share, once, then again after as many weeks; 0: no nudges
    NUDGE_AFTER_WEEKS: int = 3
    # sessions
    #: absolute lifetime of a sign-in session, in hours (app/accounts/sessions.py): then
    #: the person signs in again, however active. Sessions without "keep me signed in"
    #: also end after PERMANENT_SESSION_LIFETIME_HOURS without a request.
    SESSION_ABSOLUTE_HOURS: int = 24 * 30
    #: administrators' sessions end after this many minutes without a request, "keep me
    #: signed in" or not (an admin session can do the most harm if left open)
    ADMIN_SESSION_IDLE_MINUTES: int = 120
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Config":
        env = dict(os.environ if environ is None else environ)
        mode = env.get("RELAIS_ENV", "development")
        production = mode == "production"
        secret = env.get("SECRET_KEY", "")
        if not secret:
            if production:
                raise ConfigError("SECRET_KEY must be set when RELAIS_ENV=production")
            secret = _dev_secret_key()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'relais.db'}"
        if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:////"):
            # relative SQLite paths are taken from the project directory
            database_url = f"sqlite:///{(BASE_DIR / database_url[10:]).resolve()}"
        cfg = cls(
            ENV=mode,
            SECRET_KEY=secret,
            DEBUG=False if production else _bool(env.get("FLASK_DEBUG")),
            DATABASE_URL=database_url,
            BACKUP_DIR=env.get("BACKUP_DIR", "").strip(),
            METRICS_TOKEN=env.get("METRICS_TOKEN", "").strip(),
            PROXY_FIX_HOPS=_int(env.get("PROXY_FIX_HOPS"), 0),
            LOG_FORMAT="json" if env.get("LOG_FORMAT", "").strip().lower() == "json" else "text",
            # on in production; the development server logs each request itself
            LOG_REQUESTS=_bool(env.get("LOG_REQUESTS"), production),
            BASE_URL=env.get("BASE_URL", cls.BASE_URL).rstrip("/"),
            MAIL_SERVER=env.get("MAIL_SERVER", ""),
            MAIL_PORT=_int(env.get("MAIL_PORT"), 25),
            MAIL_USERNAME=env.get("MAIL_USERNAME", ""),
            MAIL_PASSWORD=env.get("MAIL_PASSWORD", ""),
            MAIL_USE_TLS=_bool(env.get("MAIL_USE_TLS")),
            MAIL_USE_SSL=_bool(env.get("MAIL_USE_SSL")),
            MAIL_FROM=env.get("MAIL_FROM", cls.MAIL_FROM),
            REDIS_URL=env.get("REDIS_URL", ""),
            CONTENT_UPLOAD_DIR=env.get("CONTENT_UPLOAD_DIR", ""),
            CONVERSION_WEBHOOK_SECRET=env.get("CONVERSION_WEBHOOK_SECRET", ""),
            CONVERSION_MAX_SKEW_SECONDS=_int(env.get("CONVERSION_MAX_SKEW_SECONDS"),
                                             cls.CONVERSION_MAX_SKEW_SECONDS),
            API_RATE_LIMIT=env.get("API_RATE_LIMIT", cls.API_RATE_LIMIT),
            TOKEN_ENCRYPTION_KEY=env.get("TOKEN_ENCRYPTION_KEY", "").strip(),
            LINKEDIN_CLIENT_ID=env.get("LINKEDIN_CLIENT_ID", ""),
            LINKEDIN_CLIENT_SECRET=env.get("LINKEDIN_CLIENT_SECRET", ""),
            LINKEDIN_AUTH_BASE=env.get("LINKEDIN_AUTH_BASE", cls.LINKEDIN_AUTH_BASE).rstrip("/"),
            LINKEDIN_API_BASE=env.get("LINKEDIN_API_BASE", cls.LINKEDIN_API_BASE).rstrip("/"),
            X_CLIENT_ID=env.get("X_CLIENT_ID", ""),
            X_CLIENT_SECRET=env.get("X_CLIENT_SECRET", ""),
            X_AUTH_BASE=env.get("X_AUTH_BASE", cls.X_AUTH_BASE).rstrip("/"),
            X_API_BASE=env.get("X_API_BASE", cls.X_API_BASE).rstrip("/"),
            OIDC_ISSUER=env.get("OIDC_ISSUER", "").strip(),
            OIDC_CLIENT_ID=env.get("OIDC_CLIENT_ID", "").strip(),
            OIDC_CLIENT_SECRET=env.get("OIDC_CLIENT_SECRET", "").strip(),
            OIDC_SCOPES=env.get("OIDC_SCOPES", "").strip(),
            OIDC_GROUPS_CLAIM=env.get("OIDC_GROUPS_CLAIM", "").strip(),
            OIDC_PROVIDER_NAME=env.get("OIDC_PROVIDER_NAME", "").strip(),
            ANALYTICS_CLICK_RETENTION_DAYS=_int(env.get("ANALYTICS_CLICK_RETENTION_DAYS"),
                                                cls.ANALYTICS_CLICK_RETENTION_DAYS),
            ANALYTICS_TALLY_OVERLAP_MINUTES=_int(env.get("ANALYTICS_TALLY_OVERLAP_MINUTES"),
                                                 cls.ANALYTICS_TALLY_OVERLAP_MINUTES),
            ANALYTICS_DASHBOARD_CACHE_SECONDS=_int(env.get("ANALYTICS_DASHBOARD_CACHE_SECONDS"),
                                                   cls.ANALYTICS_DASHBOARD_CACHE_SECONDS),
            LOGIN_RATE_LIMIT=env.get("LOGIN_RATE_LIMIT", cls.LOGIN_RATE_LIMIT),
            INVITATION_TTL_HOURS=_int(env.get("INVITATION_TTL_HOURS"), cls.INVITATION_TTL_HOURS),
            SESSION_COOKIE_NAME="__Host-session" if production else cls.SESSION_COOKIE_NAME,
            REMEMBER_COOKIE_NAME=("__Host-remember" if production
                                  else cls.REMEMBER_COOKIE_NAME),
            SESSION_COOKIE_SECURE=production or _bool(env.get("SESSION_COOKIE_SECURE")),
            REMEMBER_COOKIE_SECURE=production or _bool(env.get("SESSION_COOKIE_SECURE")),
            HSTS=production,
            # notifications e-mail
            DIGEST_HOUR_UTC=min(23, max(0, _int(env.get("DIGEST_HOUR_UTC"),
                                                cls.DIGEST_HOUR_UTC))),
            DIGEST_MAX_ITEMS=max(1, _int(env.get("DIGEST_MAX_ITEMS"), cls.DIGEST_MAX_ITEMS)),
            NUDGE_AFTER_WEEKS=max(0, _int(env.get("NUDGE_AFTER_WEEKS"), cls.NUDGE_AFTER_WEEKS)),
            # outbox and webhooks
            OUTBOX_MAX_ATTEMPTS=max(1, _int(env.get("OUTBOX_MAX_ATTEMPTS"),
                                            cls.OUTBOX_MAX_ATTEMPTS)),
            OUTBOX_BATCH=max(1, _int(env.get("OUTBOX_BATCH"), cls.OUTBOX_BATCH)),
            OUTBOX_WEBHOOK_TIMEOUT_SECONDS=max(1, _int(env.get("OUTBOX_WEBHOOK_TIMEOUT_SECONDS"),
                                                       cls.OUTBOX_WEBHOOK_TIMEOUT_SECONDS)),
            # sessions
            SESSION_ABSOLUTE_HOURS=max(1, _int(env.get("SESSION_ABSOLUTE_HOURS"),
                                               cls.SESSION_ABSOLUTE_HOURS)),
            ADMIN_SESSION_IDLE_MINUTES=max(5, _int(env.get("ADMIN_SESSION_IDLE_MINUTES"),
                                                   cls.ADMIN_SESSION_IDLE_MINUTES)),
        )
        if production:
            if len(secret) < 32:
                raise ConfigError("SECRET_KEY must be at least 32 characters in production")
            if _placeholder(secret) or _placeholder(cfg.METRICS_TOKEN):
                raise ConfigError("SECRET_KEY and METRICS_TOKEN must be random values, not "
                                  "an example's placeholder")
            if _bool(env.get("FLASK_DEBUG")):
                raise ConfigError("FLASK_DEBUG must be off in production")
            if not cfg.BASE_URL.startswith("https://"):
                raise ConfigError("BASE_URL must be an https:// URL in production")
            if (cfg.LINKEDIN_CLIENT_ID or cfg.X_CLIENT_ID) and not cfg.TOKEN_ENCRYPTION_KEY:
                raise ConfigError("TOKEN_ENCRYPTION_KEY must be set in production when a "
                                  "connector (LINKEDIN_CLIENT_ID, X_CLIENT_ID) is configured")
            if cfg.OIDC_ISSUER and not cfg.OIDC_ISSUER.startswith("https://"):
                raise ConfigError("OIDC_ISSUER must be an https:// URL in production")
        if cfg.TOKEN_ENCRYPTION_KEY and not _fernet_key(cfg.TOKEN_ENCRYPTION_KEY):
            raise ConfigError("TOKEN_ENCRYPTION_KEY must be Fernet keys (comma-separated, newest "
                              "first): 32 bytes in URL-safe "
                              "base64 (44 characters)")
        return cfg

    def as_flask_config(self) -> dict:
        from datetime import timedelta

        values = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        values["REMEMBER_COOKIE_DURATION"] = timedelta(days=self.REMEMBER_COOKIE_DURATION_DAYS)
        values["PERMANENT_SESSION_LIFETIME"] = timedelta(
            hours=self.PERMANENT_SESSION_LIFETIME_HOURS)
        values["MAX_CONTENT_LENGTH"] = self.IMPORT_MAX_BYTES + 64 * 1024
        values["RATELIMIT_STORAGE_URI"] = self.REDIS_URL or "memory://"
        values.update(self.extra)
        return values
