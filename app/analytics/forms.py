"""The admin form of network values (CPM, CPC, CPE per network) and currency."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField
from wtforms.validators import InputRequired, NumberRange

from app.accounts.forms import as_choices
from app.analytics.services import MAX_VALUE, currency_codes
from app.analytics.values import Value

METRIC_LABELS = {"cpm": _l("Cost per 1,000 impressions (CPM)"),
                 "cpc": _l("Cost per click (CPC)"),
                 "cpe": _l("Cost per engagement (CPE)")}


class LocaleDecimalField(DecimalField):
    """A decimal that also accepts a decimal comma (French)."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [v.replace(",", ".").replace("\u202f", "").replace(" ", "")
                         for v in valuelist]
        super().process_formdata(valuelist)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else display(self.data)


def display(value: Decimal) -> str:
    """30.0000 → "30.00", 0.1250 → "0.125": no trailing zeros past the cents."""
    cents = value.quantize(Decimal("0.01"))
    if cents == value:
        return str(cents)
    return format(value.normalize(), "f")


def currency_choices():
    from babel.numbers import get_currency_name

    locale = str(get_locale() or "en")
    return as_choices([(code, f"{code} — {get_currency_name(code, locale=locale)}")
                       for code in currency_codes()])


class ValuesForm(FlaskForm):
    currency = SelectField(_l("Currency"), validators=[InputRequired()])


def values_form(networks: list[str], values: dict[str, Value], currency: str) -> ValuesForm:
    """The form with one CPM, CPC and CPE field per network, filled with ``values``."""

    class Form(ValuesForm):
        pass

    data = {"currency": currency}
    for network in networks:
        for metric, label in METRIC_LABELS.items():
            name = f"{metric}_{network}"
            setattr(Form, name, LocaleDecimalField(
                label, places=None,
                validators=[InputRequired(_l("Enter a value (0 for none).")),
                            NumberRange(min=0, max=MAX_VALUE,
                                        message=_l("Between 0 and 1,000,000."))],
                render_kw={"inputmode": "decimal", "autocomplete": "off"}))
            data[name] = getattr(values[network], metric)
    form = Form(data=data)
    form.currency.choices = currency_choices()
    return form


def submitted_values(form: ValuesForm, networks: list[str]) -> dict[str, Value]:
    return {network: Value(*(getattr(form, f"{metric}_{network}").data
                             for metric in ("cpm", "cpc", "cpe")))
            for network in networks}
