"""Accessibility of the web pages in a real browser: starts the web fixture (a node holding a
small federation with a closed and an open matter and an active outage notice, so every page
shows the outage banner), loads every page in headless Chromium, in
Swedish and English, runs axe-core with the WCAG 2.0/2.1 A and AA rules and fails on any
violation. Saves screenshots of /arenden, a closed matter, Att göra, a signing page and the
register pages (/behov, /support, /driftstorningar, /planer, /avtal) in $SAMVERKA_SCREENSHOTS
(target/screenshots unless set; docs/screenshots holds the committed ones).

Run by scripts/browser-test.sh, which installs what this needs.
"""

import glob
import os
import subprocess
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.ui import WebDriverWait
import json
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_source():
    """The axe.min.js bundled with axe-playwright-python (installed with --no-deps)."""
    found = glob.glob(os.path.join(sys.prefix, "lib", "python*", "site-packages", "axe_playwright_python", "**", "axe.min.js"), recursive=True)
    if not found:
        sys.exit("axe.min.js not found: is axe-playwright-python installed in " + sys.prefix + "?")
    with open(found[0], encoding="utf-8") as f:
        return f.read()


def start_fixture():
    binary = os.path.join(ROOT, "target", "debug", "examples", "web_fixture")
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    if len(line) != 6:
        proc.kill()
        sys.exit("the web fixture did not start")
    return proc, line


def browser():
    options = Options()
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def check(driver, axe, url):
    """Loads url, runs axe, returns the violations."""
    driver.get(url)
    driver.execute_script(axe)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done({violations: r.violations, passes: r.passes.length, version: r.testEngine.version}))"
        ".catch(e => done({violations: [{id: 'axe-error', description: String(e), nodes: []}], passes: 0}));",
        TAGS,
    )
    if result["passes"] == 0 and not result["violations"]:
        result["violations"] = [{"id": "axe-did-not-run", "description": "axe checked nothing", "nodes": []}]
    return result


def self_check(driver, axe):
    """axe must find a known violation (an image without alt text), or a green run proves nothing."""
    driver.get("data:text/html;charset=utf-8,<!DOCTYPE html><html lang=sv><title>x</title><main><img src=x.png></main></html>")
    ids = [v["id"] for v in check(driver, axe, driver.current_url)["violations"]]
    if "image-alt" not in ids:
        sys.exit("axe did not report a missing alt text: " + str(ids))


def keyboard(driver, base):
    """The first Tab reaches the skip link, which moves focus to the main content."""
    driver.get(base + "/arenden")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    if active.get_attribute("class") != "skip-link":
        sys.exit("the first Tab does not reach the skip link: " + active.get_attribute("outerHTML"))
    active.send_keys(Keys.ENTER)
    if driver.switch_to.active_element.get_attribute("id") != "main":
        sys.exit("the skip link does not move focus to the main content")
    print("keyboard: the first Tab reaches the skip link, Enter moves focus to main")


def axe_page(driver, axe, label):
    """Runs axe on the page shown now; returns the number of violations (printed)."""
    result = check_loaded(driver, axe)
    violations = result["violations"]
    print(("ok  " if not violations else "FAIL"), label, driver.current_url, result["passes"], "rules passed,",
          len(violations), "violations")
    for v in violations:
        print("  -", v["id"], ":", v.get("description", ""))
        for node in v.get("nodes", [])[:5]:
            print("      at", node.get("target"), node.get("failureSummary", "").replace("\n", " "))
    return len(violations)


def check_loaded(driver, axe):
    driver.execute_script(axe)
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done({violations: r.violations, passes: r.passes.length}))"
        ".catch(e => done({violations: [{id: 'axe-error', description: String(e), nodes: []}], passes: 0}));",
        TAGS,
    )


def tab_to(driver, describe, matches, limit=120):
    """Presses Tab until the focused element matches; fails the run if it never does."""
    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        if matches(active):
            return active
    sys.exit("keyboard: Tab never reached " + describe)


