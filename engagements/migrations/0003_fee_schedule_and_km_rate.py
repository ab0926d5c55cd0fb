from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import migrations

# A starting fee schedule (edit in the admin): hours up to → fee in euros, per engagement type.
SHORT, LONG = Decimal("2"), Decimal("4")
FEES = {
    "visit": [(SHORT, "60"), (LONG, "100"), (None, "150")],
    "speaker": [(SHORT, "80"), (LONG, "120"), (None, "180")],
    "panel": [(SHORT, "80"), (LONG, "120"), (None, "180")],
    "workshop": [(SHORT, "70"), (LONG, "110"), (None, "160")],
    "co_training": [(SHORT, "100"), (LONG, "160"), (None, "240")],
    "material_review": [(SHORT, "50"), (LONG, "90"), (None, "140")],
    "working_group": [(SHORT, "60"), (LONG, "100"), (None, "150")],
    "interview": [(SHORT, "50"), (LONG, "80"), (None, "120")],
    "other": [(SHORT, "60"), (LONG, "100"), (None, "150")],
}


def create(apps, schema_editor) -> None:
    FeeSchedule = apps.get_model("engagements", "FeeSchedule")
    KilometreRate = apps.get_model("engagements", "KilometreRate")
    start = dt.date(2026, 1, 1)
    if not FeeSchedule.objects.exists():
        FeeSchedule.objects.bulk_create(
            FeeSchedule(request_type=kind, max_hours=hours, amount=Decimal(amount), valid_from=start)
            for kind, rows in FEES.items()
            for hours, amount in rows
        )
    # The tax-free kilometre allowance; update it in the admin when the Tax Administration decides a new one.
    KilometreRate.objects.get_or_create(valid_from=start, defaults={"rate": Decimal("0.59")})


class Migration(migrations.Migration):
    dependencies = [("engagements", "0002_after_engagement")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
