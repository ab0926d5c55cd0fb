from __future__ import annotations

from django.db import migrations

TEXTS = (
    "Suostun siihen, että työyksikkö, jonka pyyntöön minut on vahvistettu, näkee sähköpostiosoitteeni ja "
    "puhelinnumeroni ja voi ottaa minuun yhteyttä suoraan. Ilman tätä suostumusta yhteydenpito kulkee "
    "koordinaattorin kautta.",
    "Jag samtycker till att arbetsenheten vars begäran jag har bekräftats till ser min e-postadress och mitt "
    "telefonnummer och kan kontakta mig direkt. Utan detta samtycke sker kontakten via koordinatorn.",
    "I agree that a unit whose request I have been confirmed to sees my e-mail address and phone number and may "
    "contact me directly. Without this consent, contact goes through the coordinator.",
)


def create(apps, schema_editor) -> None:
    ConsentText = apps.get_model("experts", "ConsentText")
    fi, sv, en = TEXTS
    ConsentText.objects.get_or_create(
        purpose="direct_contact", version=1, defaults={"text_fi": fi, "text_sv": sv, "text_en": en}
    )


class Migration(migrations.Migration):
    dependencies = [("experts", "0004_direct_contact_purpose")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
