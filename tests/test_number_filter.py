"""The ``number`` filter's fast path gives exactly what babel gives, in every language
(app/common/templating.py)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from flask_babel import force_locale, format_decimal

from app.common.templating import format_number


@pytest.mark.parametrize("locale", ["en", "fr", "de", "hi", "fr_CH"])
def test_the_fast_path_equals_babel(app, locale):
    rng = random.Random(locale)
    values = [0, 1, 999, 1000, 1001, 10**6, 10**12, -5, -1234, 12.5, Decimal("1234.50"),
              *(rng.randrange(10 ** rng.randrange(1, 13)) for _ in range(300))]
    with app.test_request_context("/"), force_locale(locale):
        for value in values:
            assert format_number(value) == format_decimal(value), value
        assert format_number(None) == "0"


def test_pages_use_it(app):
    assert app.jinja_env.filters["number"] is format_number
