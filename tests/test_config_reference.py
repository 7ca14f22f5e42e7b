"""docs/environment.md is generated from config.py and stays current; every variable says
what it does."""

from __future__ import annotations

from pathlib import Path

from app import config_reference

DOC = Path(__file__).resolve().parent.parent / "docs" / "environment.md"


def test_the_environment_reference_is_current():
    assert DOC.read_text() == config_reference.render(), (
        "docs/environment.md is out of date: run "
        "`.venv/bin/python -m app.config_reference > docs/environment.md`")


def test_every_environment_variable_is_explained():
    unexplained = [s.variable for s in config_reference.settings() if not s.meaning]
    assert unexplained == []


def test_variables_are_found_through_locals_and_field_comments():
    source = '''
class Config:
    #: the mode
    ENV: str = "development"
    #: SMTP
    MAIL_SERVER: str = ""
    MAIL_PORT: int = 25

    @classmethod
    def from_env(cls, env):
        mode = env.get("RELAIS_ENV", "development")
        return cls(ENV=mode, MAIL_SERVER=env.get("MAIL_SERVER", ""),
                   MAIL_PORT=int(env.get("MAIL_PORT") or 25))
'''
    found = {s.variable: (s.field, s.default, s.meaning)
             for s in config_reference.settings(source)}
    assert found["RELAIS_ENV"] == ("ENV", '"development"', "the mode")
    assert found["MAIL_PORT"] == ("MAIL_PORT", "25", "SMTP")
