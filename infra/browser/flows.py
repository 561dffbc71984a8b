#!/usr/bin/env python3
"""Bookwarden's pages driven in a real browser (Debian's Chromium through
Playwright), one flow per run:

    flows.py <flow> --base <url> [--link <url>] --artifacts <dir> [options]

The Rust test (tests/browser.rs) seeds the data, reads the mail and checks
the outcome through the API; this script only drives the browser. Every page
it sees is checked:

- axe-core finds no `serious` or `critical` violation (WCAG 2.0/2.1 A and AA,
  WCAG 2.2 AA). With JavaScript on, axe runs in the page itself: Playwright
  evaluates its source through the DevTools protocol, which the page's CSP
  (`script-src 'self'`, Trusted Types) does not govern, and axe uses no DOM
  sink. With JavaScript off axe cannot run there (its promises never settle),
  so the page's HTML is replayed at the same URL in a second context created
  with `bypass_csp=True`, the page's own script blocked, and axe runs there.
- No Content-Security-Policy or Trusted Types violation: the page's console
  errors and `securitypolicyviolation` events (reported by an init script).

A screenshot of every checked page goes to `<artifacts>/NN-step.png`. Lines
`key=value` on standard output report values to the Rust side. Exit status 0
means every step and check passed.
"""

import argparse
import os
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("BOOKWARDEN_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking switches Chromium reaches out to its
# services at start, which a closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SOURCE = HERE / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
# The business's zone: times on the pages read as the owner set them.
ZONE = "Europe/Berlin"
TIMEOUT_MS = 15_000

# Reports CSP and Trusted Types violations as console errors the watcher reads
# (the browser logs most of them itself; the event catches the rest).
VIOLATION_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("securitypolicyviolation: " + e.violatedDirective + " blocked "
    + (e.blockedURI || "(inline)") + " at " + (e.sourceFile || e.documentURI)
    + ":" + e.lineNumber);
});
"""

AXE_RUN = """
async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return {
    passes: result.passes.length,
    incomplete: result.incomplete.map((v) => v.id),
    violations: result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
    })),
  };
}
"""


class FlowFailed(Exception):
    """A step or a check did not hold."""


def ensure(condition, message):
    if not condition:
        raise FlowFailed(message)


def is_violation(text):
    lowered = text.lower()
    return (
        "content security policy" in lowered
        or "securitypolicyviolation" in lowered
        or "trusted type" in lowered
        or "trustedhtml" in lowered
        or "trustedscript" in lowered
    )


class Run:
    """One flow's browser, its checks and its screenshots."""

    def __init__(self, playwright, args):
        self.args = args
        self.artifacts = Path(args.artifacts)
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        self.axe_source = AXE_SOURCE.read_text(encoding="utf-8")
        self.step = 0
        self.violations = []
        self.checked = 0
        self._replay_context = None
        self.no_js_contexts = []
        self.last_page = None

    def close(self):
        self.browser.close()

    # ------------------------------------------------------------ contexts
    def context(self, javascript=True):
        """A fresh browser profile in the business's zone, reading English."""
        context = self.browser.new_context(
            timezone_id=ZONE,
            locale="en-GB",
            java_script_enabled=javascript,
            accept_downloads=True,
            viewport={"width": 1024, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        if javascript:
            context.add_init_script(VIOLATION_REPORTER)
        context.on("page", self.watch)
        return context

    def watch(self, page):
        def on_console(message):
            if message.type == "error" and is_violation(message.text):
                self.violations.append((page.url, message.text))

        def on_error(error):
            self.violations.append((page.url, f"uncaught script error: {error}"))

        page.on("console", on_console)
        page.on("pageerror", on_error)

    def replay_context(self):
        if self._replay_context is None:
            self._replay_context = self.browser.new_context(
                bypass_csp=True, timezone_id=ZONE, locale="en-GB"
            )
            self._replay_context.set_default_timeout(TIMEOUT_MS)
        return self._replay_context

    # -------------------------------------------------------------- checks
    def shot(self, page, name):
        self.step += 1
        path = self.artifacts / f"{self.step:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def check(self, page, name):
        """Screenshot, page contract, CSP and axe-core for the page as shown."""
        self.last_page = page
        page.wait_for_load_state("load")
        path = self.shot(page, name)
        ensure(page.locator("html[lang]").count() == 1, f"{name}: <html lang> is missing")
        ensure(page.locator("main#main").count() == 1, f"{name}: <main id=main> is missing")
        # Links to ?lang=..., or (on pages reached by a post) buttons that
        # post the page again with `lang`.
        switcher = page.locator("#languages a[href*='lang='], #languages button[name=lang]")
        ensure(switcher.count() >= 5, f"{name}: the language switcher is missing")
        self.assert_no_violation(name)
        if page.context not in self.no_js_contexts:
            result = self.axe_in_page(page)
            mode = "in-page"
        else:
            result = self.axe_replayed(page)
            mode = "replayed, CSP bypassed"
        # axe itself must not have tripped the policy either.
        self.assert_no_violation(name + " (while axe ran)")
        blocking = [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]
        minor = [f"{v['id']} ({v['impact']})" for v in result["violations"] if v not in blocking]
        ensure(
            not blocking,
            f"{name}: axe-core found serious or critical violations at {page.url}:\n"
            + "\n".join(
                f"  {v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}"
                for v in blocking
            ),
        )
        self.checked += 1
        print(
            f"checked {path.name}: {page.url} axe {mode}: {result['passes']} rules pass, "
            f"{len(result['violations'])} violations{(' ' + ', '.join(minor)) if minor else ''}, "
            f"{len(result['incomplete'])} need review; no CSP violation",
            flush=True,
        )
        return result

    def no_js_context(self):
        context = self.context(javascript=False)
        self.no_js_contexts.append(context)
        return context

    def assert_no_violation(self, name):
        ensure(
            not self.violations,
            f"{name}: Content-Security-Policy / Trusted Types violations:\n"
            + "\n".join(f"  {url}: {text}" for url, text in self.violations),
        )

    def axe_in_page(self, page):
        if page.evaluate("() => typeof window.axe") != "object":
            page.evaluate(self.axe_source)
        return page.evaluate(AXE_RUN, AXE_TAGS)

    def axe_replayed(self, page):
        """axe on the same HTML at the same URL, scripts blocked, in a context
        that bypasses the CSP (for pages whose context has JavaScript off)."""
        html = page.content()
        url = page.url.split("#")[0]
        replay = self.replay_context().new_page()
        try:
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))

            def serve(route):
                request = route.request
                if request.url.split("#")[0] == url and request.resource_type == "document":
                    route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
                elif request.url.startswith(origin) and request.resource_type == "script":
                    route.abort()
                else:
                    route.continue_()

            replay.route("**/*", serve)
            replay.goto(url)
            replay.evaluate(self.axe_source)
            return replay.evaluate(AXE_RUN, AXE_TAGS)
        finally:
            replay.close()

    # ------------------------------------------------------------- helpers
    def goto(self, page, url, name, expect_status=200):
        self.last_page = page
        response = page.goto(url)
        ensure(response is not None, f"{name}: no response for {url}")
        ensure(
            response.status == expect_status,
            f"{name}: {url} answered {response.status}, expected {expect_status}",
        )
        return response

    def submit(self, page, selector, expect_status=200, double=False):
        """Clicks a submit button and waits for the page it leads to."""
        with page.expect_navigation() as navigation:
            if double:
                page.dblclick(selector)
            else:
                page.click(selector)
        response = navigation.value
        ensure(response is not None, f"no response after {selector}")
        ensure(
            response.status == expect_status,
            f"{selector} led to {response.status} at {page.url}, expected {expect_status}:\n"
            + page.inner_text("main")[:1500],
        )
        return response

    def report(self, key, value):
        print(f"{key}={value}", flush=True)


