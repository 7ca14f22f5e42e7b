"""Demo data: once every other seeder has written its shares, clicks, conversions,
engagement snapshots and points, the rollups are built from them (a rebuild, which also
sets the tally's watermark so the scheduled job carries on from there)."""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from app.analytics import services
from app.db import utcnow
from app.demo import demo_seeder


@demo_seeder
def seed_analytics(db: Session, rng: random.Random) -> None:
    services.rebuild(db, utcnow())
