"""What the request flow does when the registry of experts tells it something (experts.signals)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext as _

from engagements.models import Assignment
from experts.models import ExpertProfile, InvalidTransition
from experts.signals import registry_consent_withdrawn


@receiver(registry_consent_withdrawn, dispatch_uid="engagements.cancel_offers_on_withdrawal")
def cancel_open_offers(sender: Any, expert: ExpertProfile, by: Any, **kwargs: Any) -> None:
    """An expert who leaves the registry is out of matching at once (matching checks consent) and
    their open offers are cancelled; the coordinator is told."""
    open_offers = expert.assignments.filter(
        status__in=[Assignment.Status.OFFERED, Assignment.Status.ACCEPTED]
    ).select_related("request")
    for assignment in open_offers:
        # One already under way (confirmed) stays; the coordinator, who is told, handles it.
        with contextlib.suppress(InvalidTransition):
            assignment.cancel(by, _("The expert left the registry."), only_unconfirmed=True)
