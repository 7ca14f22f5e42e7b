"""Uploaded images (content items, course covers): checked by their first bytes, stored
under a fresh random name in one folder, served only by that name.

Shared by app/content (item images) and app/training (course covers); the files are
served by ``content.uploaded_image`` (``/uploads/content/<name>``).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

#: uploaded images: at most this many bytes, of one of these kinds (by their first bytes)
MAX_IMAGE_BYTES = 2 * 1024 * 1024
#: the names Relais gives uploaded files (anything else is never served)
UPLOAD_NAME = re.compile(r"[A-Za-z0-9_-]{16,64}\.(png|jpg|webp|gif)")
UPLOAD_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp",
                "gif": "image/gif"}


def image_kind(head: bytes) -> str | None:
    """"png", "jpg", "webp" or "gif" from a file's first bytes (never from its name)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def validate_image_field(field) -> None:
    """WTForms inline validator body for an image FileField: sets ``field.image`` to
    ``(kind, bytes)`` for a valid upload, ``field.data`` to None without one."""
    upload = field.data
    if not upload or not getattr(upload, "filename", ""):
        field.data = None
        return
    content = upload.stream.read(MAX_IMAGE_BYTES + 1)
    if len(content) > MAX_IMAGE_BYTES:
        raise ValidationError(_l("The image is larger than 2 MB."))
    kind = image_kind(content[:16])
    if kind is None:
        raise ValidationError(_l("Upload a PNG, JPEG, WebP or GIF image."))
    #: what the view stores: (kind, bytes)
    field.image = (kind, content)


def pending_upload(field) -> tuple[str, bytes] | None:
    """(file name, bytes) of a checked upload, with a fresh random name; None without one."""
    image = getattr(field, "image", None)
    if image is None:
        return None
    kind, content = image
    return f"{secrets.token_urlsafe(18)}.{kind}", content


def upload_dir() -> Path:
    configured = current_app.config.get("CONTENT_UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads" / \
        "content"


def store_upload(name: str, content: bytes) -> None:
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
