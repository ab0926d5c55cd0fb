"""Events of the registry that the request flow, one floor up, must act on.

The registry of experts cannot import the request flow (imports run engagements -> experts ->
registry), so where a registry step has a consequence there, it sends one signal per event and
engagements.receivers acts on it, inside the same transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that records the withdrawal of the registry consent, with
# `expert` (ExpertProfile) and `by` (the acting user). The expert's open offers must be cancelled.
registry_consent_withdrawn = Signal()