def wait_for(driver, describe, condition, seconds=15):
    try:
        WebDriverWait(driver, seconds).until(lambda d: condition(d))
    except Exception:
        sys.exit("timed out waiting for " + describe + " at " + driver.current_url + ":\n" +
                 driver.find_element(By.TAG_NAME, "main").text)


def shot(driver, name):
    shots = os.path.join(ROOT, os.environ.get("SAMVERKA_SCREENSHOTS", "target/screenshots"))
    os.makedirs(shots, exist_ok=True)
    driver.save_screenshot(os.path.join(shots, name))


def keyboard_vote(driver, axe, base, opened):
    """Signs in as a demo person and casts a vote with the keyboard only, the key in the browser
    (WebCrypto Ed25519, IndexedDB); then a vote the node refuses, with its message. Returns the
    number of accessibility violations seen on the way (every state checked with axe)."""
    failures = 0
    driver.get(base + "/logga-in?lang=sv")
    failures += axe_page(driver, axe, "signed out, demo people listed")
    tab_to(driver, "the demo sign-in of Kiruna's ordinarie",
           lambda e: e.tag_name == "button" and "Kiruna kommun" in e.text and "Ordinarie" in e.text).send_keys(Keys.ENTER)
    wait_for(driver, "the Att göra page after signing in", lambda d: d.current_url.endswith("/att-gora"))
    failures += axe_page(driver, axe, "signed in: Att göra")
    shot(driver, "att-gora.png")
    tab_to(driver, "the open ballot on Att göra",
           lambda e: e.tag_name == "a" and opened in (e.get_attribute("href") or "")).send_keys(Keys.ENTER)
    wait_for(driver, "the matter page", lambda d: opened in d.current_url)
    failures += axe_page(driver, axe, "signed in: a matter with the vote form")
    tab_to(driver, "the first choice", lambda e: e.get_attribute("name") == "choice").send_keys(Keys.SPACE)
    tab_to(driver, "the continue button", lambda e: e.tag_name == "button" and e.get_attribute("type") == "submit"
           and "underskrift" in e.text).send_keys(Keys.ENTER)
    wait_for(driver, "the signing page", lambda d: d.current_url.endswith("/underskrift"))
    failures += axe_page(driver, axe, "signing page")
    shot(driver, "underskrift.png")
    tab_to(driver, "the sign button", lambda e: e.tag_name == "button" and e.text == "Skriv under").send_keys(Keys.ENTER)
    wait_for(driver, "the receipt", lambda d: "/kvitto/" in d.current_url)
    if "mottagen och lagrad" not in driver.find_element(By.TAG_NAME, "main").text:
        sys.exit("the receipt does not say the vote is stored: " + driver.find_element(By.TAG_NAME, "main").text)
    failures += axe_page(driver, axe, "receipt")
    stored = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const open = indexedDB.open('samverka', 1);"
        "open.onsuccess = () => { const t = open.result.transaction('chain');"
        " const all = t.objectStore('chain').getAll(); all.onsuccess = () => done(all.result); };"
    )
    if len(stored) != 1 or not stored[0]["acked"]:
        sys.exit("the browser's chain does not hold the acknowledged vote: " + str(stored))
    driver.get(base + "/arenden/" + opened + "?lang=sv")
    if "Kiruna kommun" not in driver.find_element(By.TAG_NAME, "table").text:
        sys.exit("the matter's votes do not show Kiruna's vote")
    print("keyboard: signed in as a demo person and voted end to end with the keyboard; the vote is stored")

    # A vote the node refuses: the ballot closes between choosing and preparing.
    driver.find_element(By.CSS_SELECTOR, "input[name=choice]").click()
    close = urllib.request.Request(base + "/api/v1/matters/" + opened + "/close", method="POST",
                                   headers={"Authorization": "Bearer " + FIXTURE_TOKEN})
    urllib.request.urlopen(close).read()
    driver.find_element(By.CSS_SELECTOR, "form[action$='/rosta'] button[type=submit]").click()
    wait_for(driver, "the refusal", lambda d: d.find_elements(By.CSS_SELECTOR, ".error-summary"))
    message = driver.find_element(By.CSS_SELECTOR, ".error-summary").text
    if "Omröstningen är avslutad" not in message:
        sys.exit("the refused vote does not say why: " + message)
    failures += axe_page(driver, axe, "a refused vote with its message")
    print("refusal: a vote on a ballot closed meanwhile is refused with:", message.splitlines()[-1])
    driver.get(base + "/nyckel?lang=sv")
    wait_for(driver, "the key page showing the key", lambda d: d.find_element(By.ID, "key-public").text)
    failures += axe_page(driver, axe, "the key page with a key")
    return failures


