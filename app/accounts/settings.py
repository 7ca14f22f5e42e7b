"""The account rules' settings, read once from the app config and passed to services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class AccountSettings:
    invitation_ttl: timedelta = timedelta(hours=72)
    reset_ttl: timedelta = timedelta(minutes=60)
    password_min_length: int = 12
    max_failures: int = 5
    lock_duration: timedelta = timedelta(minutes=15)
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536

    @classmethod
    def from_config(cls, config) -> "AccountSettings":
        return cls(
            invitation_ttl=timedelta(hours=config["INVITATION_TTL_HOURS"]),
            reset_ttl=timedelta(minutes=config["PASSWORD_RESET_TTL_MINUTES"]),
            password_min_length=config["PASSWORD_MIN_LENGTH"],
            max_failures=config["LOGIN_MAX_FAILURES"],
            lock_duration=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
            argon2_time_cost=config["ARGON2_TIME_COST"],
            argon2_memory_cost=config["ARGON2_MEMORY_COST"],
        )

    @property
    def hash_params(self) -> dict:
        return {"time_cost": self.argon2_time_cost, "memory_cost": self.argon2_memory_cost}


def account_settings() -> AccountSettings:
    """The settings of the running app (views only)."""
    from flask import current_app

    return AccountSettings.from_config(current_app.config)
