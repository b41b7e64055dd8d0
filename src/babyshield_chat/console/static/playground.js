// The playground: a parent's question about a scanned product, sent to the public chat API
// with the dev identity (X-User-Id) or a pasted JWT, and the answers as a thread.

import { $, h, announce, replace } from "./dom.js";
import { CHAT, call, stored } from "./api.js";
import { renderAnswer, renderError } from "./answer.js";

const EXAMPLES = {
  recall: { product: { name: "breeze Playard Sheet", brand: "4moms", upc: "817980011137", category: "Play yards" },
            message: "Is this recalled?" },
  allergy: { product: { name: "Infant formula with iron", category: "Formula", ingredients: "whey protein, lactose, soy oil" },
             message: "My son is allergic to milk, is this formula OK?" },
  emergency: { product: {}, message: "My baby swallowed a battery" },
  clear: { product: {}, message: "" },
};
const PRODUCT_FIELDS = { name: "p-name", brand: "p-brand", model: "p-model", upc: "p-upc", category: "p-category" };
const STATUS_EVERY_MS = 10000;

let conversationId = null;
let busy = false;

function identityHeaders() {
  if (stored.get("identity") === "jwt") {
    const token = stored.get("jwt");
    return token ? { Authorization: `Bearer ${token}` } : {};
  }
  const user = $("user-id").value.trim();
  return user ? { "X-User-Id": user } : {};
}

function product() {
  const found = {};
  for (const [key, id] of Object.entries(PRODUCT_FIELDS)) {
    const value = $(id).value.trim();
    if (value) found[key] = value;
  }
  const ingredients = $("p-ingredients").value.split(",").map((s) => s.trim()).filter(Boolean);
  if (ingredients.length) found.ingredients = ingredients;
  const age = $("p-age").value.trim();
  if (age !== "") found.age_min_months = Number(age);
  return Object.keys(found).length ? found : null;
}

function vote(messageId, helpful, reason) {
  return call("POST", CHAT.feedback, { body: { message_id: messageId, helpful, reason }, headers: identityHeaders() });
}

export async function refreshChatStatus() {
  const pill = $("chat-status");
  const result = await call("GET", CHAT.flags, { headers: identityHeaders() });
  if (!result.ok) {
    pill.className = "status-pill is-bad";
    pill.textContent = result.error.message;
    return;
  }
  const flags = result.data;
  pill.className = `status-pill ${flags.chat_enabled_for_user ? "is-ok" : "is-bad"}`;
  pill.textContent = `Chat ${flags.chat_enabled_for_user ? "on" : "off"} for this user · ${flags.reason.replaceAll("_", " ")}`;
}

async function ask(message) {
  if (busy) return;
  const text = message.trim();
  if (!text) {
    $("message").focus();
    announce("Type a question first");
    return;
  }
  busy = true;
  $("ask").disabled = true;
  const thread = $("thread");
  thread.append(h("p", { class: "question" }, text));
  const pending = h("article", { class: "card answer pending", "aria-busy": "true" }, h("p", { class: "hint" }, "Asking…"));
  thread.append(pending);
  const body = { message: text, product: product(), conversation_id: conversationId, locale: $("locale").value };
  const result = await call("POST", CHAT.conversation, { body, headers: identityHeaders() });
  if (result.ok) {
    // Continue a conversation only once the service stored it: without memory consent there is
    // no history to continue, and each question stands alone.
    if (result.data.memory_saved) conversationId = result.data.conversation_id;
    pending.replaceWith(renderAnswer(result, (question) => ask(question), vote));
    announce(`Answer: ${result.data.answer.summary}`);
  } else {
    pending.replaceWith(renderError(result));
  }
  thread.lastElementChild.scrollIntoView({ block: "nearest", behavior: "smooth" });
  $("message").value = "";
  busy = false;
  $("ask").disabled = false;
}

function fillExample(name) {
  const example = EXAMPLES[name];
  for (const [key, id] of Object.entries(PRODUCT_FIELDS)) $(id).value = example.product[key] || "";
  $("p-ingredients").value = example.product.ingredients || "";
  $("p-age").value = "";
  $("message").value = example.message;
  $("message").focus();
}

function showIdentity() {
  const jwt = stored.get("identity") === "jwt";
  $("dev-field").hidden = jwt;
  $("jwt-field").hidden = !jwt;
  for (const radio of document.querySelectorAll("input[name=identity]")) radio.checked = radio.value === (jwt ? "jwt" : "dev");
}

export function initPlayground() {
  $("user-id").value = stored.get("userId") || $("user-id").value;
  $("jwt").value = stored.get("jwt");
  showIdentity();
  for (const radio of document.querySelectorAll("input[name=identity]")) {
    radio.addEventListener("change", () => {
      stored.set("identity", radio.value === "jwt" ? "jwt" : "");
      showIdentity();
      refreshChatStatus();
    });
  }
  $("user-id").addEventListener("change", () => { stored.set("userId", $("user-id").value.trim()); refreshChatStatus(); });
  $("jwt").addEventListener("change", () => { stored.set("jwt", $("jwt").value.trim()); refreshChatStatus(); });
  for (const button of document.querySelectorAll("[data-example]")) {
    button.addEventListener("click", () => fillExample(button.dataset.example));
  }
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask($("message").value);
  });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      ask($("message").value);
    }
  });
  $("new-conversation").addEventListener("click", () => {
    conversationId = null;
    replace($("thread"));
    announce("New conversation");
    $("message").focus();
  });
  document.addEventListener("bs:flags-changed", refreshChatStatus);
  refreshChatStatus();
  window.setInterval(() => { if (!document.hidden) refreshChatStatus(); }, STATUS_EVERY_MS);
}