# ------------------------------------------------------------------ steps
def assert_fragment_gone(page, name):
    """The link's secret left the address bar (and this history entry)."""
    ensure("#" not in page.url, f"{name}: the address still has a fragment: {page.url}")
    ensure(
        page.evaluate("() => window.location.hash") == "",
        f"{name}: location.hash is still set",
    )


def assert_one_more_entry(page, baseline, name):
    """Opening the link added one history entry (the fragment was replaced,
    not pushed)."""
    history = page.evaluate("() => history.length")
    ensure(
        history == baseline + 1,
        f"{name}: history.length is {history}, expected {baseline + 1} (one entry for the link)",
    )


def open_times(run, page, link, date, name):
    """The booking page, then the open times of `date` through form#pick."""
    run.goto(page, link, name)
    ensure(page.locator("form#pick").count() == 1, "the booking page has no form#pick")
    run.check(page, name)
    page.select_option("#service", index=0)
    if page.locator("#staff").count():
        page.select_option("#staff", "any")
    page.fill("#date", date)
    ensure(page.input_value("#tz") != "", "the time zone field is empty")
    run.submit(page, "#show-times")
    ensure(page.locator("form#book").count() == 1, f"no form#book after choosing a day: {page.url}")
    ensure(page.locator("nav#days").count() == 1, "no nav#days with the other days")
    slots = page.locator("input.slot[name=start]")
    ensure(slots.count() > 0, f"no open times on {date}")
    run.check(page, name + "-times")
    return slots


