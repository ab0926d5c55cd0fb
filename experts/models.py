"""The expert as a person. The foundation keeps only what sign-in and home routing need;
consent, availability and applications arrive with the expert-registry issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Region


class ExpertProfile(models.Model):
    class Kind(models.TextChoices):
        YOUTH = "youth", _("Young person")
        PARENT = "parent", _("Parent")

    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        LEAVING = "leaving", _("Leaving")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    display_name = models.CharField(
        _("display name"), max_length=80, help_text=_("A pseudonym is fine. This is the name units see.")
    )
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    home_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("home region")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPLICANT)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("expert profile")
        verbose_name_plural = _("expert profiles")

    def __str__(self) -> str:
        return self.display_name