def host_forms(driver, axe, base):
    """Signs in as the host's förvaltare through a demo link, and checks the host's forms with
    axe, also with an error shown (notice given too late). Returns the number of violations."""
    import datetime
    failures = 0
    driver.get(base + "/demo/2580/forvaltare")
    wait_for(driver, "the demo link signing the förvaltare in", lambda d: d.current_url.endswith("/att-gora"))
    driver.get(base + "/arenden/nytt?lang=sv")
    failures += axe_page(driver, axe, "host form: a new matter")
    driver.find_element(By.ID, "title").send_keys("Ny modul för e-arkiv")
    driver.find_element(By.ID, "proposal").send_keys("Styrgruppen godkänner investeringen.")
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for(driver, "the signing page for the new matter", lambda d: d.current_url.endswith("/underskrift"))
    driver.find_element(By.CSS_SELECTOR, "#sign-form button[type=submit]").click()
    wait_for(driver, "the receipt for the new matter", lambda d: "/kvitto/" in d.current_url)
    driver.get(base + "/sammantraden/nytt?lang=sv")
    failures += axe_page(driver, axe, "host form: a meeting")
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    driver.execute_script("document.getElementById('date').value = arguments[0]", tomorrow)
    driver.find_element(By.ID, "place").send_keys("Via länk")
    driver.find_element(By.CSS_SELECTOR, "input[name=agenda]").click()
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for(driver, "the refused meeting", lambda d: d.find_elements(By.CSS_SELECTOR, ".error-summary"))
    message = driver.find_element(By.CSS_SELECTOR, ".error-summary").text
    if "Kallelsen ges för sent" not in message:
        sys.exit("a meeting called too late does not say why: " + message)
    failures += axe_page(driver, axe, "a meeting refused for short notice")
    later = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    driver.execute_script("document.getElementById('date').value = arguments[0]", later)
    driver.find_element(By.ID, "place").send_keys("Luleå stadshus")
    driver.find_element(By.CSS_SELECTOR, "input[name=agenda]").click()
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for(driver, "the signing page for the meeting", lambda d: d.current_url.endswith("/underskrift"))
    driver.find_element(By.CSS_SELECTOR, "#sign-form button[type=submit]").click()
    wait_for(driver, "the receipt for the meeting", lambda d: "/kvitto/" in d.current_url)
    failures += minutes_form(driver, axe, base)
    print("host: the förvaltare signed in by a demo link, put a matter signed in the browser; a meeting called "
          "too late is refused with its reason; the meeting called in time gets its minutes written and signed")
    return failures


def support_forms(driver, axe, base):
    """Signs in as Kiruna's objektspecialist through a demo link and checks the support forms
    with axe: a new case, refused first for a personnummer in its description (the message names
    the field), and the case page with its step form. Returns the number of violations."""
    failures = 0
    driver.get(base + "/demo/2584/objektspecialist")
    wait_for(driver, "the demo link signing the objektspecialist in", lambda d: d.current_url.endswith("/att-gora"))
    driver.get(base + "/support/nytt?lang=sv")
    failures += axe_page(driver, axe, "support form: a new case")
    driver.find_element(By.ID, "category").send_keys("Utskrift")
    driver.find_element(By.ID, "priority-medium").click()
    driver.find_element(By.ID, "title").send_keys("Utskrift hänger")
    driver.find_element(By.ID, "description").send_keys("Klienten 811218-9876 kan inte skriva ut.")
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for(driver, "the refused case", lambda d: d.find_elements(By.CSS_SELECTOR, ".error-summary"))
    message = driver.find_element(By.CSS_SELECTOR, ".error-summary").text
    if "Fältet Beskrivning innehåller ett personnummer" not in message:
        sys.exit("a case with a personnummer is not refused naming the field: " + message)
    failures += axe_page(driver, axe, "a support case refused for a personnummer")
    driver.get(base + "/support/" + support_case_id(base) + "?lang=sv")
    failures += axe_page(driver, axe, "a support case with its step form")
    print("support: a case with a personnummer in its description is refused before signing, naming the field")
    return failures


