"""A post's status is derived from its deliveries, never set by hand once it is scheduled."""


def derive_status(post):
    statuses = [delivery.status for delivery in post.deliveries]
    if post.status in ("draft", "cancelled") or not statuses:
        return post.status
    if all(status == "published" for status in statuses):
        return "published"
    if any(status in ("pending", "publishing") for status in statuses):
        started = any(status != "pending" for status in statuses) or any(d.attempt_count for d in post.deliveries)
        return "publishing" if started else "scheduled"
    if all(status == "missed" for status in statuses):
        return "missed"
    if all(status == "cancelled" for status in statuses):
        return "cancelled"
    return "partially_failed" if "published" in statuses else "failed"


def refresh_post_status(post):
    post.status = derive_status(post)
