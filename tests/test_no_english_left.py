"""No English left on the Finnish and Swedish pages of any role (issue: shortest paths, item 9).

Each demo persona crawls the service from its home page (and every page without parameters) with
the test client, in Finnish and in Swedish, over the seeded demo data: every state of every request
is there, so every branch of the templates shows. Each piece of visible text (text nodes, and the
`alt`, `title`, `aria-label` and `placeholder` attributes) whose words are mostly common English
words is reported, as is a whole text that is one of a few common English interface words.

Code (`<code>`), text marked with its own `lang` (the language switcher's "English") and the
proper names and codes in ALLOWED are not language.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from registry.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Words that are English and not also common Finnish or Swedish words ("on" is Finnish for "is",
# "in" and "all" are Swedish, so they are left out).
ENGLISH_WORDS = """
    the and of to is are was were be been being this that these those with for from by your you we
    our it its not or an at as if will can has have had which what who when where there their they
    them he she his her do does did into than then about would should could please here more only
    also any each every new none yes no sign password account email e-mail request requests expert
    experts unit units save cancel submit delete change changed edit back next previous send sent
    read export given withdrawn draft submitted offered accepted declined expired confirmed
    attended
"""
ENGLISH = set(ENGLISH_WORDS.split())
# A whole text that is one of these is an untranslated label.
ENGLISH_LABELS = {"yes", "no", "none", "unknown", "remember me", "password", "e-mail", "email", "sign in", "sign out"}
# Proper names, codes and formats that read the same in every language.
ALLOWED = {
    "CSV",
    "JSON",
    "PDF",
    "DOCX",
    "ODT",
    "JPEG",
    "PNG",
    "TOTP",
    ".ics",
    "English",
    "Pesäpuu ry",
    "Suomen Kasper ry",
}
SKIP_PREFIXES = ("/admin/", "/static/", "/accounts/logout/", "/i18n/")
SKIP_SUFFIXES = (".csv", ".ics", ".json", "/photo/", "/receipt/", "/calendar/new-address/")
PAGES_PER_VIEW = 2  # a view's pages share a template; two of each cover the branches


class TextAndLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self.skip_depth = 0
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        void = tag in {"input", "img", "br", "meta", "link", "hr", "source"}
        skipping = tag in {"script", "style", "code"} or ("lang" in values and tag != "html")
        for name in ("alt", "title", "aria-label", "placeholder"):
            if values.get(name) and not self.skip_depth and not skipping:
                self.texts.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.texts.append(values["value"] or "")
        if not void:
            self.stack.append(skipping)
            if skipping:
                self.skip_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"input", "img", "br", "meta", "link", "hr", "source"} or not self.stack:
            return
        if self.stack.pop():
            self.skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and data.strip():
            self.texts.append(data)


def english_texts(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        text = " ".join(text.split())
        if text in ALLOWED:
            continue
        for name in ALLOWED:
            text = text.replace(name, "")
        words = [w.lower() for w in re.findall(r"[A-Za-zÅÄÖåäö][A-Za-zÅÄÖåäö'-]*", text)]
        if not words:
            continue
        if text.lower().strip(" .:") in ENGLISH_LABELS:
            found.append(text)
            continue
        english = [w for w in words if w in ENGLISH]
        if len(english) >= 2 and len(english) / len(words) >= 0.3:
            found.append(text)
    return found


def pages_without_parameters() -> list[str]:
    paths = []

    def walk(patterns: list[Any], namespace: str | None = None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                walk(pattern.url_patterns, f"{namespace}:{inner}" if namespace and inner else inner or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and namespace != "admin":
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                try:
                    paths.append(reverse(name))
                except NoReverseMatch:
                    continue

    walk(get_resolver().url_patterns)
    return paths


def crawl(client: Client, language: str, start: str) -> dict[str, list[str]]:
    """Every page the persona reaches by links (at most PAGES_PER_VIEW per view), and the English
    found on each."""
    client.cookies["django_language"] = language
    queue = deque([start, *pages_without_parameters()])
    seen: set[str] = set()
    per_view: dict[str, int] = {}
    found: dict[str, list[str]] = {}
    while queue:
        path = queue.popleft()
        if path in seen or path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
            continue
        seen.add(path)
        try:
            view = resolve(urlsplit(path).path).view_name
        except Resolver404:
            continue
        if per_view.get(view, 0) >= PAGES_PER_VIEW:
            continue
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        per_view[view] = per_view.get(view, 0) + 1
        parser = TextAndLinks()
        parser.feed(response.content.decode())
        english = english_texts(parser.texts)
        if english:
            found[path] = english
        for href in parser.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


PERSONAS = [
    None,
    "expert@demo.test",
    "expert2@demo.test",
    "unit@demo.test",
    "unit2@demo.test",
    "coordinator@demo.test",
    "manager@demo.test",
]


def test_detector_finds_english_and_spares_finnish_and_swedish() -> None:
    assert english_texts(["readable export by the expert", "Remember Me"]) == [
        "readable export by the expert",
        "Remember Me",
    ]
    assert english_texts(["Pyyntö on lähetetty koordinaattorille.", "Begäran har skickats till koordinatorn."]) == []
    assert english_texts(["Logga in", "Tuuli", "CSV", "Kuopio, Suokatu 42"]) == []


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_no_english_on_any_page_of_any_role(language: str) -> None:
    call_command("seed", force=True, verbosity=0)
    found = {}
    for email in PERSONAS:
        client = Client()
        start = "/"
        if email is not None:
            client.force_login(User.objects.get(email=email))
            start = "/home/"
        for path, texts in crawl(client, language, start).items():
            found[f"{email or 'visitor'} {path}"] = texts
    assert not found, f"English on the {language} pages: {found}"
