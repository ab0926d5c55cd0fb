import secrets

import engagements.answerlinks
from django.db import migrations, models


def give_open_offers_their_own_nonce(apps, schema_editor):
    # AddField gives every existing row the same default; an open offer needs a secret of its own.
    Assignment = apps.get_model("engagements", "Assignment")
    for pk in Assignment.objects.filter(status="offered").values_list("pk", flat=True):
        Assignment.objects.filter(pk=pk).update(answer_nonce=secrets.token_urlsafe(16))


class Migration(migrations.Migration):

    dependencies = [
        ("engagements", "0007_language_of_written_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="answer_nonce",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.RunPython(give_open_offers_their_own_nonce, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="assignment",
            name="answer_nonce",
            field=models.CharField(
                blank=True, default=engagements.answerlinks.new_nonce, editable=False, max_length=32
            ),
        ),
        migrations.AddField(
            model_name="request",
            name="programme_theme",
            field=models.CharField(
                blank=True,
                choices=[
                    ("participation", "Participation"),
                    ("multi_agency", "Multi-agency work"),
                    ("systemic", "Systemic practice"),
                ],
                db_index=True,
                max_length=16,
                verbose_name="programme theme",
            ),
        ),
    ]
