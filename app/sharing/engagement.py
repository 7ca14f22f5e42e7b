"""Engagement snapshots imported from a CSV file, for networks without API access.

Upload → preview (every row validated, per-row errors: unknown share code, bad numbers, bad
date, duplicate row) → confirm. Columns: share_code, taken_at (ISO date or date-time, UTC
unless an offset is given), likes, comments, reshares, impressions. Snapshots are stored
with ``source = "csv"``; importing a row again for the same share and moment updates that
snapshot (the unique constraint on share, taken_at, source), never duplicates it.

Between preview and confirm nothing is stored on the server: the preview page carries the
uploaded text in a signed, compressed, expiring token (bound to the curator who uploaded
it), and confirm validates the rows again against the database as it is then.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import HiddenField
from wtforms.validators import DataRequired

from app.audit.services import record
from app.common.actor import Actor
from app.common.csvutil import decode_csv, open_csv
from app.common.errors import ServiceError
from app.common.templating import format_size
from app.common.web import current_actor, db, render_invalid
from app.db import dialect_insert, utcnow
from app.sharing import bp
from app.sharing.models import EngagementSnapshot, Share

COLUMNS = ("share_code", "taken_at", "likes", "comments", "reshares", "impressions")
METRICS = ("likes", "comments", "reshares", "impressions")
SOURCE = "csv"
#: the Integer columns' upper bound
MAX_COUNT = 2_147_483_647
#: a snapshot may be dated a little ahead of our clock (time zones of the exporting tool)
FUTURE_TOLERANCE = timedelta(hours=1)
#: how long a preview can be confirmed
PREVIEW_MAX_AGE_SECONDS = 3600
_SALT = "relais.sharing.engagement-import"
_CHUNK = 500  # rows per query / INSERT (SQLite parameter limit)
_SPACES = re.compile(r"[\s\u00a0\u202f_']")
_ALIASES = {"code": "share_code", "share": "share_code", "utm_content": "share_code",
            "date": "taken_at", "taken": "taken_at", "shares": "reshares",
            "reposts": "reshares", "retweets": "reshares", "views": "impressions"}


def _column(header: str) -> str:
    key = header.strip().lstrip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(key, key)


@dataclass
class Preview:
    #: valid rows: line, share_code, share_id, taken_at (aware UTC), the metrics, exists
    rows: list[dict] = field(default_factory=list)
    #: rows refused: {"line", "share_code", "errors": [...]}
    errors: list[dict] = field(default_factory=list)
    total: int = 0

    @property
    def updates(self) -> int:
        return sum(1 for r in self.rows if r["exists"])


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    refused: int



def parse_taken_at(raw: str) -> datetime:
    """An ISO date (midnight UTC) or date-time (UTC unless an offset is given)."""
    raw = raw.strip()
    if not raw:
        raise ValueError("empty")
    if len(raw) == 10:
        day = date.fromisoformat(raw)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    value = datetime.fromisoformat(raw)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_count(raw: str) -> int:
    """A non-negative whole number; blank is 0; spaces as thousands separators are allowed."""
    cleaned = _SPACES.sub("", raw)
    if not cleaned:
        return 0
    if not cleaned.isascii() or not cleaned.isdigit():
        raise ValueError(raw)
    value = int(cleaned)
    if value > MAX_COUNT:
        raise ValueError(raw)
    return value


def parse(session: Session, data: bytes, *, max_rows: int, now: datetime | None = None
          ) -> Preview:
    """Validate every row of the file; nothing is written."""
    now = now or utcnow()
    text = decode_csv(data)
    header, reader = open_csv(text, _column)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ServiceError(_("The file needs these columns: %(cols)s. Found: %(found)s.",
                             cols=", ".join(missing), found=", ".join(header) or "—"))
    index = {col: header.index(col) for col in COLUMNS}
    raw_rows: list[tuple[int, dict]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            raw_rows.append((reader.line_num, {
                col: (values[i].strip() if i < len(values) else "") for col, i in index.items()}))
            if len(raw_rows) > max_rows:
                raise ServiceError(_("The file has more than %(n)d rows; split it.", n=max_rows))
    except csv.Error as exc:
        raise ServiceError(_("The file is not a valid CSV file: %(error)s", error=exc)) from None

    codes = list({row["share_code"] for _line, row in raw_rows if row["share_code"]})
    share_ids: dict[str, int] = {}
    for i in range(0, len(codes), _CHUNK):
        share_ids.update(session.execute(
            select(Share.code, Share.id).where(Share.code.in_(codes[i:i + _CHUNK]))).all())

    preview = Preview(total=len(raw_rows))
    first_line: dict[tuple[str, datetime], int] = {}
    for line_no, row in raw_rows:
        problems = []
        code = row["share_code"]
        if not code:
            problems.append(_("share code missing"))
        elif code not in share_ids:
            problems.append(_("unknown share code “%(code)s”", code=code[:40]))
        taken_at = None
        try:
            taken_at = parse_taken_at(row["taken_at"])
        except ValueError:
            problems.append(_("bad date “%(value)s” (use 2026-11-24 or 2026-11-24T09:30:00Z)",
                              value=row["taken_at"][:40]))
        else:
            if taken_at > now + FUTURE_TOLERANCE:
                problems.append(_("date in the future"))
        counts = {}
        for metric in METRICS:
            try:
                counts[metric] = parse_count(row[metric])
            except ValueError:
                problems.append(_("bad number in %(column)s: “%(value)s”", column=metric,
                                  value=row[metric][:40]))
        if code and taken_at is not None:
            key = (code, taken_at)
            if key in first_line:
                problems.append(_("duplicate of line %(line)d", line=first_line[key]))
            else:
                first_line[key] = line_no
        if problems:
            preview.errors.append({"line": line_no, "share_code": code, "errors": problems})
            continue
        preview.rows.append({"line": line_no, "share_code": code, "share_id": share_ids[code],
                             "taken_at": taken_at, "exists": False, **counts})
    _mark_existing(session, preview.rows)
    return preview


def _existing_keys(session: Session, rows: list[dict]) -> set[tuple[int, datetime]]:
    keys: set[tuple[int, datetime]] = set()
    wanted = {(r["share_id"], r["taken_at"]) for r in rows}
    pairs = list(wanted)
    for i in range(0, len(pairs), _CHUNK):
        chunk = pairs[i:i + _CHUNK]
        keys.update(tuple(row) for row in session.execute(
            select(EngagementSnapshot.share_id, EngagementSnapshot.taken_at).where(
                EngagementSnapshot.source == SOURCE,
                EngagementSnapshot.share_id.in_({s for s, _t in chunk}),
                EngagementSnapshot.taken_at.in_({t for _s, t in chunk}))).all())
    return keys & wanted


def _mark_existing(session: Session, rows: list[dict]) -> None:
    existing = _existing_keys(session, rows)
    for row in rows:
        row["exists"] = (row["share_id"], row["taken_at"]) in existing


def _upsert(session: Session, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT (share_id, taken_at, source) DO UPDATE: safe if two curators
    import the same file at once."""
    for i in range(0, len(rows), _CHUNK):
        stmt = dialect_insert(session, EngagementSnapshot).values([
            {"share_id": r["share_id"], "taken_at": r["taken_at"], "source": SOURCE,
             **{m: r[m] for m in METRICS}} for r in rows[i:i + _CHUNK]])
        stmt = stmt.on_conflict_do_update(
            index_elements=["share_id", "taken_at", "source"],
            set_={m: getattr(stmt.excluded, m) for m in METRICS})
        session.execute(stmt)


