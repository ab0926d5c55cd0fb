"""Every few minutes: send again the e-mail that has not gone yet, and forget old sent e-mail.

Safe to run as often as you like, from one scheduler or several (registry.mail explains why).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from registry.mail import forget_sent, retry_due


class Command(BaseCommand):
    help = "Enqueues e-mail whose retry time has come or whose task was lost; deletes old sent e-mail."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = retry_due()
        forgotten = forget_sent()
        if options["verbosity"] >= 1:
            self.stdout.write(f"{queued} messages queued again, {forgotten} old sent messages forgotten")
