"""Writes of messages: checking and saving a message, and sending it as a job."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from academy.errors import ApplicationError
from academy.jobs.handlers import JobFailed
from academy.jobs.models import Job
from academy.jobs.services import job_create
from academy.messaging.models import Delivery, DeliveryStatus, Message
from academy.messaging.providers import Provider, ProviderUnavailable, get_provider
from academy.messaging.ratelimit import RedisTokenBucket
from academy.messaging.recipients import Recipient, RecipientInvalid, parse_recipient
from academy.messaging.tokenbucket import RateLimiter
from academy.messaging.selectors import (
    deliveries_unsent_batch,
    delivery_counts,
    message_get,
    student_parent_phones,
)
from academy.progress.api import ProgressReporter

logger = logging.getLogger(__name__)

MESSAGE_JOB_TYPE = "message_send"
MESSAGE_STEPS = (("sending messages", 1.0),)
# How many invalid recipients a 400 answer lists; the count says how many there are in all.
INVALID_LISTED = 100
SUBJECT_MAX_CHARS = 200  # Message.subject


class MessageInvalid(ApplicationError):
    """The message cannot be sent as asked (400), nothing was saved.

    `listed` holds the offending entries; the answer shows them at the top level (as it
    always has) and their counts in params.
    """

    def __init__(self, code: str, message: str, params: dict[str, Any] | None = None, *,
                 listed: dict[str, Any] | None = None):
        super().__init__(code, message, params)
        self.listed = listed or {}

    def body(self) -> dict[str, Any]:
        return {**super().body(), **self.listed}


# --- starting ---------------------------------------------------------------------------------

def message_send_start(*, tenant_id: int, body: str, subject: str = "", recipients: list | None = None,
                       student_ids: list[int] | None = None, created_by_id: int | None = None) -> Job:
    """Check the message, save it with one PENDING delivery per recipient, and queue the job.

    Recipients are explicit phones or e-mail addresses, or the parents of the tenant's
    students. Raise MessageInvalid, with every reason, before anything is saved or queued.
    """
    body, subject = _text_clean(body=body, subject=subject)
    if (recipients is None) == (student_ids is None):
        raise MessageInvalid("recipients_either_or", "Give either recipients or student_ids (one of them, not both).")
    if recipients is not None:
        targets = recipients_parse(texts=recipients)
    else:
        targets = _student_parents(tenant_id=tenant_id, student_ids=student_ids)
    with transaction.atomic():
        message = Message.objects.create(tenant_id=tenant_id, created_by_id=created_by_id,
                                         subject=subject, body=body)
        Delivery.objects.bulk_create(
            [Delivery(tenant_id=tenant_id, message=message, kind=r.kind, address=r.address) for r in targets],
            batch_size=1000,
        )
        # The job is queued on commit, so the worker always finds the deliveries.
        return job_create(tenant_id=tenant_id, job_type=MESSAGE_JOB_TYPE, payload={"message_id": message.pk},
                          created_by_id=created_by_id, **_message_title(subject=subject, body=body,
                                                                         recipients=len(targets)))


def _message_title(*, subject: str, body: str, recipients: int) -> dict:
    """Return the job's title: the subject, else the body's first line, cut short."""
    text = subject or body.strip().splitlines()[0]
    text = text if len(text) <= 60 else text[:59] + "…"
    return {"title": f"Message: {text} ({recipients} recipients)",
            "title_params": {"text": text, "recipients": recipients}}


def _text_clean(*, body: Any, subject: Any) -> tuple[str, str]:
    if not isinstance(body, str) or not body.strip():
        raise MessageInvalid("body_empty", "The message body is empty.")
    if len(body) > settings.MESSAGING_BODY_MAX_CHARS:
        raise MessageInvalid("body_too_long", f"The message body has {len(body)} characters; "
                                              f"at most {settings.MESSAGING_BODY_MAX_CHARS} are allowed.",
                             {"length": len(body), "limit": settings.MESSAGING_BODY_MAX_CHARS})
    if subject is None:
        subject = ""
    if not isinstance(subject, str):
        raise MessageInvalid("subject_not_text", "The subject must be a string.")
    subject = subject.strip()
    if "\r" in subject or "\n" in subject:
        # A mail header: a line break would end it (and the mail backend refuses to send).
        raise MessageInvalid("subject_not_single_line", "The subject must be a single line.")
    if len(subject) > SUBJECT_MAX_CHARS:
        raise MessageInvalid("subject_too_long", f"The subject has {len(subject)} characters; "
                                                 f"at most {SUBJECT_MAX_CHARS} are allowed.",
                             {"length": len(subject), "limit": SUBJECT_MAX_CHARS})
    return body, subject


def _count_check(count: int, what: str) -> None:
    if count == 0:
        raise MessageInvalid("recipients_empty", f"{what} is empty: nobody to send to.", {"field": what})
    if count > settings.MESSAGING_MAX_RECIPIENTS:
        raise MessageInvalid("recipients_too_many", f"{what} has {count} entries; at most "
                                                    f"{settings.MESSAGING_MAX_RECIPIENTS} per message.",
                             {"field": what, "count": count, "limit": settings.MESSAGING_MAX_RECIPIENTS})


def recipients_parse(*, texts: list) -> list[Recipient]:
    """Return the recipients `texts` name, each once, in order; raise MessageInvalid listing
    every invalid one with its reason."""
    _count_check(len(texts), "recipients")
    parsed: dict[str, Recipient] = {}
    invalid = []
    for index, text in enumerate(texts):
        try:
            recipient = parse_recipient(text)
        except RecipientInvalid as exc:
            invalid.append({"index": index, "recipient": text if isinstance(text, str) else repr(text),
                            "error": str(exc), "code": exc.code, "params": exc.params})
            continue
        parsed.setdefault(_dedupe_key(recipient), recipient)
    if invalid:
        raise MessageInvalid("recipients_invalid",
                             f"{len(invalid)} of {len(texts)} recipients are invalid; nothing was sent.",
                             {"count": len(invalid), "total": len(texts)},
                             listed={"invalid_count": len(invalid), "invalid_recipients": invalid[:INVALID_LISTED]})
    return list(parsed.values())


def _dedupe_key(recipient: Recipient) -> str:
    # "010-1234-5678" and "+82 10 1234 5678" are one parent. A mailbox's local part may be
    # case-sensitive in theory; in practice Mom@ and mom@ are one person, who wants one copy.
    return recipient.address.lower() if recipient.kind == "email" else recipient.address


def _student_parents(*, tenant_id: int, student_ids: list[int]) -> list[Recipient]:
    _count_check(len(student_ids), "student_ids")
    phones = student_parent_phones(tenant_id=tenant_id, student_ids=student_ids)
    unknown = [sid for sid in dict.fromkeys(student_ids) if sid not in phones]
    if unknown:
        # Another tenant's student answers like a missing one.
        raise MessageInvalid("students_unknown",
                             f"{len(unknown)} student ids are unknown (or deleted); nothing was sent.",
                             {"count": len(unknown)}, listed={"unknown_student_ids": unknown[:INVALID_LISTED]})
    parsed: dict[str, Recipient] = {}
    invalid = []
    for sid in dict.fromkeys(student_ids):
        try:
            recipient = parse_recipient(phones[sid])
        except RecipientInvalid as exc:
            invalid.append({"student_id": sid, "recipient": phones[sid], "error": f"parent phone: {exc}",
                            "code": exc.code, "params": exc.params})
            continue
        # Siblings share a parent: the parent gets the message once.
        parsed.setdefault(_dedupe_key(recipient), recipient)
    if invalid:
        raise MessageInvalid("parent_phones_invalid",
                             f"{len(invalid)} students have no valid parent phone; nothing was sent.",
                             {"count": len(invalid), "total": len(phones)},
                             listed={"invalid_count": len(invalid), "invalid_recipients": invalid[:INVALID_LISTED]})
    return list(parsed.values())


# --- sending ----------------------------------------------------------------------------------

@dataclass
class _Batch:
    """The outcome of sending one batch: rows to save and, if it stopped early, why."""

    sent: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    outage: ProviderUnavailable | None = None


def message_send_run(*, tenant_id: int, message_id: int, reporter: ProgressReporter | None = None,
                     provider: Provider | None = None, limiter: RateLimiter | None = None) -> dict:
    """Send the message to every recipient not yet sent to, and return the report.

    Batches of MESSAGING_BATCH_SIZE: one SELECT, then one UPDATE for the sent and one for
    the failed, so statements grow with batches, not recipients. Only PENDING and FAILED
    deliveries are sent: a retried job never sends twice to a recipient already SENT. A
    provider outage saves what was sent and fails the job (JobFailed); a retry continues.
    """
    message = message_get(tenant_id=tenant_id, message_id=message_id)
    if message is None:
        raise JobFailed("message_gone", "The message to send no longer exists.")
    total, already_sent = delivery_counts(message_id=message.pk)
    to_send = total - already_sent
    provider = provider or get_provider()
    limiter = limiter or RedisTokenBucket(tenant_id=tenant_id, rate_per_second=settings.MESSAGING_RATE_PER_SECOND,
                                          burst=settings.MESSAGING_RATE_BURST)
    if reporter is not None:
        reporter.step(0)
    sent, failed, done, after_id = 0, [], 0, 0

    def report(in_batch: int) -> None:
        if reporter is not None:
            reporter.advance(done + in_batch, to_send)

    while batch := deliveries_unsent_batch(message_id=message.pk, after_id=after_id,
                                           size=settings.MESSAGING_BATCH_SIZE):
        after_id = batch[-1].pk
        outcome = _Batch()
        try:
            _batch_send(batch, outcome=outcome, message=message, provider=provider, limiter=limiter,
                        progress=report)
        finally:
            # Saved even when sending raised: a retry must know who already has the message.
            _deliveries_save(outcome)
        sent += len(outcome.sent)
        failed += [{"recipient": d.address, "error": d.error} for d in outcome.failed]
        done += len(outcome.sent) + len(outcome.failed)
        if outcome.outage is not None:
            raise JobFailed("sending_stopped", _outage_reason(outcome.outage, sent=already_sent + sent, total=total),
                            {"reason": outcome.outage.reason, "sent": already_sent + sent, "total": total,
                             "wait_seconds": round(outcome.outage.retry_after) if outcome.outage.retry_after
                             else None})
    return {"sent": sent, "failed": failed, "total": total, "skipped_already_sent": already_sent}


def _batch_send(batch: list[Delivery], *, outcome: _Batch, message: Message, provider: Provider,
                limiter: RateLimiter, progress: Callable[[int], None]) -> None:
    for processed, delivery in enumerate(batch, 1):
        wait = limiter.acquire(1)
        if wait > 0:
            # Real rate limiting: the tenant's bucket says when this send may go out.
            time.sleep(wait)
        try:
            result = provider.send(Recipient(kind=delivery.kind, address=delivery.address),
                                   subject=message.subject, body=message.body, idempotency_key=str(delivery.pk))
        except ProviderUnavailable as exc:
            outcome.outage = exc
            return
        if result.ok:
            delivery.status = DeliveryStatus.SENT
            delivery.provider_message_id = (result.provider_message_id or "")[:255]
            delivery.sent_at = timezone.now()
            delivery.error = ""
            outcome.sent.append(delivery)
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.error = result.error or "the provider gave no reason"
            outcome.failed.append(delivery)
        # Per recipient (the reporter coalesces the writes): at the tenant's rate a batch can
        # take minutes, and progress doubles as the worker's heartbeat.
        progress(processed)


def _deliveries_save(outcome: _Batch) -> None:
    """Save a batch's outcomes: one UPDATE for the sent and one for the failed."""
    if outcome.sent:
        _deliveries_update(outcome.sent, same={"status": DeliveryStatus.SENT, "error": ""},
                           each=["provider_message_id", "sent_at"])
    if outcome.failed:
        _deliveries_update(outcome.failed, same={"status": DeliveryStatus.FAILED}, each=["error"])


