"""Races on a mobile number's verification (PostgreSQL): two tabs, or a script, at the same moment.

Each step runs in threads with their own database connections, released together by a barrier,
through the functions the views call. SQLite runs one writer at a time, so these need PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections

from experts.models import ExpertProfile
from registry import sms, textmessages
from registry.models import AuditEvent, MobileVerification, OutgoingMessage, User

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("data_migration_rows"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need concurrent writers and row locks: PostgreSQL (set DATABASE_URL)",
    ),
]

NUMBER = "+358401234567"
RACES = 20


def together(steps: list[Callable[[], Any]]) -> Counter[str]:
    """Run the steps at once, each in its own thread and connection; count how each ended."""
    barrier = threading.Barrier(len(steps))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(step: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            try:
                step()
                outcome = "done"
            except textmessages.TooManyCodes:
                outcome = "limited"
            except textmessages.VerificationError:
                outcome = "refused"
            with lock:
                outcomes[outcome] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def confirm(user_id: int, code: str) -> str:
    # Loaded in the thread, as a view loads request.user.
    return textmessages.confirm(User.objects.get(pk=user_id), code)


def fresh_code(user: User) -> str:
    MobileVerification.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(mobile_number="", mobile_verified_at=None)
    sms.outbox.clear()
    textmessages.start(user, NUMBER)  # autocommit: the code's text goes at once
    return next(w for w in sms.outbox[-1]["text"].replace(".", " ").split() if w.isdigit() and len(w) == 6)


def test_two_tabs_typing_the_right_code_at_once_verify_once(expert: ExpertProfile) -> None:
    user = expert.user
    for _ in range(RACES):
        code = fresh_code(user)
        before = AuditEvent.objects.filter(detail="mobile number verified").count()
        outcomes = together([partial(confirm, user.pk, code)] * 2)
        assert outcomes == Counter({"done": 1, "refused": 1})
        assert AuditEvent.objects.filter(detail="mobile number verified").count() == before + 1
        assert User.objects.get(pk=user.pk).mobile_number == NUMBER


def test_parallel_wrong_guesses_never_get_past_the_bound(expert: ExpertProfile) -> None:
    user = expert.user
    threads = textmessages.MAX_ATTEMPTS + 3
    for _ in range(RACES // 4):
        code = fresh_code(user)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        guesses = [partial(confirm, user.pk, wrong)] * (threads - 1)
        # The right code among the wrong ones: it may win only while tries are left.
        outcomes = together([*guesses, partial(confirm, user.pk, code)])
        verification = MobileVerification.objects.get(user=user)
        assert verification.attempts <= textmessages.MAX_ATTEMPTS
        if outcomes["done"]:
            assert verification.verified_at is not None and outcomes["done"] == 1
        else:
            assert verification.attempts == textmessages.MAX_ATTEMPTS
            assert User.objects.get(pk=user.pk).mobile_number == ""


def test_asking_for_codes_in_parallel_sends_one(expert: ExpertProfile) -> None:
    user = expert.user
    outcomes = together([lambda: textmessages.start(User.objects.get(pk=user.pk), NUMBER)] * 4)
    assert outcomes == Counter({"done": 1, "limited": 3})
    assert MobileVerification.objects.filter(user=user).count() == 1
    assert OutgoingMessage.objects.filter(channel="text", user=user).count() == 1
