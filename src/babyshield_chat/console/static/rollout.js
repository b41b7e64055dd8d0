// The rollout view: what the chat flag is and where it comes from, the guard's phase, soak,
// the LLM cost projected at the next phase against the budget, gates (parents' votes among them)
// and verdict, and the audit trail; refreshed every few seconds while connected.

import { $, h, announce, clock, duration, pct, replace } from "./dom.js";
import { ADMIN, admin, stored } from "./api.js";
import { initActions } from "./actions.js";

const REFRESH_EVERY_MS = 5000;
const GATE_STATES = {
  ok: { label: "OK", tone: "is-ok" },
  warning: { label: "Warning", tone: "is-warn" },
  critical: { label: "Critical", tone: "is-bad" },
  no_data: { label: "No data", tone: "is-none" },
};
const VERDICT_TONES = { promote: "is-ok", hold: "is-warn", kill_switch: "is-bad", step_back: "is-bad" };

let timer = null;
export const state = { flag: null, rollout: null };

function gateValue(unit, value) {
  if (value === null || value === undefined) return "no data";
  return unit === "ratio" ? `${Number((value * 100).toPrecision(3))}%` : `${Number(value.toPrecision(3))} s`;
}

function renderFlag(flag) {
  const on = flag.effective.enabled;
  const value = $("switch-value");
  value.textContent = on ? "On" : "Off";
  value.className = `metric-value ${on ? "switch-on" : "switch-off"}`;
  replace($("switch-source"),
    h("span", { class: "badge" }, flag.effective.source),
    flag.stale ? h("span", { class: "badge is-warn", title: `last sync ${flag.last_sync || "never"}` }, "stale") : null,
    flag.override ? `by ${flag.override.updated_by}` : "from env");
  $("pct-value").textContent = pct(flag.effective.rollout_pct);
  $("action-kill").hidden = !on;
  $("action-enable").hidden = on;
}