def apply(session: Session, actor: Actor, preview: Preview, *, filename: str) -> ImportResult:
    """Write the valid rows of ``preview``: new snapshots, or updates of the same ones."""
    if not preview.rows:
        raise ServiceError(_("There is no valid row to import."))
    _mark_existing(session, preview.rows)  # counted again: the database may have moved on
    _upsert(session, preview.rows)
    result = ImportResult(created=len(preview.rows) - preview.updates, updated=preview.updates,
                          refused=len(preview.errors))
    record(session, actor, "engagement.imported", filename=filename[:255],
           created=result.created, updated=result.updated, refused=result.refused)
    session.flush()
    return result


# --- the signed upload carried from preview to confirm --------------------------------------


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def seal_upload(secret_key: str, user_id: int | None, filename: str, data: bytes) -> str:
    return _serializer(secret_key).dumps({"u": user_id, "f": filename[:255],
                                          "d": decode_csv(data)})


def open_upload(secret_key: str, token: str, user_id: int | None, *,
                max_age: int = PREVIEW_MAX_AGE_SECONDS) -> tuple[str, bytes]:
    """The (filename, data) sealed for ``user_id``; ``ServiceError`` if expired or forged."""
    try:
        sealed = _serializer(secret_key).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature
        raise ServiceError(_("This preview has expired. Upload the file again.")) from None
    if sealed.get("u") != user_id:
        raise ServiceError(_("This preview has expired. Upload the file again."))
    return sealed["f"], sealed["d"].encode("utf-8")


