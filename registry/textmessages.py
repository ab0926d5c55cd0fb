"""A person's mobile number for text messages: verified with a one-time code, removable at any time.

The number becomes the person's (`User.mobile_number`) only when they type back the code sent to
it, so nobody can have text messages sent to someone else's phone by typing in their number.

- A code is six digits, lives CODE_LIFETIME, and allows MAX_ATTEMPTS tries; asking for a new one
  ends the old one.
- Codes cost money and reach a phone that may not be the asker's: at most MAX_CODES_PER_DAY per
  person and MAX_CODES_PER_NUMBER_PER_DAY per number (whoever asks), one a minute at most.
- Every step locks its row: two tabs typing the right code verify once, and parallel wrong guesses
  cannot get past the bound (each try is counted under the row's lock and committed even when the
  code is wrong).
- The code's text message is sent at once (urgent: the person is waiting) through the same kept
  rows and worker as every other message (registry.mail.send_text_message).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import sms
from registry.mail import VERIFICATION_TEMPLATE, send_text_message
from registry.models import AuditEvent, MobileVerification, User

CODE_LIFETIME = sms.CODE_LIFETIME
MAX_ATTEMPTS = 5
MAX_CODES_PER_DAY = 5
MAX_CODES_PER_NUMBER_PER_DAY = 3
RESEND_AFTER = dt.timedelta(seconds=60)


class VerificationError(Exception):
    """A step that cannot be taken, with a message for the person (translated)."""


class TooManyCodes(VerificationError):
    """A rate limit: the person (or the number) has had enough codes for now."""


def _hash(user_id: int, number: str, code: str) -> str:
    return salted_hmac("registry.textmessages.code", f"{user_id}:{number}:{code}", algorithm="sha256").hexdigest()


def start(user: User, number: str, now: dt.datetime | None = None) -> MobileVerification:
    """Send a code to `number` (E.164, already validated). Raises VerificationError."""
    now = now or timezone.now()
    day_ago = now - dt.timedelta(days=1)
    with transaction.atomic():
        # The person's row is the lock that makes "count, then create" one step for them.
        account = User.objects.select_for_update().get(pk=user.pk)
        # A number the provider refused may be verified again (the phone may work now).
        if account.mobile_number == number and account.text_number():
            raise VerificationError(_("This number is already verified."))
        mine = MobileVerification.objects.filter(user=account, created_at__gte=day_ago)
        if mine.filter(created_at__gt=now - RESEND_AFTER).exists():
            raise TooManyCodes(_("A code was just sent. Wait a minute before asking for a new one."))
        if mine.count() >= MAX_CODES_PER_DAY:
            raise TooManyCodes(_("You have asked for too many codes today. Try again tomorrow."))
        if MobileVerification.objects.filter(number=number, created_at__gte=day_ago).count() >= (
            MAX_CODES_PER_NUMBER_PER_DAY
        ):
            raise TooManyCodes(_("Too many codes have been sent to this number today. Try again tomorrow."))
        # A new code ends the earlier ones.
        MobileVerification.objects.filter(user=account, verified_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        code = f"{secrets.randbelow(10**6):06d}"
        verification = MobileVerification.objects.create(
            user=account,
            number=number,
            code_hash=_hash(account.pk, number, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        with translation.override(account.preferred_language):
            text = str(CODE_TEXT) % {"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)}
            subject = _("Code to verify the mobile number")
        send_text_message(
            account, text, template=VERIFICATION_TEMPLATE, subject=subject, to=number, urgent=True, now=now
        )
        AuditEvent.record(account, AuditEvent.Action.CHANGE, account, "mobile number verification code sent")
    return verification


# The code and nothing else: no name, no service details beyond what the person just asked for.
CODE_TEXT = gettext_lazy(
    "Your code for the experts-by-experience service is %(code)s. It is valid for %(minutes)s min."
)


def confirm(user: User, code: str, now: dt.datetime | None = None) -> str:
    """Check the code against the person's newest open verification; on success the number is
    theirs and is returned. Raises VerificationError (a wrong try is counted and kept)."""
    now = now or timezone.now()
    error = ""
    with transaction.atomic():
        verification = (
            MobileVerification.objects.select_for_update()
            .filter(user=user, verified_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if verification is None or verification.expires_at <= now:
            error = _("The code has expired or was replaced by a newer one. Ask for a new code.")
        elif verification.attempts >= MAX_ATTEMPTS:
            error = _("Too many wrong tries. Ask for a new code.")
        else:
            verification.attempts += 1
            if constant_time_compare(verification.code_hash, _hash(user.pk, verification.number, code)):
                verification.verified_at = now
                verification.save(update_fields=["attempts", "verified_at"])
                account = User.objects.select_for_update().get(pk=user.pk)
                account.mobile_number = verification.number
                account.mobile_verified_at = now
                # The code arrived: the number receives text messages, whatever was reported before.
                account.mobile_undeliverable_at = None
                account.mobile_undeliverable_reason = ""
                account.save(
                    update_fields=[
                        "mobile_number",
                        "mobile_verified_at",
                        "mobile_undeliverable_at",
                        "mobile_undeliverable_reason",
                    ]
                )
                AuditEvent.record(user, AuditEvent.Action.CHANGE, account, "mobile number verified")
                user.mobile_number, user.mobile_verified_at = account.mobile_number, now
                user.mobile_undeliverable_at = account.mobile_undeliverable_at
                return verification.number
            # Counted and committed: the bound holds however the tries arrive.
            verification.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - verification.attempts
            error = (
                _("The code is not right. You have %(left)s tries left.") % {"left": left}
                if left
                else _("Too many wrong tries. Ask for a new code.")
            )
    raise VerificationError(error)


def pending(user: User, now: dt.datetime | None = None) -> MobileVerification | None:
    """The open verification the person can still type a code for."""
    now = now or timezone.now()
    return (
        MobileVerification.objects.filter(
            user=user, verified_at__isnull=True, expires_at__gt=now, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def remove(user: User) -> bool:
    """The person stops text messages altogether: the number is forgotten, open codes end, and
    text messages not yet sent to it are not sent (registry.mail checks the number at sending)."""
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=user.pk)
        MobileVerification.objects.filter(user=account, verified_at__isnull=True).update(expires_at=timezone.now())
        if not account.mobile_number:
            return False
        account.mobile_number = ""
        account.mobile_verified_at = None
        account.save(update_fields=["mobile_number", "mobile_verified_at"])
        AuditEvent.record(user, AuditEvent.Action.CHANGE, account, "mobile number removed")
    user.mobile_number, user.mobile_verified_at = "", None
    return True
