"""Paths to training pages that services and jobs need (emails, the sharing gate's
"go to the course" link), with or without a request to build them from."""

from __future__ import annotations

from flask import has_request_context, url_for


def course_path(course_id: int) -> str:
    """The course page's path (a job or the scheduled-posting run has no request)."""
    if has_request_context():
        return url_for("training.course", course_id=course_id)
    return f"/training/courses/{course_id}"
