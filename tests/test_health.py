def test_healthz_reports_version_and_database(client):
    from app.version import __version__

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "version": __version__, "database": "ok"}


def test_healthz_reports_a_broken_database(app, tmp_path):
    from app.db import Database

    broken = Database(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    app.extensions["relais_db"] = broken
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "error"
