"""No internal code on any page a person reads (issue 18, point 3's « done when »): every page each role reaches by
following the links from its home page, rendered in Debian's chromium, has its visible text (and the labels of its
selects, buttons and images) scanned for the identifiers of the form definitions — families, natures, states, field
and parameter codes — and for a Caf's number shown instead of its name.

The world: the EAJE declaration transmitted, refused by the Caf and transmitted again (the Caf's comparison of two
versions, the partner's versions), an ALSH campaign on two sites being filled. Text inside ``<code>`` is left out:
the pages use it for what is technical on purpose (a receipt's SHA-256 fingerprint, the import file's header)."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin, urlsplit

import pytest

from afas_declaration.application.campaigns import FAMILIES
from afas_declaration.gateway.web import labels
from afas_shared.contracts.declaration_states import DeclarationState
from tests.e2e.alsh_campaign import open_alsh_campaign
from tests.integration.caf_pages_helpers import AGENT, _transmit, _transmitted
from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, KARIM

PASSWORD = "Demo-Afas-2026!"
CNAF = "100000009"
ROLES = {"partenaire (administrateur, approbateur)": ADMIN, "fournisseur": KARIM, "agent Caf": AGENT, "Cnaf": CNAF}
MAX_PAGES = 90  # per role: the crawl stops there (a list's pages and filters could go on)
DOWNLOADS = re.compile(r"\.(pdf|csv|xlsx|ics)$|/fichier$|/telecharger$")
# eaje_psu, multi_accueil, heures_realisees, a_saisir — not a piece of a web address (…/circulaire-cnaf-caf_59f4.html)
SNAKE = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
CAF_NUMBER = re.compile(r"(?:^|[ (:\n\t])(?:080|000)(?:$|[ ),.:\n\t])")

# What a page shows: the visible text, then what else a person (or a screen reader) is told — option labels,
# titles, aria-labels, placeholders, alternative texts — with the text of <code> elements left out
READ = """() => {
  const code = Array.from(document.querySelectorAll('main code')).map(e => e.innerText);
  let text = document.body.innerText;
  for (const c of code) text = text.split(c).join(' ');
  const told = [];
  for (const e of document.querySelectorAll('option')) told.push(e.text);
  for (const e of document.querySelectorAll('[title],[aria-label],[placeholder],[alt]')) {
    for (const a of ['title', 'aria-label', 'placeholder', 'alt']) if (e.getAttribute(a)) told.push(e.getAttribute(a));
  }
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));
  return {text: text + '\\n' + told.join('\\n'), links};
}"""


def internal_words() -> set[str]:
    """Codes without an underscore that must not show either: families (alsh, rpe…), natures (periscolaire,
    general…), states written without their accents (validee…)."""
    words = {f for f in FAMILIES if "_" not in f}
    words |= {n for n in labels.nature_labels() if "_" not in n}
    words |= {s.value for s in DeclarationState if "_" not in s.value}
    # a code that is a French word of a label (« ALSH extrascolaire », « Transmise Caf ») is a word there
    label_words = {
        w
        for text in (*labels.nature_labels().values(), *labels.family_labels().values())
        for w in re.findall(r"\w+", text)
    } | {"transmise"}
    return {w for w in words if w not in label_words}


def codes_in(text: str, words: set[str]) -> list[str]:
    found = set(SNAKE.findall(text))
    found |= {w for w in words if re.search(rf"(?<![\w/.-]){re.escape(w)}(?![\w/.-])", text)}
    found |= {m.group(0).strip(" ():.,\n\t") for m in CAF_NUMBER.finditer(text)}
    return sorted(found)


def _around(text: str, code: str) -> str:
    """The code with a little of the text around it, for the report."""
    at = text.find(code)
    return " ".join(text[max(0, at - 50) : at + len(code) + 30].split())


async def _world(platform, catalogue) -> None:
    declaration, headers = await _transmitted(platform, catalogue)
    refused = await platform.client.post(
        f"/api/v1/declarations/{declaration}/refuse",
        headers=catalogue.agent,
        json={"motif": "Les heures facturées dépassent les contrats signés."},
    )
    assert refused.status_code == 200, refused.text
    await _transmit(platform, declaration, headers, {**ACTIVITY, "heures_facturees": "63000"})
    await open_alsh_campaign(platform, catalogue)


async def _sign_in(site, identifier: str):
    context = await site.browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{site.base_url}/connexion")
    await page.fill("#champ-identifiant", identifier)
    await page.fill("#champ-mot_de_passe", PASSWORD)
    await page.click("button:has-text('Se connecter')")
    await page.wait_for_url(f"{site.base_url}/accueil")
    return page


async def _crawl(site, page, words: set[str]) -> tuple[int, dict[str, list[str]]]:
    """The pages reached from the home page by following links, breadth first; what each shows that is a code."""
    base = site.base_url
    queue, seen, found, visited = ["/accueil"], {"/accueil"}, {}, 0
    while queue and visited < MAX_PAGES:
        path = queue.pop(0)
        response = await page.goto(f"{base}{path}")
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited += 1
        shown = await page.evaluate(READ)
        if codes := codes_in(shown["text"], words):
            found[path] = [_around(shown["text"], code) for code in codes]
        for href in shown["links"]:
            target = urlsplit(urljoin(f"{base}{path}", href))
            if target.netloc != urlsplit(base).netloc or DOWNLOADS.search(target.path):
                continue
            address = target.path + (f"?{target.query}" if target.query else "")
            if address not in seen and not address.startswith(("/static", "/api/")):
                seen.add(address)
                queue.append(address)
    return visited, found


def test_the_scan_finds_what_it_looks_for():
    words = internal_words()
    assert {"alsh", "periscolaire", "general", "validee"} <= words
    assert "transmise" not in words and "extrascolaire" not in words  # French words of a label
    sample = "Type : eaje_psu — nature periscolaire, état a_saisir (prix_plafond_horaire) ; Caf 080 ; ALSH, général"
    assert codes_in(sample, words) == ["080", "a_saisir", "eaje_psu", "periscolaire", "prix_plafond_horaire"]
    assert codes_in("Caf de la Somme, 1\u202f080,00 €, SIRET 21800021900004, /caf/alsh", words) == []
    assert codes_in("(copie : pdfhall.com/circulaire-cnaf-caf_59f4c6.html)", words) == []


@pytest.mark.timeout(900)
async def test_no_page_shows_an_internal_code_to_any_role(site, platform, catalogue):
    await _world(platform, catalogue)
    words = internal_words()
    problems: dict[str, dict[str, list[str]]] = {}
    counts = {}
    for role, identifier in ROLES.items():
        page = await _sign_in(site, identifier)
        counts[role], found = await _crawl(site, page, words)
        if found:
            problems[role] = found
        await page.context.close()
    print(f"pages scanned by role: {counts}")
    assert counts[next(iter(ROLES))] > 15 and counts["agent Caf"] > 15, counts
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
