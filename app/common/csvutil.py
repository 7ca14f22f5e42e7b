"""Formula-safe CSV writing (cells that a spreadsheet would run are neutralised)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_DANGEROUS_PREFIXES):
        return "'" + text
    return text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def decode_csv(data: bytes) -> str:
    """An uploaded CSV file as text: UTF-8 (with or without BOM), else Windows-1252."""
    from flask_babel import gettext as _

    from app.common.errors import ServiceError

    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError(_("The file is not a text CSV file (use UTF-8)."))


def open_csv(text: str, normalise_header) -> tuple[list[str], "csv.reader"]:
    """(header row passed through ``normalise_header``, reader over the data rows); the
    delimiter (comma, semicolon or tab) is sniffed from the start of the file."""
    from flask_babel import gettext as _

    from app.common.errors import ServiceError

    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [normalise_header(h) for h in next(reader)]
    except StopIteration:
        raise ServiceError(_("The file is empty.")) from None
    except csv.Error as exc:
        raise ServiceError(_("The file is not a valid CSV file: %(error)s", error=exc)) from None
    return header, reader
