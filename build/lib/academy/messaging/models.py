"""A message to many recipients, and one delivery row per recipient."""
from django.db import models
from django.db.models import Q


class RecipientKind(models.TextChoices):
    SMS = "sms"
    EMAIL = "email"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class Message(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="messages")
    created_by_id = models.BigIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"message {self.pk} of tenant {self.tenant_id}"


class Delivery(models.Model):
    """One recipient of a message; its id is the provider's idempotency key."""

    # tenant_id is stored on every task row, so no tenant check needs a join. Not indexed: deliveries are always
    # reached through their message, and each index slows the bulk insert of 10,000 rows.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)
    # No index of its own: the (message, address) unique index starts with it.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    kind = models.CharField(max_length=8, choices=RecipientKind.choices)
    address = models.CharField(max_length=254)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    error = models.TextField(blank=True, default="")
    provider_message_id = models.CharField(max_length=255, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "address"], name="delivery_message_address_unique"),
        ]
        indexes = [
            # The sender's batches: the unsent deliveries of one message in id order. Partial:
            # once a message is sent, its rows leave the index.
            models.Index(fields=["message", "id"], name="delivery_unsent",
                         condition=Q(status__in=["PENDING", "FAILED"])),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.address} ({self.status})"
