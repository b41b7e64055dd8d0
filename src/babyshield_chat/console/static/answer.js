// An answer as the app shows it: the emergency banner first when there is one, then the
// summary, the reasons, the checks as coloured chips, the evidence with links, the suggested
// questions as buttons, the disclaimer, the parent's thumbs up or down (with an optional reason,
// POST /api/v1/chat/feedback); then what support and on-call need: the intent, the synthesizer,
// any fallback reason, the latency and the trace id to copy.

import { h, traceLine } from "./dom.js";

const CHECK_STATES = {
  pass: { label: "OK", tone: "is-ok" },
  warn: { label: "Caution", tone: "is-warn" },
  fail: { label: "Problem", tone: "is-bad" },
  unknown: { label: "Unknown", tone: "is-none" },
};

function checkName(name) {
  return name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

function emergencyBanner(emergency) {
  const amber = emergency.level === "amber";
  return h("div", { class: `emergency${amber ? " amber" : ""}`, role: "alert" },
    h("span", { class: "icon", "aria-hidden": "true" }, "!"),
    h("div", {},
      h("strong", {}, emergency.call_to_action),
      h("p", {}, emergency.reason)));
}

function section(title, body) {
  return h("section", { "aria-label": title }, h("h4", {}, title), body);
}

function checks(list) {
  return h("ul", { class: "checks" }, list.map((check) => {
    const state = CHECK_STATES[check.status] || CHECK_STATES.unknown;
    return h("li", { class: "check", "data-status": check.status },
      h("span", { class: `chip ${state.tone}` }, `${checkName(check.name)}: ${state.label}`),
      h("span", { class: "detail" }, check.detail));
  }));
}

function evidence(list) {
  return h("ul", { class: "evidence" }, list.map((item) => {
    const title = item.url
      ? h("a", { href: item.url, target: "_blank", rel: "noopener noreferrer" }, item.title)
      : h("span", {}, item.title);
    const meta = [item.type, item.id, item.date].filter(Boolean).join(" · ");
    return h("li", { "data-type": item.type }, title, h("div", { class: "meta" }, meta));
  }));
}

function suggestions(list, ask) {
  return h("div", { class: "suggested" }, list.map((question) =>
    h("button", { type: "button", class: "chip-button", onclick: () => ask(question) }, question)));
}

function tools(list) {
  if (!list.length) return null;
  return h("details", { class: "tools" },
    h("summary", {}, `Tools (${list.length})`),
    h("ul", {}, list.map((tool) => h("li", {},
      `${tool.name}: ${tool.ok ? "ok" : `failed (${tool.error || "error"})`}, ${tool.latency_ms} ms`))));
}

const REASONS = [["wrong", "Wrong"], ["unclear", "Unclear"], ["unsafe", "Unsafe"], ["slow", "Slow"], ["other", "Other"]];
// A thumb drawn in the page (no icon font, no other origin); the down one is the up one turned over.
const THUMB = "M2 10h4v11H2zM8 21h9.2a2 2 0 0 0 1.96-1.6l1.6-8A2 2 0 0 0 18.8 9H14V5a3 3 0 0 0-3-3l-3 8z";

function thumb(direction) {
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  for (const [key, value] of Object.entries({ viewBox: "0 0 24 24", width: "18", height: "18", "aria-hidden": "true",
                                               focusable: "false", class: `thumb thumb-${direction}` })) {
    svg.setAttribute(key, value);
  }
  const path = document.createElementNS(svgNs, "path");
  path.setAttribute("d", THUMB);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

// Thumbs up or down; after a thumbs down, the reasons as buttons. Each press is one vote: the
// service keeps the last one per answer, so choosing a reason after the thumb replaces the vote.
function feedback(messageId, vote) {
  if (!messageId || !vote) return null;
  const status = h("span", { class: "vote-status", role: "status" });
  const up = h("button", { type: "button", class: "vote-button", "aria-pressed": "false", "data-vote": "up" },
    thumb("up"), "Helpful");
  const down = h("button", { type: "button", class: "vote-button", "aria-pressed": "false", "data-vote": "down" },
    thumb("down"), "Not helpful");
  const reasons = h("div", { class: "vote-reasons", role: "group", "aria-label": "Why it did not help", hidden: true },
    h("span", { class: "hint" }, "Why? (optional)"),
    REASONS.map(([reason, label]) => h("button", {
      type: "button", class: "chip-button", "aria-pressed": "false", "data-reason": reason,
      onclick: () => send(false, reason),
    }, label)));

  async function send(helpful, reason) {
    status.className = "vote-status";
    status.textContent = "Sending…";
    const result = await vote(messageId, helpful, reason);
    if (!result.ok) {
      status.className = "vote-status is-bad";
      status.textContent = `Not recorded: ${result.error.message}`;
      return;
    }
    up.setAttribute("aria-pressed", String(helpful));
    down.setAttribute("aria-pressed", String(!helpful));
    for (const button of reasons.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.reason === reason));
    }
    reasons.hidden = helpful;
    status.className = "vote-status is-ok";
    status.textContent = helpful ? "Thanks: recorded as helpful"
      : `Thanks: recorded as not helpful${reason ? ` (${reason})` : ""}`;
  }
  up.addEventListener("click", () => send(true, null));
  down.addEventListener("click", () => send(false, null));
  return h("div", { class: "vote", role: "group", "aria-label": "Was this answer helpful?" },
    h("span", { class: "vote-label" }, "Was this helpful?"), up, down, reasons, status);
}

function metaItem(label, value, extra = {}) {
  return h("span", extra, `${label} `, h("strong", {}, value));
}

// `vote(messageId, helpful, reason)` sends a vote; answers without a message id (explain) get none.
export function renderAnswer(result, ask, vote) {
  const body = result.data;
  const answer = body.answer;
  const fallback = body.fallback_reason;
  return h("article", { class: "card answer", "data-intent": body.intent, "aria-label": "Answer" },
    answer.emergency ? emergencyBanner(answer.emergency) : null,
    h("p", { class: "summary" }, answer.summary),
    answer.reasons.length ? h("ul", { class: "reasons" }, answer.reasons.map((r) => h("li", {}, r))) : null,
    answer.checks.length ? section("Checks", checks(answer.checks)) : null,
    answer.evidence.length ? section("Evidence", evidence(answer.evidence)) : null,
    answer.suggested_questions.length ? section("You could also ask", suggestions(answer.suggested_questions, ask)) : null,
    answer.disclaimer ? h("p", { class: "disclaimer" }, answer.disclaimer) : null,
    tools(body.tools),
    feedback(body.message_id, vote),
    h("div", { class: "answer-meta" },
      metaItem("intent", body.intent),
      metaItem("synthesizer", body.synthesizer, { class: "synthesizer" }),
      fallback ? h("span", { class: "chip is-warn fallback" }, `fallback: ${fallback}`) : null,
      metaItem("latency", `${result.ms} ms`, { class: "latency" }),
      traceLine(body.trace_id || result.traceId)));
}

export function renderError(result) {
  return h("article", { class: "card error-card", role: "alert", "aria-label": "Error" },
    h("p", { class: "summary" }, result.error.message),
    result.error.details ? h("ul", { class: "reasons" },
      result.error.details.map((d) => h("li", {}, `${d.field}: ${d.problem}`))) : null,
    h("div", { class: "answer-meta" },
      h("span", { class: "code" }, `${result.status || "no answer"} ${result.error.code}`),
      traceLine(result.traceId)));
}
