"""Forms and form helpers shared by every feature."""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """An empty form: a POST button protected by the CSRF token."""


def require_post_form() -> None:
    """Refuse (400) a button POST whose CSRF token does not check out."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
