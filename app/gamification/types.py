"""What the award pipeline hands to leaderboards and challenges once an event is counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.gamification.models import Action


@dataclass(frozen=True)
class Counted:
    """An event whose ledger entry was just written (so it is counted exactly once).

    ``app.gamification.services`` adds it to the person's ``PeriodTotal`` rows and hands
    the batch to ``app.gamification.challenges.apply_counted``.
    """

    user_id: int
    action: Action
    occurred_at: datetime
    #: the points actually paid (0 when capped or the rule is off; negative corrections)
    points: int
    #: the content item behind the event (shares, clicks, conversions), else None
    item_id: int | None = None
    shares: int = 0
    unique_clicks: int = 0
    conversions: int = 0
    reach: int = 0
