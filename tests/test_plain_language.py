"""Consent a 13-year-old can understand (GDPR art. 12): every plain-language layer, of every consent
purpose for the young person and the guardian and of the privacy notice, in every language, is
measured here. The full legal texts are exempt.

Two measures that the plain-language guidance of every language speaks of:

- the average sentence length in words, and
- the share of long words, words of more than 13 letters (in Finnish these are mostly compounds,
  such as "kokemusasiantuntija", and inflected forms, which the reader has to take apart).

The limits and where they come from. The guidance names the measures but, apart from the Plain
English Campaign, gives no numbers, so the numbers are ours, set below the one number there is:

- Finnish, selkokieli: Selkokeskus (selkokeskus.fi), the selkokieli guidelines and the Selkomittari
  assessment tool: short sentences with one thing each, common words, long compounds avoided or
  explained. At most 9 words a sentence on average (a Finnish word carries what other languages say
  with several) and at most 10 % of words over 13 letters.
- Swedish, lättläst: Myndigheten för tillgängliga medier (MTM), guidance on writing lättläst: short
  sentences, one idea a sentence, common and short words. At most 10 words a sentence and 5 % long
  words.
- English, easy read: Mencap, "Am I making myself clear?" (short sentences with one idea each,
  everyday words), and the Plain English Campaign, "How to write in plain English", which asks for
  an average of 15 to 20 words a sentence in ordinary plain English; easy read for young readers
  is shorter: at most 12 words and 3 % long words.

No single sentence may be longer than 16 words in any language: averages can hide one long one.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import strip_tags

from experts.models import PLAIN_LANGUAGES, ConsentPlainText, ConsentPurpose, ConsentText
from registry.views import privacy_notice_context

pytestmark = pytest.mark.django_db

LIMITS = {
    # language: (average words a sentence, share of words over 13 letters)
    "fi": (9.0, 0.10),
    "sv": (10.0, 0.05),
    "en": (12.0, 0.03),
}
LONGEST_SENTENCE = 16
LONG_WORD = 13

SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def sentences(text: str) -> list[str]:
    return [part for part in (p.strip() for p in SENTENCE_END.split(text)) if WORD.search(part)]


def words(text: str) -> list[str]:
    return WORD.findall(text)


def letters(word: str) -> int:
    # A hyphen or apostrophe is not a letter; "e-post" has five.
    return sum(character.isalpha() for character in word)


def measure(text: str) -> tuple[float, float, int]:
    """(average words a sentence, share of words over LONG_WORD letters, words in the longest sentence)"""
    parts = sentences(text)
    counts = [len(words(part)) for part in parts]
    all_words = words(text)
    long_share = sum(letters(w) > LONG_WORD for w in all_words) / len(all_words)
    return sum(counts) / len(counts), long_share, max(counts)


def assert_readable(text: str, language: str, where: str) -> None:
    average, long_share, longest = measure(text)
    limit_average, limit_long = LIMITS[language]
    long_words = sorted({w for w in words(text) if letters(w) > LONG_WORD})
    assert average <= limit_average, f"{where}: {average:.1f} words a sentence, limit {limit_average}"
    assert long_share <= limit_long, f"{where}: {long_share:.0%} long words {long_words}, limit {limit_long:.0%}"
    assert longest <= LONGEST_SENTENCE, f"{where}: a sentence of {longest} words, limit {LONGEST_SENTENCE}"


def test_the_measures_count_what_the_guidance_means() -> None:
    average, long_share, longest = measure("Tämä on lyhyt lause. Kokemusasiantuntijat puhuvat!")
    assert (average, longest) == (3.0, 4)
    assert long_share == pytest.approx(1 / 6)
    assert measure("Det gäller din e-post.")[0] == 4


def plain_texts_in_force() -> list[ConsentPlainText]:
    rows = []
    for purpose in ConsentPurpose.values:
        text = ConsentText.objects.current_for(purpose).first()
        for audience in ConsentPlainText.Audience.values:
            plain = ConsentPlainText.objects.in_force().filter(text=text, audience=audience).order_by("-version")
            rows.append(plain.first())
    return rows


def test_every_purpose_has_both_layers_complete_in_every_language() -> None:
    for plain in plain_texts_in_force():
        assert plain is not None
        assert plain.missing_languages() == [], plain


@pytest.mark.parametrize("language", PLAIN_LANGUAGES)
def test_every_plain_consent_text_is_short_and_plain(language: str) -> None:
    for plain in plain_texts_in_force():
        answers = plain.answers(language)
        assert answers is not None
        text = "\n".join(answer for _question, answer in answers)
        assert_readable(text, language, f"{plain} ({language})")


@pytest.mark.parametrize("language", PLAIN_LANGUAGES)
def test_the_short_privacy_notice_is_short_and_plain(language: str) -> None:
    with translation.override(language):
        html = render_to_string("registry/_privacy_plain.html", privacy_notice_context())
    # Headings are questions, not sentences: measure the answers only.
    answers = re.findall(r"<dd>(.*?)</dd>", html, flags=re.S)
    assert len(answers) == 5
    text = "\n".join(strip_tags(answer) for answer in answers)
    assert_readable(text, language, f"privacy notice ({language})")


def test_the_short_privacy_notice_says_the_periods_and_age_in_force(settings: Any) -> None:
    settings.RETENTION_DAYS_AFTER_WITHDRAWAL = 77
    settings.ERASURE_GRACE_DAYS = 11
    settings.GUARDIAN_CONSENT_UNDER_AGE = 16
    with translation.override("en"):
        text = strip_tags(render_to_string("registry/_privacy_plain.html", privacy_notice_context()))
    for claim in ("after 77 days", "after 11 days", "under 16"):
        assert claim in " ".join(text.split()), claim
