"""Imports every feature's models so that Base.metadata knows all tables
(Alembic, create_all in tests)."""


def import_all_models() -> None:
    import app.accounts.models  # noqa: F401
    import app.audit.models  # noqa: F401
    import app.content.models  # noqa: F401
    import app.jobs.models  # noqa: F401
    import app.sharing.models  # noqa: F401
