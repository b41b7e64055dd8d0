// The rollout actions, each behind one dialog that asks for a reason and a confirmation:
// kill switch (and back on), set percentage, advance, roll back. Advance and roll back first
// show what the guard would do (a dry run of the same endpoint), then apply it.

import { $, announce, pct } from "./dom.js";
import { ADMIN, admin } from "./api.js";

let current = null;  // the action the dialog is open for
let previewed = false;

function flagSentence(flag) {
  return `now ${flag.effective.enabled ? "on" : "off"} at ${pct(flag.effective.rollout_pct)}`;
}

function actionsFor(state) {
  return {
    kill: {
      title: "Turn the chat off for everyone?",
      text: () => `The kill switch stops the chat for every user on every instance within 2 seconds (${flagSentence(state.flag)}). Stored conversations stay.`,
      confirm: () => "Turn chat off",
      tone: "danger",
      run: (reason) => admin("PUT", ADMIN.flag, { enabled: false, reason }),
      done: () => "Kill switch on: chat is off for everyone",
    },
    enable: {
      title: "Turn the chat back on?",
      text: () => `Chat comes back for the users inside the rollout, ${pct(state.flag.effective.rollout_pct)} of them.`,
      confirm: () => "Turn chat on",
      tone: "primary",
      run: (reason) => admin("PUT", ADMIN.flag, { enabled: true, reason }),
      done: () => "Chat is on again",
    },
    set: {
      title: "Set the rollout percentage",
      text: () => `Users are included by a stable hash of their id, so raising the percentage never removes anyone (${flagSentence(state.flag)}).`,
      pct: true,
      confirm: () => `Set to ${$("confirm-pct").value || "?"}%`,
      tone: "primary",
      check: () => {
        const value = Number($("confirm-pct").value);
        return $("confirm-pct").value !== "" && value >= 0 && value <= 100 ? "" : "The percentage must be a number from 0 to 100.";
      },
      run: (reason) => admin("PUT", ADMIN.flag, { rollout_pct: Math.round(Number($("confirm-pct").value) * 10) / 1000, reason }),
      done: (data) => `Rollout set to ${pct(data.new.rollout_pct)}`,
    },
    advance: {
      title: "Advance the rollout",
      text: () => "The guard evaluates every gate now and applies its decision: it promotes only after the soak with every gate green and enough traffic, acts on a rollback trigger, and otherwise records why it holds.",
      confirm: () => (previewed ? "Apply the guard's decision" : "Preview decision"),
      tone: "primary",
      preview: (reason) => admin("POST", ADMIN.advance, { reason, dry_run: true }),
      describe: (data) => `The guard would: ${data.summary}`,
      run: (reason) => admin("POST", ADMIN.advance, { reason }),
      done: (data) => `Guard: ${data.summary}`,
    },
    rollback: {
      title: "Roll the rollout back",
      text: () => "Back to the last percentage that soaked green, or half of the current one when there is none.",
      confirm: () => (previewed ? "Confirm roll back" : "Preview roll back"),
      tone: "danger",
      preview: (reason) => admin("POST", ADMIN.rollback, { reason, dry_run: true }),
      describe: (data) => `Rolls back from ${pct(data.from_pct)} to ${pct(data.to_pct)}.`,
      run: (reason) => admin("POST", ADMIN.rollback, { reason }),
      done: (data) => `Rolled back from ${pct(data.from_pct)} to ${pct(data.to_pct)}`,
    },
  };
}

function setError(message) {
  $("confirm-error").textContent = message;
  $("confirm-error").hidden = !message;
}

function setPreview(message) {
  $("confirm-preview").textContent = message;
  $("confirm-preview").hidden = !message;
}

function label() {
  const ok = $("confirm-ok");
  ok.textContent = current.confirm();
  ok.className = current.tone;
}

function open(action, state) {
  current = action;
  previewed = false;
  $("confirm-title").textContent = action.title;
  $("confirm-text").textContent = action.text();
  $("confirm-pct-field").hidden = !action.pct;
  if (action.pct) $("confirm-pct").value = String(Math.round(state.flag.effective.rollout_pct * 1000) / 10);
  $("confirm-reason").value = "";
  setError("");
  setPreview("");
  label();
  $("confirm-dialog").showModal();
  (action.pct ? $("confirm-pct") : $("confirm-reason")).focus();
}

async function confirm(refresh) {
  const reason = $("confirm-reason").value.trim();
  if (!reason) {
    setError("Say why: the reason goes to the audit trail.");
    $("confirm-reason").focus();
    return;
  }
  const problem = current.check ? current.check() : "";
  if (problem) {
    setError(problem);
    return;
  }
  setError("");
  $("confirm-ok").disabled = true;
  try {
    if (current.preview && !previewed) {
      const result = await current.preview(reason);
      if (!result.ok) {
        setError(result.error.message);
        return;
      }
      previewed = true;
      setPreview(current.describe(result.data));
      label();
      $("confirm-ok").focus();
      return;
    }
    const result = await current.run(reason);
    if (!result.ok) {
      setError(`${result.error.message} (trace ${result.traceId})`);
      return;
    }
    $("confirm-dialog").close();
    const message = current.done(result.data);
    $("rollout-updated").textContent = message;
    announce(message);
    document.dispatchEvent(new CustomEvent("bs:flags-changed"));
    await refresh();
    $("rollout-updated").textContent = message;
  } finally {
    $("confirm-ok").disabled = false;
  }
}

export function initActions({ state, refresh }) {
  const actions = actionsFor(state);
  for (const name of Object.keys(actions)) {
    $(`action-${name}`).addEventListener("click", () => open(actions[name], state));
  }
  $("confirm-pct").addEventListener("input", () => current && label());
  $("confirm-reason").addEventListener("input", () => {
    // A new reason after a preview: preview again, so what is confirmed is what was read.
    if (previewed && current.preview) {
      previewed = false;
      setPreview("");
      label();
    }
  });
  $("confirm-cancel").addEventListener("click", () => $("confirm-dialog").close());
  $("confirm-form").addEventListener("submit", (event) => {
    event.preventDefault();
    confirm(refresh);
  });
}