def need_forms(driver, axe, base):
    """Signs in as Kiruna's objektspecialist and checks the need forms with axe: registering a
    need, refused first for a personnummer (the message names the field), and the ranking ballot;
    then as the host's förvaltare, a need with its step form. Returns the number of violations."""
    failures = 0
    driver.get(base + "/demo/2584/objektspecialist")
    wait_for(driver, "the demo link signing the objektspecialist in", lambda d: d.current_url.endswith("/att-gora"))
    driver.get(base + "/behov/nytt?lang=sv")
    failures += axe_page(driver, axe, "need form: register a need")
    driver.find_element(By.ID, "title").send_keys("Digital signering av beslut")
    Select(driver.find_element(By.ID, "area")).select_by_value("ifo")
    driver.find_element(By.ID, "description").send_keys("Klienten 811218-9876 väntar på beslutet.")
    driver.find_element(By.ID, "benefit").send_keys("Handläggarna slipper skriva ut beslut.")
    driver.find_element(By.ID, "asker_name").send_keys("Anna Andersson")
    driver.find_element(By.ID, "asker_role").send_keys("enhetschef IFO")
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for(driver, "the refused need", lambda d: d.find_elements(By.CSS_SELECTOR, ".error-summary"))
    message = driver.find_element(By.CSS_SELECTOR, ".error-summary").text
    if "Beskrivning" not in message or "personnummer" not in message:
        sys.exit("a need with a personnummer is not refused naming the field: " + message)
    failures += axe_page(driver, axe, "a need refused for a personnummer")
    driver.get(base + "/behov/rangordna?lang=sv")
    failures += axe_page(driver, axe, "need form: the ranking ballot")
    driver.get(base + "/demo/2580/forvaltare")
    wait_for(driver, "the demo link signing the förvaltare in", lambda d: d.current_url.endswith("/att-gora"))
    driver.get(base + "/behov/" + need_id(base) + "?lang=sv")
    if not driver.find_elements(By.CSS_SELECTOR, "input[name=step]"):
        sys.exit("the förvaltare sees no step form on the need")
    failures += axe_page(driver, axe, "a need with its step form")
    print("needs: a need with a personnummer is refused before signing, naming the field; the ballot and the step form")
    return failures


def outage_forms(driver, axe, base):
    """Signs in as the host's förvaltare and checks the outage forms with axe: publishing, refused
    first for an end before the start, and a notice with its update and all-clear forms. Returns
    the number of violations."""
    failures = 0
    driver.get(base + "/demo/2580/forvaltare")
    wait_for(driver, "the demo link signing the förvaltare in", lambda d: d.current_url.endswith("/att-gora"))
    driver.get(base + "/driftstorningar/ny?lang=sv")
    failures += axe_page(driver, axe, "outage form: publish a notice")
    driver.find_element(By.ID, "kind-planerat-underhall").click()
    driver.find_element(By.ID, "title").send_keys("Uppgradering av Treserva")
    driver.find_element(By.ID, "text").send_keys("Systemet stängs under uppgraderingen.")
    driver.find_element(By.ID, "affected").send_keys("Journal IFO")
    driver.find_element(By.ID, "start").send_keys("2030-01-10 18.00")
    driver.find_element(By.ID, "end").send_keys("2030-01-10 17.00")
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for(driver, "the refused notice", lambda d: d.find_elements(By.CSS_SELECTOR, ".error-summary"))
    message = driver.find_element(By.CSS_SELECTOR, ".error-summary").text
    if "före starten" not in message:
        sys.exit("a notice ending before it starts is not refused saying so: " + message)
    failures += axe_page(driver, axe, "a notice refused for an end before its start")
    driver.get(base + "/driftstorningar/" + outage_id(base) + "?lang=sv")
    if not driver.find_elements(By.ID, "update-text"):
        sys.exit("the förvaltare sees no update form on the notice")
    failures += axe_page(driver, axe, "a notice with its update and all-clear forms")
    print("outages: a notice ending before it starts is refused; the update and all-clear forms")
    return failures


