"""The checks every browser test runs on every page find what they are meant to find (and nothing
on a sound page): sideways scrolling, duplicate ids, skipped heading levels, and links, buttons and
disclosures that share a name but do different things (WCAG 1.4.10, 4.1.1, 1.3.1, 2.4.4)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PageFactory, reflow_problems, structure_problems, zoom_problems

pytestmark = pytest.mark.browser

SOUND = """<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>
<a href="#main">Skip</a><main id="main"><h1>Title</h1><h2>Part</h2><h3>Piece</h3><h2>Other part</h2>
<a href="/a/">Withdraw<span style="position:absolute;clip:rect(0 0 0 0)">: photo</span></a>
<a href="/b/">Withdraw<span style="position:absolute;clip:rect(0 0 0 0)">: registry</span></a>
<a href="/same/">Open</a> <a href="/same/">Open</a>
<details><summary>Text, version 1<span hidden>x</span>: photo</summary>.</details>
<details><summary>Text, version 1: registry</summary>.</details>
<form action="/x/"><button>Save</button></form>
</main></body></html>"""


def test_a_sound_page_has_no_problems(page: PageFactory) -> None:
    tab = page("en")
    tab.set_content(SOUND)
    assert structure_problems(tab) == []
    assert reflow_problems(tab, 320) == []
    assert zoom_problems(tab, 4) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<h1>A</h1><p id="x"></p><p id="x"></p>', 'id "x" is used 2 times'),
        ("<h1>A</h1><h3>C</h3>", "heading level skipped: <h3>"),
        ('<h1>A</h1><a href="/a/">Peru</a><a href="/b/">Peru</a>', 'links named "peru" lead to 2 places'),
        (
            '<h1>A</h1><a href="/a/">Kokemusasiantuntijat</a><a href="/b/" aria-label="kokemusasiantuntijat">x</a>',
            'links named "kokemusasiantuntijat" lead to 2 places',
        ),
        (
            "<h1>A</h1><details><summary>Text</summary></details><details><summary>Text</summary></details>",
            "disclosures",
        ),
        (
            '<h1>A</h1><form action="/a/"><button>Remove</button></form>'
            '<form action="/b/"><button>Remove</button></form>',
            'buttons named "remove" lead to 2 places',
        ),
    ],
)
def test_structure_problems_are_found(page: PageFactory, body: str, expected: str) -> None:
    tab = page("en")
    tab.set_content(f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>{body}</body></html>')
    problems = structure_problems(tab)
    assert any(expected in problem for problem in problems), problems


def test_sideways_scrolling_is_found_at_320_px_and_when_zoomed(page: PageFactory) -> None:
    tab = page("en")
    tab.set_content('<!DOCTYPE html><html lang="en"><body><div style="width: 330px">wide</div></body></html>')
    assert reflow_problems(tab, 360) == []
    assert reflow_problems(tab, 320)
    # At 400 % a 1280 px window has room for 320 px; at 200 % for 640 px.
    assert zoom_problems(tab, 2) == []
    assert zoom_problems(tab, 4)


def test_a_box_that_scrolls_inside_the_page_is_found(page: PageFactory) -> None:
    tab = page("en")
    grid = (
        '<div class="table-scroll" style="overflow-x:auto"><table style="width:400px"><tr><td>x</td></tr></table></div>'
    )
    tab.set_content(f'<!DOCTYPE html><html lang="en"><body>{grid}</body></html>')
    assert any("div.table-scroll scrolls sideways" in problem for problem in reflow_problems(tab, 320))
    # A data table may scroll in its own region when marked so.
    tab.set_content(
        f'<!DOCTYPE html><html lang="en"><body>{grid.replace("<div ", "<div data-scroll=table ")}</body></html>'
    )
    assert reflow_problems(tab, 320) == []
