"""A post's status is derived from its deliveries, never set by hand once it is scheduled."""

STARTED = ("publishing", "published", "failed", "unconfirmed")


def derive_status(post):
    statuses = [delivery.status for delivery in post.deliveries]
    if post.status == "draft" or not statuses:
        return post.status
    if all(status == "cancelled" for status in statuses):
        return "cancelled"
    live = [status for status in statuses if status != "cancelled"]
    if all(status == "published" for status in live):
        return "published"
    if any(status in ("pending", "publishing") for status in live):
        started = any(status in STARTED for status in live) or any(d.attempt_count for d in post.deliveries)
        return "publishing" if started else "scheduled"
    if all(status == "missed" for status in live):
        return "missed"
    return "partially_failed" if "published" in live else "failed"


def refresh_post_status(post):
    post.status = derive_status(post)
