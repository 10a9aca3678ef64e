"""The billing demo: Northwind Creators on the Agency plan. Its meters show what the rest of the demo
really did this month (the library's uploads, the posts it scheduled); nothing is made up, so AI
generations stay at nought until a model is set up and used."""
from typing import TYPE_CHECKING

from studio.billing import service

if TYPE_CHECKING:
    from studio.accounts.models import Workspace


def seed_billing(workspace: "Workspace") -> None:
    service.assign_plan(workspace, "agency")
