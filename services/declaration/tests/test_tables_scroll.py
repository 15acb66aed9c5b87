"""Tables on phones (issue 18, point 6): every data table of the pages scrolls sideways inside its own container,
reachable with the keyboard (``<div class="tableau" tabindex="0">``, as the « Documents » tables), headers kept —
never turned into cards. The 320 px sweep (``tests/e2e/test_reflow_sweep.py``) checks the pages as rendered; this
checks every template, including a table no sweep's world fills."""

from __future__ import annotations

import re

from afas_declaration.gateway.web.pages import STATIC, TEMPLATES

CONTAINER = re.compile(r'<div class="tableau" tabindex="0">\s*(?:{#.*?#}\s*)?$', re.S)


def test_every_table_sits_in_a_focusable_scrolling_container():
    tables = 0
    unwrapped = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for found in re.finditer(r"<table\b", text):
            tables += 1
            if not CONTAINER.search(text[: found.start()]):
                unwrapped.append(f"{template.name}:{text[: found.start()].count(chr(10)) + 1}")
    assert tables > 20
    assert unwrapped == [], unwrapped


def test_the_container_scrolls_and_no_rule_turns_a_table_into_cards():
    css = (STATIC / "afas.css").read_text(encoding="utf-8")
    assert re.search(r"\.tableau\s*{[^}]*overflow-x:\s*auto", css)
    # cards would be rows or cells shown as blocks (with data-label captions): the headers would be lost
    for rule in re.finditer(r"([^{}]+){([^}]*)}", css):
        selector, body = rule.group(1), rule.group(2)
        if re.search(r"\b(table|thead|tbody|tr|td|th)\b", selector):
            assert not re.search(r"display:\s*(block|grid|flex)", body), selector.strip()
    assert "data-label" not in css
