"""Column helpers shared by the models."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def str_enum(enum_cls: type[enum.Enum], name: str, length: int = 16) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda cls: [member.value for member in cls],
    )