# --- pages (curators and admins) -------------------------------------------------------------


class EngagementUploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[
        FileRequired(), FileAllowed(["csv", "txt"], _l("Upload a .csv file."))])


class EngagementConfirmForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired()])


#: preview rows and errors shown at most (the counts cover the whole file)
SHOWN = 500


@bp.route("/curate/engagement/import", methods=["GET", "POST"])
def engagement_import():
    form = EngagementUploadForm()
    if form.validate_on_submit():
        max_bytes = current_app.config["IMPORT_MAX_BYTES"]
        upload = form.file.data
        data = upload.read(max_bytes + 1)
        filename = upload.filename or "engagement.csv"
        if len(data) > max_bytes:
            form.file.errors.append(_("The file is larger than %(size)s.",
                                      size=format_size(max_bytes)))
            return render_invalid("sharing/engagement_import.html", form=form)
        try:
            preview = parse(db(), data, max_rows=current_app.config["IMPORT_MAX_ROWS"])
            token = seal_upload(current_app.config["SECRET_KEY"], current_actor().user_id,
                                filename, data)
        except ServiceError as exc:
            form.file.errors.append(exc.message)
            return render_invalid("sharing/engagement_import.html", form=form)
        if len(token) > current_app.config["MAX_CONTENT_LENGTH"] - 64 * 1024:
            form.file.errors.append(_("The file is too large to preview; split it."))
            return render_invalid("sharing/engagement_import.html", form=form)
        return render_template("sharing/engagement_import_preview.html", filename=filename,
                               preview=preview, rows=preview.rows[:SHOWN],
                               errors=preview.errors[:SHOWN],
                               confirm_form=EngagementConfirmForm(upload=token))
    if form.is_submitted():
        return render_invalid("sharing/engagement_import.html", form=form)
    return render_template("sharing/engagement_import.html", form=form)


@bp.post("/curate/engagement/import/confirm")
def engagement_import_confirm():
    form = EngagementConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    actor = current_actor()
    try:
        filename, data = open_upload(current_app.config["SECRET_KEY"], form.upload.data,
                                     actor.user_id)
        preview = parse(db(), data, max_rows=current_app.config["IMPORT_MAX_ROWS"])
        result = apply(db(), actor, preview, filename=filename)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("sharing.engagement_import")), 303
    flash(_("Engagement imported: %(created)d new snapshots, %(updated)d updated, "
            "%(refused)d rows refused.", created=result.created, updated=result.updated,
            refused=result.refused), "success")
    return redirect(url_for("sharing.engagement_import"))
