from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Role


class RoleSwitchForm(forms.Form):
    role = forms.ChoiceField(label=_("Act as"), choices=Role.choices)

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the roles this user really has are valid choices.
        self.fields["role"].choices = [(role.value, role.label) for role in roles]
