from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "experts"
    verbose_name = _("Experts by experience")
    # This app's part of the inventory of personal data (registry/privacy.py), set once models load.
    personal_data: list[Any] = []
    not_personal_models: tuple[str, ...] = ()

    def ready(self) -> None:
        from experts import personal_data

        self.personal_data = personal_data.PERSONAL_DATA
        self.not_personal_models = personal_data.NOT_PERSONAL_MODELS
