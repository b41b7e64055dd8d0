"""The console in a real browser: Debian's chromium, headless, driven by Playwright.

The service is `babyshield-chat serve` as `scripts/serve` runs it (dev
identity, chat on for everyone, an admin token) on the real recall data, one
process for the module; each test opens a fresh browser profile. The tests
use the page as a person does, by labels and roles, and check what the
service did through its public API. Screenshots at desktop and phone widths
go to `test-artifacts/console/` (git-ignored).
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Playwright, expect, sync_playwright

from babyshield_chat.devtools.processes import DEV_ENV, ServiceProcess
from tests.support.browser import (ARTIFACTS, CONTRAST_SCRIPT, DESKTOP, PHONE, UNLABELLED_SCRIPT, PageWatch,
                                   chromium_path, launch)

ADMIN_TOKEN = "console-test-admin-token"
USER = "console-user"  # the page's default dev identity
RECALLED_UPC = "817980011137"  # 4moms breeze play yard sheets, CPSC recall 13115
KILL_SWITCH_SEC = 2.0  # spec section 3: every instance applies an override within 2 s


@pytest.fixture(scope="module")
def service(module_loaded_database_url: str) -> Iterator[ServiceProcess]:
    chromium_path()  # fail before starting anything when the browser is missing
    process = ServiceProcess({**DEV_ENV, "BS_DATABASE_URL": module_loaded_database_url,
                              "BS_ADMIN_TOKEN": ADMIN_TOKEN, "BS_METRICS_PROMETHEUS": "true",
                              "BS_LLM_DAILY_BUDGET_USD": "50",
                              # The page's user is an internal tester: it keeps the chat at any percentage.
                              "BS_FEATURE_CHAT_ALLOWLIST": USER})
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


def api(service: ServiceProcess, method: str, path: str, body: object = None, headers: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(service.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def admin(service: ServiceProcess, method: str, path: str, body: object = None) -> dict:
    return api(service, method, path, body, {"Authorization": f"Bearer {ADMIN_TOKEN}"})


def chat_flags(service: ServiceProcess) -> dict:
    return api(service, "GET", "/api/v1/chat/flags", headers={"X-User-Id": USER})


@pytest.fixture
def page(service: ServiceProcess, playwright: Playwright, tmp_path) -> Iterator[Page]:
    context = launch(playwright, tmp_path / "profile")
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()
        # Whatever a test did to the flag, the next one starts from env values.
        if admin(service, "GET", "/api/v1/admin/flags/chat")["override"] is not None:
            admin(service, "DELETE", "/api/v1/admin/flags/chat", {"reason": "back to env after the test"})


def open_console(page: Page, service: ServiceProcess) -> PageWatch:
    watch = PageWatch(page, service.url)
    page.goto(f"{service.url}/console")
    expect(page.locator("#chat-status")).to_have_text(re.compile("Chat on for this user"))
    return watch


def ask(page: Page, question: str, *, upc: str | None = None, brand: str | None = None) -> None:
    if upc:
        page.get_by_label("UPC / GTIN").fill(upc)
    if brand:
        page.get_by_label("Brand").fill(brand)
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator(".answer:not(.pending)").last).to_be_visible()


def connect_admin(page: Page, actor: str = "Dana") -> None:
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_label("Your name").fill(actor)
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#switch-value")).to_have_text(re.compile("On|Off"))


def open_action(page: Page, button: str):
    """Click a rollout action; its confirmation dialog."""
    page.get_by_role("button", name=button).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_the_page_loads_without_errors_or_requests_to_other_origins(service, page):
    watch = open_console(page, service)
    page.wait_for_load_state("networkidle")
    assert watch.errors == []
    assert f"{service.url}/console/static/main.js" in watch.requests
    assert page.title() == "BabyShield Chat console"


def test_a_recalled_upc_shows_the_recall_with_its_link(service, page):
    watch = open_console(page, service)
    ask(page, "Is this recalled?", upc=RECALLED_UPC, brand="4moms")
    answer = page.locator(".answer").last
    expect(answer.locator(".summary")).to_contain_text("recall")
    expect(answer.locator(".check[data-status=fail] .chip")).to_have_text("Recall: Problem")
    link = answer.locator(".evidence a").first
    expect(link).to_contain_text("4moms")
    assert re.match(r"https?://www\.cpsc\.gov/", link.get_attribute("href"))
    assert link.get_attribute("rel") == "noopener noreferrer"
    expect(answer.locator(".evidence")).to_contain_text("13115")
    trace_id = answer.locator(".trace-id").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    expect(answer.locator(".synthesizer")).to_have_text("synthesizer offline")
    expect(answer.locator(".latency")).to_have_text(re.compile(r"latency \d+ ms"))
    expect(answer.get_by_role("button", name=f"Copy trace id {trace_id}")).to_be_visible()
    assert watch.errors == []


def test_an_emergency_shows_the_banner_first(service, page):
    open_console(page, service)
    ask(page, "my baby swallowed a battery")
    answer = page.locator(".answer").last
    banner = answer.get_by_role("alert")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("911")
    expect(banner).to_contain_text("Poison Control")
    assert answer.evaluate("a => a.firstElementChild.classList.contains('emergency')")
    assert answer.get_attribute("data-intent") == "emergency"


def test_a_suggested_question_is_a_button_that_asks_it(service, page):
    open_console(page, service)
    ask(page, "Is this recalled?", upc=RECALLED_UPC)
    suggestion = page.locator(".answer .suggested button").first
    question = suggestion.inner_text()
    suggestion.click()
    expect(page.locator(".question").last).to_have_text(question)
    expect(page.locator(".answer:not(.pending)")).to_have_count(2)


def feedback_votes(service: ServiceProcess) -> dict[tuple[str, str, str], float]:
    """`chat_feedback_total` from the service's /metrics, by (helpful, reason, intent)."""
    with urllib.request.urlopen(service.url + "/metrics", timeout=5) as response:
        text = response.read().decode()
    votes = {}
    for line in text.splitlines():
        match = re.match(r'chat_feedback_total\{helpful="(\w+)",intent="(\w+)",reason="(\w+)"\} ([\d.]+)', line)
        if match:
            votes[(match[1], match[3], match[2])] = float(match[4])
    return votes


