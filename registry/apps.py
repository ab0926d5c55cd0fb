from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry core")
    # This app's part of the inventory of personal data (registry/privacy.py), set once models load.
    personal_data: list[Any] = []
    not_personal_models: tuple[str, ...] = ()

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django_tasks.signals import task_finished, task_started

        from registry import logs, mail, personal_data  # noqa: F401  (mail connects anymail's delivery reports)

        # Log lines carry the id of the request or task they belong to (registry/logs.py).
        request_finished.connect(logs.clear_request_id, dispatch_uid="registry.logs.clear_request_id")
        task_started.connect(logs.set_task_id, dispatch_uid="registry.logs.set_task_id")
        task_finished.connect(logs.clear_request_id, dispatch_uid="registry.logs.clear_task_id")
        # Ids given as text must be plain ASCII digits that fit a database column (registry/lookups.py).
        from registry import lookups

        lookups.register()
        self.personal_data = personal_data.PERSONAL_DATA
        self.not_personal_models = personal_data.NOT_PERSONAL_MODELS
