from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry core")

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django_tasks.signals import task_finished, task_started

        from registry import logs

        # Log lines carry the id of the request or task they belong to (registry/logs.py).
        request_finished.connect(logs.clear_request_id, dispatch_uid="registry.logs.clear_request_id")
        task_started.connect(logs.set_task_id, dispatch_uid="registry.logs.set_task_id")
        task_finished.connect(logs.clear_request_id, dispatch_uid="registry.logs.clear_task_id")
