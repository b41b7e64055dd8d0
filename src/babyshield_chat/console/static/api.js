// The service's HTTP API as the console uses it: the same public endpoints as any client.
// Credentials live in sessionStorage (this tab only, gone when it closes) and travel in
// headers, never in a URL.

const KEYS = { adminToken: "bs.console.adminToken", adminActor: "bs.console.adminActor",
               jwt: "bs.console.jwt", userId: "bs.console.userId", identity: "bs.console.identity" };

export const stored = {
  get: (name) => window.sessionStorage.getItem(KEYS[name]) || "",
  set: (name, value) => {
    if (value) window.sessionStorage.setItem(KEYS[name], value);
    else window.sessionStorage.removeItem(KEYS[name]);
  },
};

// One request; never throws. `ok` with `data`, or `error` as the service's envelope gives it.
export async function call(method, path, { body, headers = {} } = {}) {
  const started = performance.now();
  const init = { method, headers: { ...headers }, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, ms: Math.round(performance.now() - started), traceId: null,
             error: { code: "unreachable", message: "The service did not answer. Is it running?" } };
  }
  const ms = Math.round(performance.now() - started);
  const traceId = response.headers.get("X-Trace-Id");
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data, traceId, ms };
  const error = data && data.error ? data.error : { code: `http_${response.status}`, message: `HTTP ${response.status}.` };
  return { ok: false, status: response.status, error, traceId, ms };
}

export function admin(method, path, body) {
  const headers = { Authorization: `Bearer ${stored.get("adminToken")}` };
  const actor = stored.get("adminActor");
  if (actor) headers["X-Admin-Actor"] = actor;
  return call(method, path, { body, headers });
}

export const ADMIN = {
  flag: "/api/v1/admin/flags/chat",
  audit: "/api/v1/admin/flags/chat/audit?limit=25",
  rollout: "/api/v1/admin/rollout",
  advance: "/api/v1/admin/rollout/advance",
  rollback: "/api/v1/admin/rollout/rollback",
};

export const CHAT = {
  flags: "/api/v1/chat/flags",
  conversation: "/api/v1/chat/conversation",
  feedback: "/api/v1/chat/feedback",
};