def write_minutes(driver, second_justerare):
    """Fills in the minutes form (the first justerare, the chair, and the second justerare by its
    index among the options) and sends it."""
    from selenium.webdriver.support.ui import Select
    for text in driver.find_elements(By.CSS_SELECTOR, "textarea[name=text]"):
        text.send_keys("Ärendet föredrogs.")
    Select(driver.find_element(By.ID, "justerare-1")).select_by_index(1)
    Select(driver.find_element(By.ID, "justerare-2")).select_by_index(second_justerare)
    Select(driver.find_element(By.ID, "chair")).select_by_index(1)
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()


def minutes_form(driver, axe, base):
    """Writes the minutes of the meeting just called: the form, the form refused (one justerare
    twice), and the minutes signed. Returns the number of violations."""
    failures = 0
    driver.get(base + "/sammantraden?lang=sv")
    driver.find_element(By.LINK_TEXT, "Skriv protokoll").click()
    wait_for(driver, "the minutes form", lambda d: d.current_url.endswith("/protokoll"))
    failures += axe_page(driver, axe, "host form: minutes")
    write_minutes(driver, second_justerare=1)
    wait_for(driver, "the refused minutes", lambda d: d.find_elements(By.CSS_SELECTOR, ".error-summary"))
    message = driver.find_element(By.CSS_SELECTOR, ".error-summary").text
    if "tre olika personer" not in message:
        sys.exit("minutes with one justerare twice do not say why: " + message)
    failures += axe_page(driver, axe, "minutes refused: one justerare twice")
    write_minutes(driver, second_justerare=2)
    wait_for(driver, "the signing page for the minutes", lambda d: d.current_url.endswith("/underskrift"))
    failures += axe_page(driver, axe, "the minutes offered for signing")
    driver.find_element(By.CSS_SELECTOR, "#sign-form button[type=submit]").click()
    wait_for(driver, "the receipt for the minutes", lambda d: "/kvitto/" in d.current_url)
    return failures


def certify_key(driver, axe, base, org_key_file, newcomer):
    """Still signed in as the host's förvaltare: certifies a new person's key for the host member,
    signing with the host's organisation key file chosen on the signing page. Returns the number
    of violations."""
    driver.get(base + "/medlemmar/certifiera?nyckel=" + newcomer)
    failures = axe_page(driver, axe, "certify a key: the form")
    driver.find_element(By.CSS_SELECTOR, "input[name=role][value=styrgrupp-ersattare]").click()
    driver.execute_script("document.getElementById('from').value = '2026-01-01'")
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for(driver, "the signing page for the roster change", lambda d: d.current_url.endswith("/underskrift"))
    failures += axe_page(driver, axe, "certify a key: signing with the organisation's key file")
    driver.find_element(By.ID, "org-key").send_keys(org_key_file)
    driver.find_element(By.CSS_SELECTOR, "#sign-form button[type=submit]").click()
    wait_for(driver, "the receipt for the roster change", lambda d: "/kvitto/" in d.current_url)
    driver.get(base + "/medlemmar?lang=sv")
    if ("nyckel " + newcomer[:8] + " godkänd som Ersättare") not in driver.find_element(By.TAG_NAME, "main").text:
        sys.exit("the certified key is not in the roster's history")
    print("certify: the host's organisation key file, read in the browser, certified a new person's key")
    return failures


def plan_id(base):
    """The id of the fixture's plan, from the plans list."""
    with urllib.request.urlopen(base + "/api/v1/plans") as r:
        plans = json.loads(r.read())
    items = plans.get("plans", plans) if isinstance(plans, dict) else plans
    return items[0]["id"]


