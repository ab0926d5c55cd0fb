from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The read API for the area's own systems (docs/api.md). No models: tokens are the core's."""

    name = "api"
    verbose_name = _("API")