function usd(value) {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function renderCost(cost) {
  const value = $("cost-value");
  value.className = "metric-value";
  if (!cost) {
    value.textContent = "—";
    $("cost-note").textContent = "no next phase";
    return;
  }
  const budget = cost.budget_usd_per_day === null ? "no budget set"
    : `budget ${usd(cost.budget_usd_per_day)}/day`;
  if (cost.projected_usd_per_day === null) {
    value.textContent = "no data";
    $("cost-note").textContent = `at ${pct(cost.to_pct)}; ${budget}`;
    return;
  }
  value.textContent = `${usd(cost.projected_usd_per_day)}/day`;
  if (cost.over_budget) value.classList.add("switch-off");
  replace($("cost-note"),
    cost.over_budget ? h("span", { class: "badge is-bad" }, "over budget") : null,
    `at ${pct(cost.to_pct)} (now ${usd(cost.measured_usd_per_day)}/day at ${pct(cost.from_pct)}); ${budget}`);
}

function renderPhases(rollout) {
  const bar = $("phases");
  const fill = h("div", { class: "fill" });
  fill.style.width = `${Math.min(100, rollout.flag.rollout_pct * 100)}%`;
  const marks = rollout.phases.flatMap((phase) => {
    const mark = h("div", { class: "mark" });
    const label = h("span", { class: `mark-label${phase >= 1 ? " end" : ""}` }, pct(phase));
    mark.style.left = `calc(${phase * 100}% - 1px)`;
    label.style.left = `${phase * 100}%`;
    return [mark, label];
  });
  replace(bar, fill, marks);
}

function renderRollout(rollout) {
  $("phase-value").textContent = rollout.phase ? `phase ${rollout.phase} of ${rollout.phases.length}`
    : "before the first phase";
  const soak = rollout.soak;
  if (rollout.next_pct === null) {
    $("soak-value").textContent = "—";
    $("soak-note").textContent = "fully rolled out";
  } else if (soak.left_sec === null) {
    $("soak-value").textContent = "unknown";
    $("soak-note").textContent = `no recorded change; ${duration(soak.required_sec)} soak before ${pct(rollout.next_pct)}`;
  } else {
    $("soak-value").textContent = soak.left_sec > 0 ? duration(soak.left_sec) : "done";
    $("soak-note").textContent = `of ${duration(soak.required_sec)} before ${pct(rollout.next_pct)}`;
  }
  const traffic = rollout.traffic;
  $("traffic-value").textContent = traffic.value === null ? "no data" : `${Number(traffic.value.toPrecision(3))} req/s`;
  $("traffic-note").textContent = `minimum ${traffic.minimum} req/s`;
  renderCost(rollout.cost);
  renderPhases(rollout);

  $("gates-source").textContent = rollout.prometheus_url
    ? `From Prometheus at ${rollout.prometheus_url}; thresholds from thresholds.yml.`
    : "Prometheus is not configured (BS_ROLLOUT_PROMETHEUS_URL), so no gate has data and the guard holds.";
  replace($("gates-body"), rollout.gates.map((gate) => {
    const shown = GATE_STATES[gate.state];
    return h("tr", { "data-gate": gate.key, "data-state": gate.state },
      h("td", {},
        h("span", { class: "gate-name" }, gate.name),
        gate.rollback_trigger ? h("span", { class: "badge", title: "rollback trigger" }, "trigger") : null,
        h("span", { class: "problem" },
          `warning ${gateValue(gate.unit, gate.warning)} · critical ${gateValue(gate.unit, gate.critical)}`),
        // Without Prometheus every gate has the same problem, said once above the table.
        gate.problem && rollout.prometheus_url ? h("span", { class: "problem" }, gate.problem) : null),
      h("td", { class: "num" }, gateValue(gate.unit, gate.value)),
      h("td", {}, h("span", { class: `chip ${shown.tone}` }, gate.triggered ? "Triggered" : shown.label)));
  }));

  const verdict = rollout.verdict;
  replace($("verdict-head"),
    h("span", { class: `chip ${VERDICT_TONES[verdict.action]}` }, verdict.action.replace("_", " ")),
    verdict.action === "promote" ? `to ${pct(verdict.target_pct)}` : "");
  replace($("verdict-reasons"), verdictReasons(rollout).map((reason) => h("li", {}, reason)));
}

// Without Prometheus every gate and the traffic give the guard the same reason; say it once.
function verdictReasons(rollout) {
  const reasons = rollout.verdict.reasons;
  if (rollout.prometheus_url) return reasons;
  const missing = reasons.filter((reason) => reason.includes("no Prometheus URL configured"));
  const others = reasons.filter((reason) => !missing.includes(reason));
  if (!missing.length) return reasons;
  const gates = missing.filter((reason) => !reason.startsWith("traffic") && !reason.startsWith("cost")).length;
  const more = ["traffic", "cost"].filter((what) => missing.some((reason) => reason.startsWith(what)))
    .map((what) => `the ${what}`);
  const also = more.length ? `${more.length > 1 ? ", " : " and "}${more.join(" and ")}` : "";
  return [`no data for ${gates} gates${also}: Prometheus is not configured`, ...others];
}

function change(entry) {
  const short = (s) => (s ? `${s.enabled ? "on" : "off"} ${pct(s.rollout_pct)}` : "?");
  const before = short(entry.old);
  const after = short(entry.new);
  return before === after ? "no change" : `${before} → ${after}`;
}

function renderAudit(entries) {
  if (!entries.length) {
    replace($("audit-list"), h("li", { class: "empty" }, "No change recorded yet."));
    return;
  }
  replace($("audit-list"), entries.map((entry) => h("li", { "data-action": entry.action },
    h("time", { datetime: entry.at, title: entry.at }, clock(entry.at)),
    h("div", { class: "what" },
      h("span", { class: `badge ${entry.action.startsWith("guard_") ? "is-warn" : ""}` }, entry.action.replace("_", " ")),
      h("strong", {}, change(entry)),
      h("span", { class: "who" }, `by ${entry.actor}`)),
    // Long guard reasons are cut to three lines on screen; the title and screen readers have all of it.
    h("span", { class: "reason", title: entry.reason }, entry.reason))));
}

function showError(message) {
  const error = $("admin-error");
  error.textContent = message;
  error.hidden = !message;
}

function connected(yes) {
  $("admin-form").hidden = yes;
  $("rollout-view").hidden = !yes;
  $("admin-tools").hidden = !yes;
  if (!yes && timer) {
    window.clearInterval(timer);
    timer = null;
  }
  if (yes && !timer) timer = window.setInterval(() => { if (!document.hidden && !$("confirm-dialog").open) refresh(); }, REFRESH_EVERY_MS);
}

export async function refresh() {
  if (!stored.get("adminToken")) return;
  const [flag, rollout, audit] = await Promise.all([
    admin("GET", ADMIN.flag), admin("GET", ADMIN.rollout), admin("GET", ADMIN.audit)]);
  if (!flag.ok) {
    if (flag.status === 403) stored.set("adminToken", "");
    connected(false);
    showError(flag.error.message);
    return;
  }
  showError("");
  connected(true);
  state.flag = flag.data;
  renderFlag(flag.data);
  if (rollout.ok) {
    state.rollout = rollout.data;
    renderRollout(rollout.data);
  }
  if (audit.ok) renderAudit(audit.data.entries);
  const problem = [rollout, audit].find((r) => !r.ok);
  $("rollout-updated").textContent = problem ? `Partly updated ${clock(new Date().toISOString())}: ${problem.error.message}`
    : `Updated ${clock(new Date().toISOString())}`;
}

export function initRollout() {
  $("admin-actor").value = stored.get("adminActor");
  $("admin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("admin-token").value.trim();
    if (!token) {
      showError("Type the admin token first.");
      $("admin-token").focus();
      return;
    }
    stored.set("adminToken", token);
    stored.set("adminActor", $("admin-actor").value.trim());
    $("admin-token").value = "";
    await refresh();
    if (stored.get("adminToken")) {
      announce("Connected to the admin API");
      $("action-kill").hidden ? $("action-enable").focus() : $("action-kill").focus();
    } else {
      $("admin-token").focus();
    }
  });
  $("refresh").addEventListener("click", refresh);
  $("disconnect").addEventListener("click", () => {
    stored.set("adminToken", "");
    connected(false);
    announce("Admin token forgotten");
    $("admin-token").focus();
  });
  initActions({ state, refresh });
  refresh();
}
