"""Settings of the benchmark servers: the project's settings plus the bare page and the timing header.

Used only by `manage.py bench` (through DJANGO_SETTINGS_MODULE); production never loads this module,
so the bare page and the header exist only in benchmark runs.
"""

from __future__ import annotations

from registry.settings import *  # noqa: F403
from registry.settings import MIDDLEWARE

ROOT_URLCONF = "engagements.bench.urls"
# Outermost, so the time and the query count cover every other middleware (sessions, auth, MFA).
MIDDLEWARE = ["engagements.bench.middleware.ServerTimingMiddleware", *MIDDLEWARE]
