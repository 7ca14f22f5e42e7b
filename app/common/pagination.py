"""Page-number pagination over a select(), two statements whatever the page size."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(session: Session, stmt: Select, page: int, per_page: int, *, scalars=True) -> Page:
    page = max(1, page)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    result = session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars().unique()) if scalars else list(result)
    return Page(items=items, page=page, per_page=per_page, total=total)
