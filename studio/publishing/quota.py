"""Daily API quotas (YouTube's 10,000 units): a ledger per platform per day in the platform's own
quota zone. Units are reserved before the call, in one conditional UPDATE, so workers running at
once never spend more than the day allows."""
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.platforms.base import Platform
from studio.publishing.models import QuotaLedger


def reserve(platform: Platform, now: datetime | None = None) -> dict[str, Any] | None:
    """Spend a publish's units; None when done, or {"until", "reason"} when the day is used up."""
    rule = platform.quota()
    if rule is None:
        return None
    cost, limit, zone = rule
    local = (now or utcnow()).astimezone(ZoneInfo(zone))
    day = local.date().isoformat()
    ensure_row(platform.key, day, limit)
    spent = changed_rows(db.session.execute(
        update(QuotaLedger).where(QuotaLedger.platform == platform.key, QuotaLedger.day == day,
                                  QuotaLedger.units_used + cost <= QuotaLedger.units_limit)
        .values(units_used=QuotaLedger.units_used + cost)
    ))
    db.session.commit()
    if spent == 1:
        return None
    reset = datetime.combine(local.date() + timedelta(days=1), time(0, 0), ZoneInfo(zone))
    return {"until": reset.astimezone(ZoneInfo("UTC")),
            "reason": f"{platform.name}'s daily quota ({limit:,} units) is used up; waiting for the reset at "
                      f"midnight {zone.split('/')[-1].replace('_', ' ')} time."}


def ensure_row(platform_key: str, day: str, limit: int) -> None:
    exists = db.session.execute(
        select(QuotaLedger.id).where(QuotaLedger.platform == platform_key, QuotaLedger.day == day)
    ).first()
    if exists:
        return
    try:
        db.session.add(QuotaLedger(platform=platform_key, day=day, units_used=0, units_limit=limit))
        db.session.commit()
    except IntegrityError:  # another worker made it first
        db.session.rollback()


def used(platform_key: str, day: str) -> int:
    row = db.session.execute(
        select(QuotaLedger).where(QuotaLedger.platform == platform_key, QuotaLedger.day == day)
    ).scalar_one_or_none()
    return row.units_used if row else 0