def choose(page, slot):
    """Picks a time as a person does: by its label (the radio is hidden)."""
    page.locator(f"label[for='{slot.get_attribute('id')}']").click()
    ensure(slot.is_checked(), f"clicking the label of {slot.get_attribute('value')} did not select it")


def fill_details(page, name, email):
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#phone", "+49 30 1234567")


def expect_booked(run, page, name):
    done = page.locator("#done")
    ensure(done.count() == 1, f"no #done after booking: {page.url}")
    ensure(done.locator("h1").count() == 1, "#done has no heading")
    ensure(page.locator("a#ics[download]").count() == 1, "no add-to-calendar link a#ics[download]")
    run.check(page, name)
    return done.inner_text()


# ------------------------------------------------------------------ flows
def expect_caught(run, page, step, needle, what, key):
    """Runs the page checks where a violation was made on purpose: they must
    fail, and name `needle` in their failure."""
    try:
        run.check(page, step)
    except FlowFailed as caught:
        ensure(needle in str(caught).lower(), f"unexpected failure: {caught}")
        run.report(key, needle + ": " + " ".join(str(caught).split())[:160])
        return
    raise AssertionError(f"{what} passed the checks")


def flow_book(run, args):
    page = run.context().new_page()
    # The language switcher, then back to English for the booking.
    run.goto(page, args.link, "book-de")
    with page.expect_navigation():
        page.click("#languages a[hreflang=de]")
    ensure(page.locator("html[lang=de]").count() == 1, "the page did not switch to German")
    run.check(page, "book-de")
    slots = open_times(run, page, args.link + "?lang=en", args.date, "book")
    first = slots.first
    start = first.get_attribute("value")
    label = page.locator(f"label[for='{first.get_attribute('id')}']").inner_text()
    choose(page, first)
    fill_details(page, "Cora Customer", args.email)
    run.submit(page, "#book-submit")
    summary = expect_booked(run, page, "booked")
    ensure(label.strip() in summary, f"the confirmation does not name the time {label!r}: {summary}")
    with page.expect_download() as download:
        page.click("#ics")
    saved = download.value.path()
    calendar = Path(saved).read_text(encoding="utf-8")
    ensure("BEGIN:VCALENDAR" in calendar and "BEGIN:VEVENT" in calendar, "the .ics is no calendar")
    ensure(download.value.suggested_filename.endswith(".ics"), "the download is not an .ics file")
    run.report("start", start)
    run.report("label", label.strip())


def flow_no_js(run, args):
    page = run.no_js_context().new_page()
    slots = open_times(run, page, args.link, args.date, "no-js")
    start = slots.first.get_attribute("value")
    choose(page, slots.first)
    fill_details(page, "Nora Noscript", args.email)
    run.submit(page, "#book-submit")
    expect_booked(run, page, "no-js-booked")
    run.report("start", start)


