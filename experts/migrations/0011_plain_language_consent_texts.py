"""Version 1 of the plain-language layer of every consent text, for the young person and for the
guardian, in selkokieli (fi), lättläst (sv) and easy read (en). Written for this service; the
readability of each is measured in tests/test_plain_language.py."""

from __future__ import annotations

from django.db import migrations

KEYS = ("what", "why", "who", "how_long", "withdraw")

# purpose -> audience -> language -> the five answers (what, why, who sees it, how long, how to take it back)
TEXTS = {
    "registry": {
        "young": {
            "fi": (
                "Tallennamme tietosi palvelun rekisteriin. Siellä on esimerkiksi nimesi, yhteystietosi ja aiheet, joista haluat puhua.",
                "Näin voimme pyytää sinua tehtäviin, jotka sopivat sinulle. Ilman tätä suostumusta et voi olla mukana.",
                "Alueesi koordinaattorit näkevät tietosi. Koordinaattori on työntekijä, joka sopii tehtävistä kanssasi. Muut asiantuntijat eivät näe tietojasi.",
                "Suostumus on voimassa vuoden. Saat muistutuksen ennen kuin se loppuu. Voit silloin uusia sen.",
                "Voit perua suostumuksen milloin vain tällä sivulla. Sen jälkeen poistamme tietosi, jos et palaa.",
            ),
            "sv": (
                "Vi sparar dina uppgifter i tjänstens register. Där finns till exempel ditt namn och hur vi når dig. Där finns också vad du vill prata om.",
                "Då kan vi fråga dig om uppdrag som passar dig. Utan detta samtycke kan du inte vara med.",
                "Koordinatorerna i ditt område ser dina uppgifter. En koordinator kommer överens med dig om uppdrag. Andra experter ser inte dina uppgifter.",
                "Samtycket gäller i ett år. Innan det tar slut får du en påminnelse. Då kan du förnya det.",
                "Du kan ta tillbaka samtycket när du vill på den här sidan. Sedan raderar vi dina uppgifter, om du inte kommer tillbaka.",
            ),
            "en": (
                "We keep your details in the service's register. This includes your name and how to reach you. It also includes the topics you want to talk about.",
                "Then we can ask you to do tasks that suit you. Without this consent you cannot take part.",
                "The coordinators in your area see your details. A coordinator is the worker who agrees on tasks with you. Other experts do not see your details.",
                "The consent lasts one year. You get a reminder before it ends. Then you can renew it.",
                "You can take back your consent at any time on this page. Then we erase your details, unless you come back.",
            ),
        },
        "guardian": {
            "fi": (
                "Tallennamme nuoren tiedot palvelun rekisteriin. Siellä on esimerkiksi nimi, yhteystiedot ja aiheet, joista nuori haluaa puhua.",
                "Näin voimme pyytää nuorta tehtäviin, jotka sopivat hänelle. Alaikäinen tarvitsee myös huoltajan suostumuksen.",
                "Alueen koordinaattorit näkevät tiedot. He sopivat tehtävistä nuoren kanssa. Muut asiantuntijat eivät näe tietoja.",
                "Suostumus on voimassa vuoden. Se loppuu viimeistään, kun nuori voi päättää itse.",
                "Voit perua suostumuksen milloin vain. Kerro siitä koordinaattorille. Sen jälkeen nuori ei ole enää mukana.",
            ),
            "sv": (
                "Vi sparar den ungas uppgifter i tjänstens register. Där finns till exempel namn och hur vi når den unga. Där finns också vad hen vill prata om.",
                "Då kan vi fråga den unga om uppdrag som passar. En minderårig behöver också vårdnadshavarens samtycke.",
                "Koordinatorerna i området ser uppgifterna. De kommer överens med den unga om uppdrag. Andra experter ser inte uppgifterna.",
                "Samtycket gäller i ett år. Det slutar senast när den unga får bestämma själv.",
                "Du kan ta tillbaka samtycket när du vill. Säg det till koordinatorn. Då är den unga inte längre med.",
            ),
            "en": (
                "We keep the young person's details in the service's register. This includes their name and how to reach them. It also includes the topics they want to talk about.",
                "Then we can ask them to do tasks that suit them. A minor also needs the consent of a guardian.",
                "The coordinators in the area see the details. They agree on tasks with the young person. Other experts do not see the details.",
                "The consent lasts one year. It ends at the latest when the young person can decide alone.",
                "You can take back your consent at any time. Tell the coordinator. Then the young person is no longer taking part.",
            ),
        },
    },
    "contact": {
        "young": {
            "fi": (
                "Koordinaattori saa ottaa sinuun yhteyttä. Hän voi lähettää sähköpostia tai soittaa.",
                "Näin saat kuulla tehtävistä, jotka sopivat sinulle. Päätät aina itse, otatko tehtävän.",
                "Vain alueesi koordinaattorit käyttävät yhteystietojasi tähän.",
                "Suostumus on voimassa vuoden. Voit uusia sen, kun saat muistutuksen.",
                "Voit perua suostumuksen milloin vain tällä sivulla. Sen jälkeen emme tarjoa sinulle tehtäviä.",
            ),
            "sv": (
                "Koordinatorn får kontakta dig. Det kan vara med e-post eller telefon.",
                "Så får du höra om uppdrag som passar dig. Du bestämmer alltid själv om du tar ett uppdrag.",
                "Bara koordinatorerna i ditt område använder dina kontaktuppgifter till detta.",
                "Samtycket gäller i ett år. Du kan förnya det när du får en påminnelse.",
                "Du kan ta tillbaka samtycket när du vill på den här sidan. Sedan får du inga erbjudanden om uppdrag.",
            ),
            "en": (
                "The coordinator may contact you. This can be by e-mail or phone.",
                "This is how you hear about tasks that suit you. You always decide if you take a task.",
                "Only the coordinators in your area use your contact details for this.",
                "The consent lasts one year. You can renew it when you get a reminder.",
                "You can take back your consent at any time on this page. Then you get no more offers of tasks.",
            ),
        },
        "guardian": {
            "fi": (
                "Koordinaattori saa ottaa yhteyttä nuoreen. Hän voi lähettää sähköpostia tai soittaa.",
                "Näin nuori saa kuulla tehtävistä, jotka sopivat hänelle. Nuori päättää aina itse, ottaako tehtävän.",
                "Vain alueen koordinaattorit käyttävät nuoren yhteystietoja tähän.",
                "Suostumus on voimassa vuoden. Se loppuu viimeistään, kun nuori voi päättää itse.",
                "Voit perua suostumuksen milloin vain. Kerro siitä koordinaattorille. Sen jälkeen emme tarjoa nuorelle tehtäviä.",
            ),
            "sv": (
                "Koordinatorn får kontakta den unga. Det kan vara med e-post eller telefon.",
                "Så får den unga höra om uppdrag som passar. Den unga bestämmer alltid själv om hen tar ett uppdrag.",
                "Bara koordinatorerna i området använder den ungas kontaktuppgifter till detta.",
                "Samtycket gäller i ett år. Det slutar senast när den unga får bestämma själv.",
                "Du kan ta tillbaka samtycket när du vill. Säg det till koordinatorn. Sedan får den unga inga erbjudanden.",
            ),
            "en": (
                "The coordinator may contact the young person. This can be by e-mail or phone.",
                "This is how they hear about tasks that suit them. The young person always decides if they take a task.",
                "Only the coordinators in the area use the young person's contact details for this.",
                "The consent lasts one year. It ends at the latest when the young person can decide alone.",
                "You can take back your consent at any time. Tell the coordinator. Then the young person gets no more offers.",
            ),
        },
    },
    "photo": {
        "young": {
            "fi": (
                "Näytämme kuvasi palvelussa. Sinä päätät, lisäätkö kuvan.",
                "Kuva auttaa tapaamisessa. Ihmiset tunnistavat sinut, kun tulet paikalle.",
                "Koordinaattorit näkevät kuvasi. Myös työpaikka näkee kuvan, kun olet menossa sen tehtävään.",
                "Suostumus on voimassa vuoden. Voit poistaa kuvan milloin vain omista tiedoistasi.",
                "Voit perua suostumuksen tällä sivulla. Silloin emme enää näytä kuvaasi.",
            ),
            "sv": (
                "Vi visar ditt foto i tjänsten. Du bestämmer själv om du lägger till ett foto.",
                "Fotot hjälper när ni träffas. Man känner igen dig när du kommer.",
                "Koordinatorerna ser ditt foto. Arbetsplatsen vars uppdrag du ska göra ser det också.",
                "Samtycket gäller i ett år. Du kan ta bort fotot när du vill i din profil.",
                "Du kan ta tillbaka samtycket på den här sidan. Då slutar vi visa ditt foto.",
            ),
            "en": (
                "We show your photo in the service. You decide if you add a photo.",
                "A photo helps when you meet. People recognise you when you arrive.",
                "The coordinators see your photo. The workplace whose task you are going to do sees it too.",
                "The consent lasts one year. You can remove the photo at any time in your profile.",
                "You can take back your consent on this page. Then we stop showing your photo.",
            ),
        },
        "guardian": {
            "fi": (
                "Näytämme nuoren kuvan palvelussa. Nuori päättää itse, lisääkö hän kuvan.",
                "Kuva auttaa tapaamisessa. Ihmiset tunnistavat nuoren, kun hän tulee paikalle.",
                "Koordinaattorit näkevät kuvan. Myös työpaikka näkee kuvan, kun nuori on menossa sen tehtävään.",
                "Suostumus on voimassa vuoden. Se loppuu viimeistään, kun nuori voi päättää itse.",
                "Voit perua suostumuksen milloin vain. Kerro siitä koordinaattorille. Silloin emme enää näytä kuvaa.",
            ),
            "sv": (
                "Vi visar den ungas foto i tjänsten. Den unga bestämmer själv om hen lägger till ett foto.",
                "Fotot hjälper när man träffas. Man känner igen den unga när hen kommer.",
                "Koordinatorerna ser fotot. Arbetsplatsen vars uppdrag den unga ska göra ser det också.",
                "Samtycket gäller i ett år. Det slutar senast när den unga får bestämma själv.",
                "Du kan ta tillbaka samtycket när du vill. Säg det till koordinatorn. Då slutar vi visa fotot.",
            ),
            "en": (
                "We show the young person's photo in the service. They decide if they add a photo.",
                "A photo helps when people meet. People recognise the young person when they arrive.",
                "The coordinators see the photo. The workplace whose task the young person is going to do sees it too.",
                "The consent lasts one year. It ends at the latest when the young person can decide alone.",
                "You can take back your consent at any time. Tell the coordinator. Then we stop showing the photo.",
            ),
        },
    },
    "quote": {
        "young": {
            "fi": (
                "Saamme lainata sanojasi koulutuksen materiaaleissa. Emme kerro nimeäsi.",
                "Sinun kokemuksesi auttaa työntekijöitä oppimaan. Näin se voi auttaa myös muita nuoria.",
                "Materiaaleja lukevat työntekijät ja opiskelijat. He eivät tiedä, että sanat ovat sinun.",
                "Suostumus on voimassa vuoden. Valmiita materiaaleja emme aina voi muuttaa.",
                "Voit perua suostumuksen tällä sivulla. Sen jälkeen emme käytä sanojasi uusissa materiaaleissa.",
            ),
            "sv": (
                "Vi får citera dina ord i material för utbildning. Vi skriver inte ditt namn.",
                "Din erfarenhet hjälper personal att lära sig. Då kan den hjälpa andra unga också.",
                "Personal och studerande läser materialet. De vet inte att orden är dina.",
                "Samtycket gäller i ett år. Material som redan är klart kan vi inte alltid ändra.",
                "Du kan ta tillbaka samtycket på den här sidan. Sedan använder vi inte dina ord i nytt material.",
            ),
            "en": (
                "We may quote your words in training materials. We do not give your name.",
                "Your experience helps workers learn. This way it can help other young people too.",
                "Workers and students read the materials. They do not know the words are yours.",
                "The consent lasts one year. We cannot always change materials that are already made.",
                "You can take back your consent on this page. Then we do not use your words in new materials.",
            ),
        },
        "guardian": {
            "fi": (
                "Saamme lainata nuoren sanoja koulutuksen materiaaleissa. Emme kerro nuoren nimeä.",
                "Nuoren kokemus auttaa työntekijöitä oppimaan. Näin se voi auttaa myös muita nuoria.",
                "Materiaaleja lukevat työntekijät ja opiskelijat. He eivät tiedä, kenen sanoja ne ovat.",
                "Suostumus on voimassa vuoden. Se loppuu viimeistään, kun nuori voi päättää itse.",
                "Voit perua suostumuksen milloin vain. Kerro siitä koordinaattorille. Sen jälkeen emme käytä nuoren sanoja uusissa materiaaleissa.",
            ),
            "sv": (
                "Vi får citera den ungas ord i material för utbildning. Vi skriver inte den ungas namn.",
                "Den ungas erfarenhet hjälper personal att lära sig. Då kan den hjälpa andra unga också.",
                "Personal och studerande läser materialet. De vet inte vems ord det är.",
                "Samtycket gäller i ett år. Det slutar senast när den unga får bestämma själv.",
                "Du kan ta tillbaka samtycket när du vill. Säg det till koordinatorn. Sedan använder vi inte orden i nytt material.",
            ),
            "en": (
                "We may quote the young person's words in training materials. We do not give their name.",
                "Their experience helps workers learn. This way it can help other young people too.",
                "Workers and students read the materials. They do not know whose words they are.",
                "The consent lasts one year. It ends at the latest when the young person can decide alone.",
                "You can take back your consent at any time. Tell the coordinator. Then we do not use the words in new materials.",
            ),
        },
    },
    "recording": {
        "young": {
            "fi": (
                "Järjestäjä saa tallentaa tilaisuuden, jossa puhut. Järjestäjä voi myös näyttää sen suorana netissä.",
                "Näin useampi ihminen voi kuulla sinua. Sinua voivat kuulla myös ne, jotka eivät pääse paikalle.",
                "Tallenteen voi nähdä kuka tahansa, jolle järjestäjä sen antaa. Saat aina tietää tallenteesta etukäteen.",
                "Suostumus on voimassa vuoden. Voit silti sanoa ei yhdelle tallenteelle.",
                "Voit perua suostumuksen tällä sivulla. Sen jälkeen kukaan ei saa tallentaa sinua. Valmista tallennetta ei aina voi poistaa.",
            ),
            "sv": (
                "Arrangören får spela in ett evenemang där du talar. Arrangören kan också sända det direkt på nätet.",
                "Så kan fler människor höra dig. Också de som inte kan komma kan höra dig.",
                "Alla som arrangören delar inspelningen med kan se den. Du får alltid veta om inspelningen i förväg.",
                "Samtycket gäller i ett år. Du kan ändå säga nej till en enskild inspelning.",
                "Du kan ta tillbaka samtycket på den här sidan. Sedan får ingen spela in dig. En inspelning som redan finns går inte alltid att ta bort.",
            ),
            "en": (
                "The organiser may record an event where you speak. The organiser may also show it live online.",
                "This way more people can hear you. People who cannot come can hear you too.",
                "Anyone the organiser shares the recording with can see it. You always hear about a recording in advance.",
                "The consent lasts one year. You can still say no to a single recording.",
                "You can take back your consent on this page. Then nobody may record you. A recording that is already made cannot always be removed.",
            ),
        },
        "guardian": {
            "fi": (
                "Järjestäjä saa tallentaa tilaisuuden, jossa nuori puhuu. Järjestäjä voi myös näyttää sen suorana netissä.",
                "Näin useampi ihminen voi kuulla nuorta. Nuorta voivat kuulla myös ne, jotka eivät pääse paikalle.",
                "Tallenteen voi nähdä kuka tahansa, jolle järjestäjä sen antaa. Nuori saa aina tietää tallenteesta etukäteen.",
                "Suostumus on voimassa vuoden. Se loppuu viimeistään, kun nuori voi päättää itse.",
                "Voit perua suostumuksen milloin vain. Kerro siitä koordinaattorille. Jo tehtyä tallennetta ei aina voi poistaa.",
            ),
            "sv": (
                "Arrangören får spela in ett evenemang där den unga talar. Arrangören kan också sända det direkt på nätet.",
                "Så kan fler människor höra den unga. Också de som inte kan komma kan höra hen.",
                "Alla som arrangören delar inspelningen med kan se den. Den unga får alltid veta om inspelningen i förväg.",
                "Samtycket gäller i ett år. Det slutar senast när den unga får bestämma själv.",
                "Du kan ta tillbaka samtycket när du vill. Säg det till koordinatorn. En inspelning som redan finns går inte alltid att ta bort.",
            ),
            "en": (
                "The organiser may record an event where the young person speaks. The organiser may also show it live online.",
                "This way more people can hear them. People who cannot come can hear them too.",
                "Anyone the organiser shares the recording with can see it. The young person always hears about a recording in advance.",
                "The consent lasts one year. It ends at the latest when the young person can decide alone.",
                "You can take back your consent at any time. Tell the coordinator. A recording that is already made cannot always be removed.",
            ),
        },
    },
    "direct_contact": {
        "young": {
            "fi": (
                "Tämä koskee työpaikkaa, jonka tehtävään olet menossa. Se saa ottaa sinuun yhteyttä suoraan. Se näkee sähköpostisi ja numerosi.",
                "Näin voitte sopia käytännön asioista helpommin. Voitte sopia esimerkiksi siitä, mihin aikaan tulet.",
                "Tiedot näkee vain työpaikka, kun olet menossa sen tehtävään. Se näkee ne vielä vähän aikaa tehtävän jälkeen.",
                "Suostumus on voimassa vuoden. Ilman sitä yhteydet kulkevat koordinaattorin kautta.",
                "Voit perua suostumuksen tällä sivulla. Sen jälkeen työpaikka ei enää näe sähköpostiasi eikä numeroasi.",
            ),
            "sv": (
                "Det gäller arbetsplatsen vars uppdrag du ska göra. Den får kontakta dig direkt. Den ser din e-post och ditt nummer.",
                "Då är det lättare att komma överens om praktiska saker. Ni kan till exempel bestämma när du ska komma.",
                "Bara arbetsplatsen där du ska göra ett uppdrag ser uppgifterna. Den ser dem en kort tid efter uppdraget också.",
                "Samtycket gäller i ett år. Utan det går kontakten via koordinatorn.",
                "Du kan ta tillbaka samtycket på den här sidan. Sedan ser arbetsplatsen inte längre din e-post och ditt nummer.",
            ),
            "en": (
                "This is about the workplace whose task you are going to do. It may contact you directly. It sees your e-mail and phone number.",
                "Then it is easier to agree on practical things. You can agree, for example, on when you arrive.",
                "Only the workplace where you are going to do a task sees them. It can still see them for a short time after the task.",
                "The consent lasts one year. Without it, contact goes through the coordinator.",
                "You can take back your consent on this page. Then the workplace no longer sees your e-mail and phone number.",
            ),
        },
        "guardian": {
            "fi": (
                "Tämä koskee työpaikkaa, jonka tehtävään nuori on menossa. Se saa ottaa nuoreen yhteyttä suoraan. Se näkee nuoren sähköpostin ja numeron.",
                "Näin käytännön asioista on helpompi sopia. Nuori ja työpaikka voivat sopia esimerkiksi siitä, mihin aikaan nuori tulee.",
                "Tiedot näkee vain työpaikka, kun nuori on menossa sen tehtävään. Se näkee ne vielä vähän aikaa tehtävän jälkeen.",
                "Suostumus on voimassa vuoden. Ilman sitä yhteydet kulkevat koordinaattorin kautta.",
                "Voit perua suostumuksen milloin vain. Kerro siitä koordinaattorille. Sen jälkeen työpaikka ei enää näe nuoren tietoja.",
            ),
            "sv": (
                "Det gäller arbetsplatsen vars uppdrag den unga ska göra. Den får kontakta den unga direkt. Den ser den ungas e-post och nummer.",
                "Då är det lättare att komma överens om praktiska saker. Man kan till exempel bestämma när den unga ska komma.",
                "Bara arbetsplatsen där den unga ska göra ett uppdrag ser uppgifterna. Den ser dem en kort tid efter uppdraget också.",
                "Samtycket gäller i ett år. Utan det går kontakten via koordinatorn.",
                "Du kan ta tillbaka samtycket när du vill. Säg det till koordinatorn. Sedan ser arbetsplatsen inte längre uppgifterna.",
            ),
            "en": (
                "This is about the workplace whose task the young person is going to do. It may contact them directly. It sees their e-mail and phone number.",
                "Then it is easier to agree on practical things. They can agree, for example, on when the young person arrives.",
                "Only the workplace where the young person is going to do a task sees them. It can still see them for a short time after the task.",
                "The consent lasts one year. Without it, contact goes through the coordinator.",
                "You can take back your consent at any time. Tell the coordinator. Then the workplace no longer sees the details.",
            ),
        },
    },
}


def create(apps, schema_editor) -> None:
    ConsentText = apps.get_model("experts", "ConsentText")
    ConsentPlainText = apps.get_model("experts", "ConsentPlainText")
    for purpose, audiences in TEXTS.items():
        text = ConsentText.objects.filter(purpose=purpose, version=1).first()
        if text is None:
            continue
        for audience, languages in audiences.items():
            answers = {
                f"{key}_{language}": answer
                for language, five in languages.items()
                for key, answer in zip(KEYS, five, strict=True)
            }
            ConsentPlainText.objects.get_or_create(text=text, audience=audience, version=1, defaults=answers)


class Migration(migrations.Migration):
    dependencies = [("experts", "0010_plain_language_consent_layers")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
