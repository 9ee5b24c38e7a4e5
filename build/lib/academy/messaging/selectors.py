"""Reads of messages, deliveries, and the parents' phones of students."""
from __future__ import annotations

from django.db.models import Count, Q

from academy.messaging.models import Delivery, DeliveryStatus, Message


def message_get(*, tenant_id: int, message_id: int) -> Message | None:
    """Return the tenant's message, or None."""
    return Message.objects.filter(tenant_id=tenant_id, pk=message_id).first()


def delivery_counts(*, message_id: int) -> tuple[int, int]:
    """Return (deliveries, already sent) of a message in one query."""
    counts = Delivery.objects.filter(message_id=message_id).aggregate(
        total=Count("id"), sent=Count("id", filter=Q(status=DeliveryStatus.SENT)))
    return counts["total"], counts["sent"]


def deliveries_unsent_batch(*, message_id: int, after_id: int, size: int) -> list[Delivery]:
    """Return the next `size` PENDING or FAILED deliveries after `after_id`, in id order.

    Keyset paging: a delivery that fails in this run is FAILED again, and must not come back
    in a later batch of the same run.
    """
    return list(
        Delivery.objects
        .filter(message_id=message_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], pk__gt=after_id)
        .order_by("pk")[:size]
    )


def student_parent_phones(*, tenant_id: int, student_ids: list[int]) -> dict[int, str]:
    """Return {student id: parent phone} of the tenant's active students among `student_ids`."""
    from academy.students.models import Student

    return dict(
        Student.objects.active()
        .filter(tenant_id=tenant_id, pk__in=student_ids)
        .values_list("pk", "parent_phone")
    )
