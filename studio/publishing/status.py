"""A post's status is derived from its deliveries, never set by hand once it is scheduled."""
from studio.publishing.models import DeliveryStatus, Post, PostStatus

STARTED = (DeliveryStatus.PUBLISHING, DeliveryStatus.PUBLISHED, DeliveryStatus.FAILED, DeliveryStatus.UNCONFIRMED)


def derive_status(post: Post) -> PostStatus:
    statuses = [delivery.status for delivery in post.deliveries]
    if post.status == PostStatus.DRAFT or not statuses:
        return post.status
    if all(status == DeliveryStatus.CANCELLED for status in statuses):
        return PostStatus.CANCELLED
    live = [status for status in statuses if status != DeliveryStatus.CANCELLED]
    if all(status == DeliveryStatus.PUBLISHED for status in live):
        return PostStatus.PUBLISHED
    if any(status in (DeliveryStatus.PENDING, DeliveryStatus.PUBLISHING) for status in live):
        started = any(status in STARTED for status in live) or any(d.attempt_count for d in post.deliveries)
        return PostStatus.PUBLISHING if started else PostStatus.SCHEDULED
    if all(status == DeliveryStatus.MISSED for status in live):
        return PostStatus.MISSED
    return PostStatus.PARTIALLY_FAILED if DeliveryStatus.PUBLISHED in live else PostStatus.FAILED


def refresh_post_status(post: Post) -> None:
    post.status = derive_status(post)