def support_case_id(base):
    """The id of the fixture's support case, from the support API."""
    with urllib.request.urlopen(base + "/api/v1/support/cases") as r:
        return json.loads(r.read())["cases"][0]["id"]


def agreement_id(base):
    """The id of the fixture's agreement, from the agreements list."""
    with urllib.request.urlopen(base + "/api/v1/agreements") as r:
        agreements = json.loads(r.read())
    items = agreements.get("agreements", agreements) if isinstance(agreements, dict) else agreements
    return items[0]["id"]


def outage_id(base):
    """The id of the fixture's active outage notice, from the outages list."""
    with urllib.request.urlopen(base + "/api/v1/outages") as r:
        return json.loads(r.read())["outages"][0]["id"]
def need_id(base):
    """The id of the fixture's need, from the backlog."""
    with urllib.request.urlopen(base + "/api/v1/needs") as r:
        return json.loads(r.read())["needs"][0]["id"]


# The web fixture's operator token (node/tests/support/fixture.rs).
FIXTURE_TOKEN = "fixture-token"


def main():
    axe = axe_source()
    proc, (base, closed, opened, minutes, org_key_file, newcomer) = start_fixture()
    failures = 0
    try:
        driver = browser()
        try:
            version = driver.execute_script("return navigator.userAgent")
            print("browser:", version)
            self_check(driver, axe)
            keyboard(driver, base)
            pages = ["/", "/arenden", "/arenden/" + closed, "/arenden/" + opened, "/sammantraden", "/diariet",
                     "/protokoll/" + minutes, "/planer", "/planer/" + plan_id(base), "/fakturaunderlag/2027", "/avtal", "/avtal/" + agreement_id(base), "/driftstorningar", "/driftstorningar/" + outage_id(base), "/behov", "/behov/" + need_id(base), "/support", "/support/" + support_case_id(base), "/medlemmar", "/noden", "/tillganglighet", "/logga-in", "/nyckel",
                     "/finns-inte"]
            for lang in ["sv", "en"]:
                for page in pages:
                    url = base + page + "?lang=" + lang
                    result = check(driver, axe, url)
                    violations = result["violations"]
                    print(("ok  " if not violations else "FAIL"), url, "axe", result.get("version"),
                          result["passes"], "rules passed,", len(violations), "violations")
                    for v in violations:
                        failures += 1
                        print("  -", v["id"], ":", v.get("description", ""))
                        for node in v.get("nodes", [])[:5]:
                            print("      at", node.get("target"), node.get("failureSummary", "").replace("\n", " "))
            failures += keyboard_vote(driver, axe, base, opened)
            failures += host_forms(driver, axe, base)
            failures += certify_key(driver, axe, base, org_key_file, newcomer)
            failures += support_forms(driver, axe, base)
            failures += need_forms(driver, axe, base)
            failures += outage_forms(driver, axe, base)
            driver.get(base + "/arenden?lang=sv")
            shots = os.path.join(ROOT, os.environ.get("SAMVERKA_SCREENSHOTS", "target/screenshots"))
            os.makedirs(shots, exist_ok=True)
            driver.save_screenshot(os.path.join(shots, "arenden.png"))
            for page, name in [("/behov", "behov.png"), ("/support", "support.png"),
                               ("/driftstorningar", "driftstorningar.png"), ("/planer", "planer.png"),
                               ("/avtal", "avtal.png")]:
                driver.get(base + page + "?lang=sv")
                shot(driver, name)
            driver.get(base + "/arenden/" + closed + "?lang=sv")
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(1280, min(height + 100, 4000))
            driver.save_screenshot(os.path.join(shots, "arende.png"))
        finally:
            driver.quit()
    finally:
        proc.kill()
        proc.wait()
    if failures:
        sys.exit(f"{failures} accessibility violations")
    print("axe:", TAGS, "no violations on", 2 * len(pages), "pages and 23 signed-in states")


if __name__ == "__main__":
    main()