def test_thumbs_down_then_a_reason_votes_on_that_answer_and_thumbs_up_on_another(service, page):
    watch = open_console(page, service)
    before = feedback_votes(service)
    ask(page, "Is this recalled?", upc=RECALLED_UPC)
    answer = page.locator(".answer").last
    vote = answer.get_by_role("group", name="Was this answer helpful?")
    expect(vote.get_by_role("group", name="Why it did not help")).to_be_hidden()
    vote.get_by_role("button", name="Not helpful").click()
    expect(vote.get_by_role("status")).to_have_text("Thanks: recorded as not helpful")
    expect(vote.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    vote.get_by_role("group", name="Why it did not help").get_by_role("button", name="Unsafe").click()
    expect(vote.get_by_role("status")).to_have_text("Thanks: recorded as not helpful (unsafe)")
    expect(vote.get_by_role("button", name="Unsafe")).to_have_attribute("aria-pressed", "true")

    ask(page, "my baby swallowed a battery")
    emergency = page.locator(".answer").last.get_by_role("group", name="Was this answer helpful?")
    emergency.get_by_role("button", name="Helpful", exact=True).click()
    expect(emergency.get_by_role("status")).to_have_text("Thanks: recorded as helpful")
    expect(emergency.get_by_role("group", name="Why it did not help")).to_be_hidden()

    after = feedback_votes(service)
    added = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
    # Each press is a vote: the reason replaced the bare thumbs down in storage and counted again.
    assert added == {("false", "none", "recall_details"): 1, ("false", "unsafe", "recall_details"): 1,
                     ("true", "none", "emergency"): 1}
    assert watch.errors == []


def test_the_rollout_panel_shows_the_next_phases_cost_and_the_feedback_gate(service, page):
    admin(service, "PUT", "/api/v1/admin/flags/chat", {"rollout_pct": 0.25, "reason": "phase 2"})
    open_console(page, service)
    connect_admin(page)
    expect(page.locator("#cost-value")).to_have_text("no data")
    expect(page.locator("#cost-note")).to_have_text("at 50%; budget $50.00/day")
    row = page.locator("tr[data-gate=unhelpful_ratio]")
    expect(row).to_contain_text("Unhelpful answers (this phase)")
    expect(row).to_contain_text("warning 15% · critical 25%")
    expect(row).to_have_attribute("data-state", "no_data")
    expect(page.locator("#verdict-reasons li").first).to_have_text(
        "no data for 7 gates, the traffic and the cost: Prometheus is not configured")


def test_the_kill_switch_needs_a_reason_turns_chat_off_within_2_s_and_is_audited(service, page):
    open_console(page, service)
    connect_admin(page, actor="Dana")
    dialog = open_action(page, "Kill switch")
    expect(dialog).to_contain_text("Turn the chat off for everyone?")
    confirm = dialog.get_by_role("button", name="Turn chat off")
    confirm.click()  # no reason yet
    expect(dialog.get_by_role("alert")).to_contain_text("Say why")
    assert chat_flags(service)["chat_enabled_global"] is True

    dialog.get_by_label("Reason").fill("incident 42: answers slow")
    confirm.click()
    clicked = time.monotonic()
    while chat_flags(service)["chat_enabled_global"]:
        assert time.monotonic() - clicked < KILL_SWITCH_SEC, "the kill switch did not reach /api/v1/chat/flags in 2 s"
        time.sleep(0.05)
    expect(dialog).to_be_hidden()
    expect(page.locator("#switch-value")).to_have_text("Off")
    first = page.locator("#audit-list li").first
    expect(first).to_contain_text("incident 42: answers slow")
    expect(first).to_contain_text("on 100% → off 100%")
    expect(first).to_contain_text("by Dana")
    expect(page.locator("#chat-status")).to_have_text(re.compile("Chat off for this user · disabled"))

    dialog = open_action(page, "Turn chat on")
    dialog.get_by_label("Reason").fill("incident 42 resolved")
    dialog.get_by_role("button", name="Turn chat on").click()
    expect(page.locator("#switch-value")).to_have_text("On")
    assert chat_flags(service)["chat_enabled_global"] is True


def test_roll_back_and_advance_preview_then_apply_through_the_guard(service, page):
    open_console(page, service)
    connect_admin(page)
    dialog = open_action(page, "Roll back…")
    dialog.get_by_label("Reason").fill("p95 creeping up")
    dialog.get_by_role("button", name="Preview roll back").click()
    expect(dialog.locator("#confirm-preview")).to_have_text("Rolls back from 100% to 50%.")
    assert chat_flags(service)["chat_rollout_pct"] == 1.0  # a preview changes nothing
    dialog.get_by_role("button", name="Confirm roll back").click()
    expect(page.locator("#pct-value")).to_have_text("50%")
    assert chat_flags(service)["chat_rollout_pct"] == 0.5
    expect(page.locator("#audit-list li").first).to_contain_text("p95 creeping up")

    dialog = open_action(page, "Advance…")
    dialog.get_by_label("Reason").fill("daily review")
    dialog.get_by_role("button", name="Preview decision").click()
    expect(dialog.locator("#confirm-preview")).to_contain_text("The guard would: hold at 50%")
    dialog.get_by_role("button", name="Apply the guard's decision").click()
    first = page.locator("#audit-list li").first
    expect(first).to_have_attribute("data-action", "guard_hold")
    expect(first).to_contain_text("(asked: daily review)")
    assert chat_flags(service)["chat_rollout_pct"] == 0.5


def test_set_percentage_asks_for_a_number_and_a_reason(service, page):
    open_console(page, service)
    connect_admin(page)
    dialog = open_action(page, "Set percentage…")
    dialog.get_by_label("New percentage of users").fill("250")
    dialog.get_by_label("Reason").fill("phase 2")
    dialog.get_by_role("button", name="Set to 250%").click()
    expect(dialog.get_by_role("alert")).to_contain_text("from 0 to 100")
    dialog.get_by_label("New percentage of users").fill("25")
    dialog.get_by_role("button", name="Set to 25%").click()
    expect(page.locator("#pct-value")).to_have_text("25%")
    assert chat_flags(service)["chat_rollout_pct"] == 0.25


def test_a_wrong_admin_token_is_refused_and_never_kept_or_put_in_the_url(service, page):
    watch = open_console(page, service)
    page.get_by_label("Admin token").fill("not-the-token")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#admin-error")).to_contain_text("Admin credentials are required")
    expect(page.locator("#rollout-view")).to_be_hidden()
    assert page.evaluate("() => Object.values(sessionStorage).join()") == ""
    connect_admin(page)
    assert ADMIN_TOKEN in page.evaluate("() => Object.values(sessionStorage).join()")
    assert not any(ADMIN_TOKEN in url for url in watch.requests + [page.url])
    page.reload()  # the same tab keeps it; the page reconnects by itself
    expect(page.locator("#switch-value")).to_have_text("On")


def test_keyboard_alone_asks_a_question_and_follows_a_suggestion(service, page):
    open_console(page, service)
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => [document.activeElement.id, getComputedStyle(document.activeElement).outlineStyle]")
        assert focused[1] != "none", f"#{focused[0]} has no visible focus indicator"
        if focused[0] == "message":
            break
    else:
        pytest.fail("Tab never reached the question box")
    page.keyboard.type("Is this recalled? The UPC is on the box.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".answer:not(.pending)")).to_have_count(1)
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('.suggested')"):
            break
    else:
        pytest.fail("Tab never reached a suggested question")
    page.keyboard.press("Enter")
    expect(page.locator(".answer:not(.pending)")).to_have_count(2)


def test_every_control_is_labelled_and_all_text_meets_aa_contrast(service, page):
    open_console(page, service)
    ask(page, "Is this recalled?", upc=RECALLED_UPC)
    ask(page, "my baby swallowed a battery")
    connect_admin(page)
    assert page.evaluate(UNLABELLED_SCRIPT) == []
    assert page.evaluate(CONTRAST_SCRIPT) == []


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_at_desktop_and_phone_widths_fit_the_screen(service, playwright, tmp_path, name, viewport):
    context = launch(playwright, tmp_path / "profile", viewport)
    try:
        api(service, "PUT", "/api/v1/admin/flags/chat", {"rollout_pct": 0.25, "reason": "10% soaked 24 h, every gate green"},
            {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Admin-Actor": "Dana"})
        page = context.pages[0] if context.pages else context.new_page()
        open_console(page, service)
        connect_admin(page, actor="Dana")
        page.get_by_role("button", name="Recalled play yard sheet").click()
        page.get_by_role("button", name="Ask", exact=True).click()
        expect(page.locator(".answer:not(.pending)")).to_have_count(1)
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"console-{name}-full.png"), full_page=True)
        page.locator(".answer .checks").last.evaluate("c => c.closest('section').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"))
    finally:
        context.close()
        admin(service, "DELETE", "/api/v1/admin/flags/chat", {"reason": "back to env after the test"})
