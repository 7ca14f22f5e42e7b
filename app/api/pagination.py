"""Page-number pagination for list endpoints, with links in the body and a Link header
(RFC 8288), and the input fields every API schema uses.

``?page=2&per_page=50`` → ``{"items": [...], "page": 2, "per_page": 50, "total": 312,
"pages": 7, "links": {"self", "first", "last", "prev"?, "next"?}}``. Two statements per page
whatever its size (``app.common.pagination.paginate``).
"""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlencode

import marshmallow as ma
from flask import request
from flask_babel import gettext as _
from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.common.pagination import Page, paginate

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
#: ids are 32-bit integers on both databases; a larger one cannot exist
MAX_ID = 2**31 - 1
#: far pages are refused rather than making the database skip millions of rows
MAX_PAGE = 100_000


# --- fields that refuse what a database would choke on -------------------------------------


def _no_control_chars(value: str, *, multiline: bool) -> None:
    allowed = {"\n", "\r", "\t"} if multiline else set()
    if any((ord(c) < 32 or ord(c) == 127) and c not in allowed for c in value):
        raise ma.ValidationError(_("Control characters are not allowed."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \\ud800 escape
        raise ma.ValidationError(_("Invalid character.")) from None


class Text(ma.fields.String):
    """A string without NUL or control characters (PostgreSQL refuses NUL; control
    characters have no place in names and titles); ``multiline`` allows newlines and tabs."""

    #: the same rule, documented (so clients and schemathesis know it up front)
    SINGLE_LINE = r"^[^\u0000-\u001f\u007f]*$"
    MULTILINE = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"

    def __init__(self, *args, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(*args, **kwargs)
        if "format" not in self.metadata and not any(
                isinstance(v, ma.validate.Regexp) for v in self.validators):
            self.metadata = {"pattern": self.MULTILINE if multiline else self.SINGLE_LINE,
                             **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        _no_control_chars(text, multiline=self.multiline)
        return text


class Id(ma.fields.Integer):
    """A row id: 1 … 2³¹-1. A JSON number must be a whole one (no 1.5 silently read as 1);
    in a query string it is written in digits."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        kwargs.setdefault("strict", True)
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class UtcDateTime(ma.fields.AwareDateTime):
    """An ISO-8601 date-time; one without an offset is taken as UTC; years 2000-2199."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(*args, **kwargs)
        description = self.metadata.get("description", "")
        self.metadata = {**self.metadata, "description": (
            description + " ISO 8601 (UTC when no offset is given), years 2000 to 2199."
        ).strip()}

    def _deserialize(self, value, attr, data, **kwargs):
        when = super()._deserialize(value, attr, data, **kwargs)
        if not 2000 <= when.year < 2200:
            raise ma.ValidationError(_("Give a date between the years 2000 and 2199."))
        return when.astimezone(UTC)


def in_range_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


# --- pages ------------------------------------------------------------------------------------


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE),
                             metadata={"description": "Page number, from 1."})
    per_page = ma.fields.Integer(load_default=DEFAULT_PER_PAGE,
                                 validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
                                 metadata={"description": f"Items per page, 1 to {MAX_PER_PAGE}."})


class LinksSchema(ma.Schema):
    self = ma.fields.String(required=True)
    first = ma.fields.String(required=True)
    last = ma.fields.String(required=True)
    prev = ma.fields.String()
    next = ma.fields.String()


_page_schemas: dict[str, type[ma.Schema]] = {}


def page_of(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The schema of a page of ``item_schema`` (one class per name, for the OpenAPI
    components)."""
    if name not in _page_schemas:
        _page_schemas[name] = type(name, (ma.Schema,), {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
            "pages": ma.fields.Integer(required=True),
            "links": ma.fields.Nested(LinksSchema, required=True),
        })
    return _page_schemas[name]


def _url(page: int, per_page: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
    args += [("page", str(page)), ("per_page", str(per_page))]
    return f"{request.path}?{urlencode(args)}"


def page_body(page: Page, items: list) -> tuple[dict, dict]:
    """The body of a page and its headers (Link, X-Total-Count)."""
    links = {"self": _url(page.page, page.per_page), "first": _url(1, page.per_page),
             "last": _url(page.pages, page.per_page)}
    if page.has_prev:
        links["prev"] = _url(min(page.page - 1, page.pages), page.per_page)
    if page.has_next:
        links["next"] = _url(page.page + 1, page.per_page)
    link_header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items()
                            if rel != "self")
    body = {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages, "links": links}
    return body, {"Link": link_header, "X-Total-Count": str(page.total)}


def paginated(session: Session, stmt: Select, args: dict) -> Page:
    return paginate(session, stmt, args["page"], args["per_page"])
