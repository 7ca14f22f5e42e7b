"""Imports every feature's models so that Base.metadata knows all tables
(Alembic, create_all in tests)."""


def import_all_models() -> None:
    import app.accounts.models  # noqa: F401
    import app.accounts.sso_models  # noqa: F401
    import app.analytics.models  # noqa: F401
    import app.api.models  # noqa: F401
    import app.audit.models  # noqa: F401
    import app.content.models  # noqa: F401
    import app.gamification.models  # noqa: F401
    import app.jobs.models  # noqa: F401
    import app.notifications.models  # noqa: F401
    import app.sharing.models  # noqa: F401
    import app.training.models  # noqa: F401
