from __future__ import annotations

from django.db import migrations

THEMES = [
    "foster_care", "residential_care", "aftercare", "open_care", "substance_abuse", "mental_health",
    "school_support", "domestic_violence", "child_placed", "disability", "migration", "siblings",
]
ROLES = [
    "speaker", "panellist", "working_group", "reflector", "co_trainer", "material_reviewer", "visitor", "interviewee",
]
LANGUAGES = ["fi", "sv", "en", "se", "ru", "uk", "ar", "so", "fse"]
TRAININGS = ["basic", "speaking", "co_training", "material_review"]

# Version 1 of each consent text, in Finnish, Swedish and English. Later versions are added in the
# admin; a new version asks every expert to renew.
CONSENT_TEXTS = {
    "registry": (
        "Suostun siihen, että tietoni tallennetaan kokemusasiantuntijarekisteriin. Koordinaattorit näkevät "
        "tietoni ja voivat ehdottaa minulle tehtäviä. Voin perua suostumukseni milloin tahansa, jolloin tietoni "
        "poistetaan säilytysajan jälkeen.",
        "Jag samtycker till att mina uppgifter sparas i registret över erfarenhetsexperter. Koordinatorerna ser "
        "mina uppgifter och kan föreslå uppdrag för mig. Jag kan när som helst återkalla mitt samtycke, och då "
        "raderas mina uppgifter efter lagringstiden.",
        "I agree that my details are kept in the experience-expert registry. Coordinators see my details and may "
        "suggest engagements to me. I can withdraw my consent at any time; my details are then erased after the "
        "retention period.",
    ),
    "contact": (
        "Suostun siihen, että koordinaattori ottaa minuun yhteyttä sähköpostilla tai puhelimella ja lähettää "
        "minulle tehtävätarjouksia. Päätän aina itse, otanko tehtävän vastaan.",
        "Jag samtycker till att koordinatorn kontaktar mig per e-post eller telefon och skickar uppdragserbjudanden "
        "till mig. Jag bestämmer alltid själv om jag tar emot ett uppdrag.",
        "I agree that the coordinator may contact me by e-mail or phone and send me offers. I always decide "
        "myself whether to accept an engagement.",
    ),
    "photo": (
        "Suostun siihen, että kuvani näytetään koordinaattoreille ja niille työyksiköille, joiden pyyntöön minut "
        "on vahvistettu.",
        "Jag samtycker till att mitt foto visas för koordinatorerna och för de arbetsenheter vars begäran jag har "
        "bekräftats till.",
        "I agree that my photo is shown to coordinators and to the units whose request I have been confirmed to.",
    ),
    "quote": (
        "Suostun siihen, että sanojani saa lainata koulutus- ja kehittämismateriaaleissa ilman nimeäni.",
        "Jag samtycker till att mina ord får citeras i utbildnings- och utvecklingsmaterial utan mitt namn.",
        "I agree that my words may be quoted in training and development materials without my name.",
    ),
    "recording": (
        "Suostun siihen, että tilaisuus, jossa esiinnyn, saa olla tallennettu tai striimattu. Saan tietää "
        "tallenteesta etukäteen ja voin kieltäytyä yksittäisestä tallenteesta.",
        "Jag samtycker till att ett evenemang där jag medverkar får spelas in eller strömmas. Jag får veta om "
        "inspelningen i förväg och kan säga nej till en enskild inspelning.",
        "I agree that an event where I take part may be recorded or streamed. I am told about the recording in "
        "advance and may refuse a single recording.",
    ),
}


def create(apps, schema_editor) -> None:
    for model, codes in [("Theme", THEMES), ("EngagementRole", ROLES), ("Language", LANGUAGES), ("Training", TRAININGS)]:
        Model = apps.get_model("experts", model)
        for code in codes:
            Model.objects.get_or_create(code=code)
    ConsentText = apps.get_model("experts", "ConsentText")
    for purpose, (fi, sv, en) in CONSENT_TEXTS.items():
        ConsentText.objects.get_or_create(
            purpose=purpose, version=1, defaults={"text_fi": fi, "text_sv": sv, "text_en": en}
        )


class Migration(migrations.Migration):
    dependencies = [("experts", "0002_registry_profile")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