def flow_double_click(run, args):
    page = run.context().new_page()
    slots = open_times(run, page, args.link, args.date, "double-click")
    start = slots.first.get_attribute("value")
    choose(page, slots.first)
    fill_details(page, "Dora Double", args.email)
    requests = []
    page.on(
        "request",
        lambda r: requests.append(r.url) if r.method == "POST" else None,
    )
    run.submit(page, "#book-submit", double=True)
    expect_booked(run, page, "double-click-booked")
    page.wait_for_timeout(500)
    ensure(len(requests) == 1, f"the double click sent {len(requests)} posts: {requests}")
    run.report("posts", len(requests))
    run.report("start", start)


def flow_slot_taken(run, args):
    context = run.context()
    tab_a = context.new_page()
    tab_b = context.new_page()
    slots_a = open_times(run, tab_a, args.link, args.date, "tab-a")
    slots_b = open_times(run, tab_b, args.link, args.date, "tab-b")
    start = slots_a.first.get_attribute("value")
    ensure(slots_b.first.get_attribute("value") == start, "the tabs list different first times")
    for tab, who in ((tab_a, "Alice First"), (tab_b, "Bert Second")):
        choose(tab, tab.locator(f"input.slot[value='{start}']"))
        fill_details(tab, who, args.email if tab is tab_a else args.email_b)
    run.submit(tab_a, "#book-submit")
    expect_booked(run, tab_a, "tab-a-booked")
    tab_b.bring_to_front()
    run.submit(tab_b, "#book-submit", expect_status=409)
    summary = tab_b.locator("#error-summary[role=alert]")
    ensure(summary.count() == 1, "no #error-summary after the taken time")
    ensure(tab_b.locator("#done").count() == 0, "tab B shows a confirmation")
    offered = tab_b.locator("input.slot[name=start]")
    ensure(offered.count() > 0, "no nearest open times offered")
    values = [offered.nth(i).get_attribute("value") for i in range(offered.count())]
    ensure(start not in values, "the taken time is still offered")
    ensure(tab_b.input_value("#name") == "Bert Second", "the details typed were not kept")
    run.check(tab_b, "tab-b-taken")
    run.report("start", start)
    run.report("offered", len(values))
    run.report("summary", " ".join(summary.inner_text().split()))


def flow_manage(run, args):
    context = run.context()
    # The link page as it is before the script posts the fragment.
    page = context.new_page()
    run.goto(page, args.base + "/manage", "manage-link-page")
    ensure(page.locator("form#load[data-fragment]").count() == 1, "no form#load[data-fragment]")
    run.check(page, "manage-link-page")
    page.close()
    page = context.new_page()
    baseline = page.evaluate("() => history.length")
    run.goto(page, args.link, "manage-link")
    page.wait_for_selector("#booking")
    assert_fragment_gone(page, "manage")
    ensure(page.locator("form#load").count() == 0, "still on the link page")
    # The script posts the token before the link page finished loading, so
    # the post replaces the link's history entry: one entry in all.
    assert_one_more_entry(page, baseline, "manage")
    before = page.inner_text("#when")
    run.check(page, "manage")
    # Another language: the switcher posts the page again, token included.
    run.submit(page, "#languages button[name=lang][value=de]")
    ensure(page.locator("html[lang=de]").count() == 1, "the page did not switch to German")
    ensure(page.locator("#booking").count() == 1, "the booking is gone after switching language")
    run.check(page, "manage-de")
    ensure(page.locator("form#reschedule nav#days").count() == 1, "no days to move to")
    slots = page.locator("form#reschedule input.slot[name=start]")
    ensure(slots.count() > 0, "no time to move to")
    target = slots.last
    moved_to = target.get_attribute("value")
    choose(page, target)
    run.submit(page, "#reschedule-submit")
    ensure(page.locator("#done h1").count() == 1, "no #done after moving")
    run.check(page, "moved")
    run.report("moved_to", moved_to)

    # The link again, in a fresh tab: the new time, then cancel.
    page = context.new_page()
    run.goto(page, args.link, "manage-again")
    page.wait_for_selector("#booking")
    after = page.inner_text("#when")
    ensure(after != before, f"the appointment did not move: {after}")
    run.check(page, "manage-moved")
    run.submit(page, "#cancel-submit")
    ensure(page.locator("#done h1").count() == 1, "no #done after cancelling")
    run.check(page, "cancelled")

    page = context.new_page()
    run.goto(page, args.link, "manage-cancelled")
    page.wait_for_selector("#booking")
    ensure(page.locator("#status").count() == 1, "the page does not say it was cancelled")
    ensure(page.locator("form#cancel").count() == 0, "a cancelled booking can be cancelled again")
    run.check(page, "manage-cancelled")
    # Back from the booking: the entry before the link, not the link with
    # its token.
    page.go_back()
    ensure("token" not in page.url, f"back led to the token: {page.url}")
    ensure(not page.url.startswith(args.base), f"back led to {page.url}, not the page before")
    run.report("back_to", page.url)


