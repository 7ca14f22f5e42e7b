"""Small units: formula-safe CSV cells, Markdown sanitising, invite-line parsing,
pagination."""

from __future__ import annotations

import csv
import io
import re

import pytest
from markupsafe import Markup
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import parse_invite_lines
from app.common.csvutil import csv_text, safe_cell
from app.common.markdown import render_markdown
from app.common.pagination import Page, paginate
from tests.factories import UserFactory

# --- csvutil -------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"),
    ("+33 6 12", "'+33 6 12"),
    ("-5", "'-5"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\tindent", "'\tindent"),
    ("\rreturn", "'\rreturn"),
    ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
    ("Ada Lovelace", "Ada Lovelace"),
    ("a=b", "a=b"),  # only the first character matters
    ("", ""),
    (None, ""),
    (42, "42"),
    (-3, "'-3"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_text_neutralises_every_cell_and_quotes_properly():
    text = csv_text(["=header", "name"], [["=cmd|' /C calc'!A0", "Smith, Jr."],
                                          [None, 'He said "hi"']])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=header", "name"], ["'=cmd|' /C calc'!A0", "Smith, Jr."],
                    ["", 'He said "hi"']]


def test_csv_text_accepts_a_generator():
    text = csv_text(["n"], ([i] for i in range(3)))
    assert text.splitlines() == ["n", "0", "1", "2"]


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_renders_the_usual_formatting():
    html = render_markdown("# Title\n\n**bold** *it* ~~gone~~\n\n- one\n- two\n\n`code`")
    assert isinstance(html, Markup)
    for fragment in ("<h1>Title</h1>", "<strong>bold</strong>", "<em>it</em>",
                     "<s>gone</s>", "<li>one</li>", "<code>code</code>"):
        assert fragment in html


def test_markdown_tables_render():
    html = render_markdown("| a | b |\n|---|--:|\n| 1 | 2 |")
    assert "<table>" in html and "<td>1</td>" in html


def test_raw_html_is_shown_as_text():
    html = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("source", [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox)",
    "![img](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x](ftp://files.example/a)",
    "[x](mailto:someone@acme.example)",
    "![img](data:image/png;base64,iVBORw0KGgo=)",
])
def test_only_http_links_survive(source):
    html = str(render_markdown(source))
    urls = re.findall(r'(?:href|src)="([^"]*)"', html)
    schemes = [m.group(1).lower() for u in urls if (m := re.match(r"([a-zA-Z][\w+.-]*):", u))]
    assert set(schemes) <= {"http", "https"}, html
    assert "<script" not in html


def test_http_links_get_safe_rel():
    html = render_markdown("[site](https://acme.example/a?b=1&c=2 \"t\")")
    assert 'href="https://acme.example/a?b=1&amp;c=2"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'title="t"' in html


def test_markdown_of_nothing():
    assert render_markdown(None) == "" and render_markdown("") == ""


# --- parse_invite_lines -----------------------------------------------------------------------


def test_parse_invite_lines_separators_and_blank_lines():
    text = ("ada@acme.example, Ada Lovelace\n"
            "\n"
            "  bob@acme.example;Bob Bernard  \r\n"
            "carol@acme.example\tCarol Chen\n"
            "dave@acme.example\n"
            "   \n"
            "eve@acme.example, Eve, Jr.\n")
    assert parse_invite_lines(text) == [
        ("ada@acme.example", "Ada Lovelace"),
        ("bob@acme.example", "Bob Bernard"),
        ("carol@acme.example", "Carol Chen"),
        ("dave@acme.example", ""),
        ("eve@acme.example", "Eve, Jr."),  # only the first separator splits
    ]


def test_parse_invite_lines_empty_input():
    assert parse_invite_lines("") == []
    assert parse_invite_lines(None) == []
    assert parse_invite_lines("\n \n\t\n") == []


def test_parse_invite_lines_keeps_bad_lines_for_the_report():
    assert parse_invite_lines("not an email, Someone") == [("not an email", "Someone")]
    assert parse_invite_lines(", Only Name") == [("", "Only Name")]


# --- pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize("total, per_page, page, pages, has_prev, has_next", [
    (0, 25, 1, 1, False, False),
    (25, 25, 1, 1, False, False),
    (26, 25, 1, 2, False, True),
    (26, 25, 2, 2, True, False),
    (100, 10, 5, 10, True, True),
    (100, 10, 11, 10, True, False),
])
def test_page_properties(total, per_page, page, pages, has_prev, has_next):
    p = Page(items=[], page=page, per_page=per_page, total=total)
    assert (p.pages, p.has_prev, p.has_next) == (pages, has_prev, has_next)


def test_paginate_slices_a_select_and_counts_everything(db):
    for i in range(7):
        UserFactory(name=f"Unit {i}")
    stmt = select(User).order_by(User.name)

    first = paginate(db, stmt, 1, 3)
    last = paginate(db, stmt, 3, 3)
    beyond = paginate(db, stmt, 4, 3)
    below = paginate(db, stmt, -2, 3)

    assert [u.name for u in first.items] == ["Unit 0", "Unit 1", "Unit 2"]
    assert first.total == 7 and first.pages == 3 and first.has_next
    assert [u.name for u in last.items] == ["Unit 6"] and not last.has_next
    assert beyond.items == [] and beyond.total == 7
    assert below.page == 1 and [u.name for u in below.items] == ["Unit 0", "Unit 1", "Unit 2"]


def test_paginate_rows_instead_of_objects(db):
    UserFactory(name="Row One", email="row1@acme.test")
    page = paginate(db, select(User.name, User.email).where(User.name == "Row One"), 1, 10,
                    scalars=False)
    assert [tuple(r) for r in page.items] == [("Row One", "row1@acme.test")]
    assert page.total == 1


def test_markdown_drops_relative_and_protocol_relative_links():
    """Regression: only absolute http(s) links render (//host would borrow our scheme)."""
    from app.common.markdown import render_markdown

    html = str(render_markdown("[a](//evil.example/x) [b](/local) [c](https://ok.example/)"
                               " ![i](//img.example/p.png)"))
    assert "evil.example" not in html and 'href="/local"' not in html
    assert 'href="https://ok.example/"' in html and "img.example" not in html


def test_format_size_reads_well_below_one_megabyte(app):
    """Regression: the import size limit said "0 MB" for limits under 1 MiB."""
    from app.common.templating import format_size

    with app.test_request_context():
        assert format_size(200 * 1024) == "200 KB"
        assert format_size(5 * 1024 * 1024) == "5 MB"


def test_emails_render_outside_a_web_request(app, db):
    """Regression: the template context read current_user, which is None in jobs/CLI."""
    from flask import has_request_context

    from app.content.emails import suggestion_outcome
    from app.content.models import ContentItem
    from tests.factories import UserFactory

    assert not has_request_context()
    user = UserFactory(language="fr")
    item = ContentItem(title="Nos résultats", url="https://acme.example/r", slug="r")
    email = suggestion_outcome(app.extensions["relais_mailer"], user, item, accepted=True)
    assert "https://acme.example/r" in email.text and email.html
