// Small DOM helpers: elements are built with text nodes only (never innerHTML), so nothing an
// answer or an audit reason contains can become markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export const $ = (id) => document.getElementById(id);

// Tells screen-reader users what happened after an action that does not move focus.
export function announce(text) {
  const live = $("announcer");
  live.textContent = "";
  window.setTimeout(() => { live.textContent = text; }, 50);
}

export function pct(fraction) {
  const value = Math.round(fraction * 100 * 100) / 100;
  return `${value}%`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "unknown";
  const total = Math.max(0, Math.round(seconds));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (days) return `${days}d ${hours}h`;
  if (hours) return `${hours}h ${minutes}m`;
  if (minutes) return `${minutes}m`;
  return `${total}s`;
}

export function clock(iso) {
  const at = new Date(iso);
  const sameDay = at.toDateString() === new Date().toDateString();
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return sameDay ? time : `${at.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

// A trace id to copy: what an SRE pastes into a log search.
export function traceLine(traceId) {
  if (!traceId) return null;
  const button = h("button", { type: "button", class: "secondary copy", "aria-label": `Copy trace id ${traceId}` }, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(traceId);
      button.textContent = "Copied";
      announce("Trace id copied");
    } catch {
      // No clipboard permission: select the text so Ctrl+C works.
      window.getSelection().selectAllChildren(code);
      button.textContent = "Press Ctrl+C";
    }
    window.setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
  const code = h("code", { class: "trace-id" }, traceId);
  return h("span", { class: "trace" }, "trace_id ", code, button);
}