def token_page(run, args, form_id, name, password=None, weak=None, switch_to=None):
    """A page an emailed link opens: the fragment fills the form and leaves
    the address bar; the reader confirms with the button. With `weak`, a
    password the server refuses first: the page answers 422 with the error
    summary (focused, linking to the field) and keeps the link's values. With
    `switch_to`, the reader first changes language, and the link's values
    come along."""
    page = run.context().new_page()
    baseline = page.evaluate("() => history.length")
    run.goto(page, args.link, name)
    form = page.locator(f"form#{form_id}[data-fragment]")
    ensure(form.count() == 1, f"no form#{form_id}[data-fragment]")
    assert_fragment_gone(page, name)
    hidden = form.locator("input[type=hidden]:not([name=lang])")
    ensure(hidden.count() > 0, "the form has no hidden fields for the link")
    for i in range(hidden.count()):
        field = hidden.nth(i)
        ensure(field.input_value() != "", f"{field.get_attribute('name')} was not filled from the link")
    assert_one_more_entry(page, baseline, name)
    run.check(page, name)
    if switch_to is not None:
        with page.expect_navigation():
            page.click(f"#languages a[lang={switch_to}]")
        page.wait_for_load_state("networkidle")
        ensure(
            page.evaluate("() => document.documentElement.lang") == switch_to,
            f"{name}: the page is not in {switch_to} after switching",
        )
        assert_fragment_gone(page, name + f" ({switch_to})")
        for i in range(hidden.count()):
            field = hidden.nth(i)
            ensure(
                field.input_value() != "",
                f"{field.get_attribute('name')} was lost when switching language",
            )
        run.check(page, name + "-" + switch_to)
    if weak is not None:
        page.fill("#password", weak)
        run.submit(page, f"#{form_id}-submit", expect_status=422)
        expect_error_summary(page, name + " (weak password)", field="password")
        ensure(
            form.locator("input[name=token]").input_value() != "",
            "the token was not kept after the refusal",
        )
        run.check(page, name + "-refused")
    if password is not None:
        page.fill("#password", password)
    run.submit(page, f"#{form_id}-submit")
    ensure(page.locator("#done h1").count() == 1, f"no #done after {form_id}: {page.inner_text('main')[:500]}")
    run.check(page, name + "-done")
    return page


def expect_error_summary(page, name, field=None):
    """The error summary: an alert, focused, linking to the field."""
    summary = page.locator("#error-summary[role=alert]")
    ensure(summary.count() == 1, f"{name}: no #error-summary[role=alert]")
    ensure(
        page.evaluate("() => document.activeElement && document.activeElement.id") == "error-summary",
        f"{name}: the error summary does not have the focus",
    )
    if field is not None:
        link = summary.locator(f"a[href='#{field}']")
        ensure(link.count() == 1, f"{name}: the summary does not link to #{field}")
        ensure(page.locator(f"#{field}").count() == 1, f"{name}: the summary links to no field")
    return " ".join(summary.inner_text().split())


def flow_verify_email(run, args):
    token_page(run, args, "verify", "verify-email")
    # The link once more: it was used, and the page says so.
    page = run.context().new_page()
    run.goto(page, args.link, "verify-email-again")
    run.submit(page, "#verify-submit", expect_status=400)
    ensure(page.locator("#done").count() == 0, "a used link confirmed again")
    run.report("used_link", expect_error_summary(page, "verify-email (used link)"))
    run.check(page, "verify-email-used")


