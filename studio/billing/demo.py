"""The billing demo: Northwind Creators on the Agency plan, part-way through this month's allowance
(added to what the rest of the demo counted as it went, such as the library's uploads)."""
from typing import TYPE_CHECKING

from studio.billing import service
from studio.billing.service import Counted
from studio.extensions import db

if TYPE_CHECKING:
    from studio.accounts.models import Workspace

THIS_MONTH = {Counted.GENERATIONS: 137, Counted.SCHEDULED_POSTS: 42, Counted.UPLOADS: 18}


def seed_billing(workspace: "Workspace") -> None:
    service.assign_plan(workspace, "agency")
    for what, amount in THIS_MONTH.items():
        service.take(workspace, what, amount, commit=False)
    db.session.commit()
