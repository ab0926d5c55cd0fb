from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementsConfig(AppConfig):
    name = "engagements"
    verbose_name = _("Engagements")
    # This app's part of the inventory of personal data (registry/privacy.py), set once models load.
    personal_data: list[Any] = []
    not_personal_models: tuple[str, ...] = ()

    def ready(self) -> None:
        # Connects the receivers of the registry's events (experts.signals).
        from engagements import personal_data, receivers  # noqa: F401

        self.personal_data = personal_data.PERSONAL_DATA
        self.not_personal_models = personal_data.NOT_PERSONAL_MODELS