def flow_reset_password(run, args):
    token_page(run, args, "reset", "reset-password", password=args.password, weak="password")


def flow_accept_invitation(run, args):
    token_page(run, args, "accept", "accept-invitation", password=args.password, switch_to="ja")


def flow_confirm_email_change(run, args):
    token_page(run, args, "confirm", "confirm-email-change")


def flow_unsubscribe(run, args):
    token_page(run, args, "unsubscribe", "unsubscribe")


def flow_checks_catch_problems(run, args):
    """The checks are not vacuous: a Trusted Types violation, an inline style
    and a missing label, made on purpose, each fail the page check."""
    page = run.context().new_page()
    run.goto(page, args.link, "canary")
    run.check(page, "canary-clean")
    try:
        page.evaluate("() => { document.querySelector('h1').innerHTML = '<b>x</b>'; }")
    except PlaywrightError:
        pass  # Trusted Types refuse the assignment: that is the violation.
    page.wait_for_timeout(200)
    expect_caught(run, page, "canary-csp", "trusted", "a Trusted Types violation", "csp_caught")
    run.violations.clear()
    page = run.context().new_page()
    run.goto(page, args.link, "canary-axe")
    page.evaluate("() => document.querySelector('label[for=service]').remove()")
    expect_caught(run, page, "canary-axe", "select-name", "an unlabelled select", "axe_caught")
    page = run.no_js_context().new_page()
    run.goto(page, args.link, "canary-no-js")
    page.evaluate("() => document.querySelector('label[for=service]').remove()")
    expect_caught(
        run, page, "canary-no-js", "select-name", "an unlabelled select (replayed)", "axe_replay_caught"
    )
    # Without JavaScript the browser's own console report is what catches a
    # violation: the real page, served with an inline style added.
    page = run.no_js_context().new_page()

    def with_inline_style(route):
        response = route.fetch()
        body = response.text().replace("</main>", '<p style="color: red">x</p></main>')
        route.fulfill(response=response, body=body)

    page.route(args.link, with_inline_style)
    run.goto(page, args.link, "canary-no-js-csp")
    expect_caught(
        run, page, "canary-no-js-csp", "style-src", "an inline style without JavaScript", "csp_no_js_caught"
    )


FLOWS = {
    "book": flow_book,
    "manage": flow_manage,
    "verify-email": flow_verify_email,
    "reset-password": flow_reset_password,
    "accept-invitation": flow_accept_invitation,
    "confirm-email-change": flow_confirm_email_change,
    "unsubscribe": flow_unsubscribe,
    "double-click": flow_double_click,
    "slot-taken": flow_slot_taken,
    "no-js": flow_no_js,
    "checks-catch-problems": flow_checks_catch_problems,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("flow", choices=sorted(FLOWS))
    parser.add_argument("--base", required=True, help="the gateway, http://127.0.0.1:<port>")
    parser.add_argument("--link", help="the page or emailed link the flow opens")
    parser.add_argument("--artifacts", required=True, help="directory for screenshots")
    parser.add_argument("--date", help="the day to book (YYYY-MM-DD)")
    parser.add_argument("--email", default="cora@example.org", help="the customer's address")
    parser.add_argument("--email-b", default="bert@example.org", help="the second tab's address")
    parser.add_argument("--password", help="the password to set")
    args = parser.parse_args(argv)
    if args.link is None:
        parser.error("--link is required")
    started = time.monotonic()
    with sync_playwright() as playwright:
        run = Run(playwright, args)
        try:
            FLOWS[args.flow](run, args)
        except Exception as failure:  # every failure ends the flow with a report
            if run.last_page is not None and not run.last_page.is_closed():
                try:
                    run.shot(run.last_page, "failure")
                except PlaywrightError:
                    pass
            traceback.print_exc()
            print(f"FAILED {args.flow}: {failure}", file=sys.stderr, flush=True)
            return 1
        finally:
            run.close()
    print(f"pages_checked={run.checked}")
    print(f"seconds={time.monotonic() - started:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
