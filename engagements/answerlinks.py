"""The signed, single-use link in an offer e-mail (docs/design.md, "Notifications").

The link names one assignment and a random nonce stored on it. It opens that offer and lets the
expert accept or decline it, nothing else, without a password: the expert has only to tap it on
their phone. It stops working when it is used (the nonce is cleared), when the offer is answered
or closed some other way, and when the time to answer runs out. Everything else needs a sign-in.

Kept apart from the models so that `engagements.notifications` (below the workflow) can make the
link without importing them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "engagements.offer-answer-link"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def sign(assignment_id: int, nonce: str) -> str:
    return signing.dumps({"a": assignment_id, "n": nonce}, salt=SALT, compress=True)


def unsign(token: str) -> tuple[int, str] | None:
    """The assignment id and nonce of a genuine token, or None (forged, altered or garbage)."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("a"), int) or not isinstance(value.get("n"), str):
        return None
    return value["a"], value["n"]


def answer_url(assignment_id: int, nonce: str) -> str:
    """The absolute address for an e-mail."""
    return f"{settings.SITE_URL}{reverse('engagements:offer-link', args=[sign(assignment_id, nonce)])}"


def short_url(assignment_id: int, nonce: str) -> str:
    """The same offer in fewer characters, for a text message (one 160-character part): the
    assignment's id and its nonce in the clear. The nonce is 128 random bits, stored on the
    assignment and spent with the answer, so it needs no signature to be unguessable; the address
    only leads to the signed link (engagements.views.offer_short_link)."""
    return f"{settings.SITE_URL}{reverse('engagements:offer-short-link', args=[assignment_id, nonce])}"