def _deliveries_update(rows: list[Delivery], *, same: dict[str, Any], each: list[str]) -> None:
    """UPDATE the rows in one statement: fields in `same` alike, those in `each` per row.

    What bulk_update does (a CASE on the id), written out: bulk_update spends about 1 ms of
    Python per row resolving its CASE (125 ms per batch of 100, measured, against 6 ms).
    Plain CASE syntax, so it runs on PostgreSQL and on the demo's SQLite alike.
    """
    meta, quote = Delivery._meta, connection.ops.quote_name
    pk = quote(meta.pk.column)
    assignments, params = [], []
    for name, value in same.items():
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    for name in each:
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = CASE {pk}{' WHEN %s THEN %s' * len(rows)} END")
        for row in rows:
            params += [row.pk, field.get_db_prep_save(getattr(row, name), connection)]
    params += [row.pk for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "
                       f"WHERE {pk} IN ({', '.join(['%s'] * len(rows))})", params)


def _outage_reason(exc: ProviderUnavailable, *, sent: int, total: int) -> str:
    wait = f" The provider asks to wait {round(exc.retry_after)} s." if exc.retry_after else ""
    return (f"Sending stopped: {exc.reason}.{wait} {sent} of {total} recipients have the message. "
            f"Retry the job to send to the rest: nobody gets it twice.")
