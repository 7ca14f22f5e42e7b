"""Forms of the share flow (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.sharing.networks import SHARE_NETWORKS

#: a guard against absurd bodies; the network's own limit is checked by the service
#: (services.final_text), which knows how each network counts
TEXT_MAX = 70_000


class ShareForm(FlaskForm):
    #: a key of SHARE_NETWORKS (the page sends it as a hidden field)
    network = StringField(_l("Network"), validators=[
        DataRequired(), AnyOf(list(SHARE_NETWORKS), message=_l("Unknown network."))])
    #: ignored by the service when the item's text is locked
    text = TextAreaField(_l("Your text"), validators=[Optional(), Length(max=TEXT_MAX)])
