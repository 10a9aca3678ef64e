"""The ranks of a workspace's team. Higher outranks lower; each role may do everything the roles
below it may."""
from studio.accounts.models import Membership, Role

ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(reversed(Role))}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[minimum]


def may_manage(actor: Membership, target: Membership) -> bool:
    """Admins manage editors and viewers; only owners manage owners and admins."""
    if not role_at_least(actor.role, "admin"):
        return False
    return actor.role == "owner" or not role_at_least(target.role, "admin")
