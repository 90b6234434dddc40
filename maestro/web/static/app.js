// maestro's session page: plain DOM, no build step. Every text from the server is set with
// textContent, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { id: null, source: null };

function token() { return localStorage.getItem("maestro-token") || ""; }
$("token").value = token();
$("token").addEventListener("change", () => { localStorage.setItem("maestro-token", $("token").value.trim()); refresh(); });

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token()) headers.Authorization = "Bearer " + token();
  const response = await fetch(path, { ...options, headers });
  let body = {};
  try { body = await response.json(); } catch (e) { body = {}; }
  if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
  return body;
}

function notice(text) { $("notice").textContent = text || ""; }

async function refresh() {
  try {
    const rows = await api("/api/sessions");
    const list = $("sessions");
    list.replaceChildren();
    for (const row of rows) {
      const item = document.createElement("li");
      item.textContent = `${row.id} — ${row.scenario}, ${row.owner || "-"} (${row.status})`;
      item.dataset.id = row.id;
      if (row.id === state.id) item.className = "open";
      item.addEventListener("click", () => open(row.id));
      list.append(item);
    }
    notice("");
  } catch (e) { notice(e.message); }
}

function render(view) {
  $("session").hidden = false;
  $("title").textContent = `${view.id} · ${view.scenario} · seat ${view.owner} (${view.mode})`;
  const busy = view.busy ? " · agents working…" : "";
  $("status").textContent = `status ${view.status}, round ${view.round ?? "-"}${busy}` +
    (view.reason ? ` — ${view.reason}` : "");
  const body = $("rounds").tBodies[0];
  body.replaceChildren();
  for (const r of view.rounds) {
    const row = body.insertRow();
    row.insertCell().textContent = r.round;
    row.insertCell().textContent = Object.entries(r.proposals).map(([op, v]) => `${op} ${v}`).join(", ");
    row.insertCell().textContent = r.spread;
    row.insertCell().textContent = r.mediator_value ?? "";
  }
  const chat = $("chat");
  chat.replaceChildren();
  for (const m of view.messages) {
    const div = document.createElement("div");
    div.className = "msg " + (m.role === "human" ? "human" : "ai");
    div.textContent = m.content;
    chat.append(div);
  }
  chat.scrollTop = chat.scrollHeight;
  const prompt = view.waiting[0];
  $("prompt").hidden = !prompt;
  if (prompt) {
    $("question").textContent = (prompt.problem ? prompt.problem + " — " : "") + prompt.question;
    const plan = prompt.plan && prompt.plan.policy;
    $("policy").hidden = !plan;
    $("policy").textContent = plan ? "policy to be applied:\n" + JSON.stringify(plan, null, 2) : "";
    const decide = ["enforcement", "approve", "mediate"].includes(prompt.kind);
    $("approve").hidden = $("reject").hidden = !decide;
  }
  if (view.finished) {
    const e = view.enforcement;
    $("status").textContent += e ? ` · enforcement: ${e.message}` : "";
  }
}

function listen(id) {
  if (state.source) state.source.close();
  const query = token() ? "?token=" + encodeURIComponent(token()) : "";
  const source = new EventSource(`/api/sessions/${encodeURIComponent(id)}/events${query}`);
  source.addEventListener("state", (e) => render(JSON.parse(e.data)));
  source.onmessage = (e) => {
    const event = JSON.parse(e.data);
    if (!event.event || event.event === "busy" || event.event === "state") return;
    const item = document.createElement("li");
    item.textContent = JSON.stringify(event);
    $("log").append(item);
  };
  state.source = source;
}

async function open(id) {
  try {
    state.id = id;
    location.hash = encodeURIComponent(id);
    $("log").replaceChildren();
    render(await api(`/api/sessions/${encodeURIComponent(id)}`));
    listen(id);
    refresh();
  } catch (e) { notice(e.message); }
}

async function say(text) {
  if (!state.id) return;
  try {
    await api(`/api/sessions/${encodeURIComponent(state.id)}/messages`, { method: "POST", body: JSON.stringify({ text }) });
    notice("");
  } catch (e) { notice(e.message); }
}

$("say").addEventListener("submit", (e) => { e.preventDefault(); const t = $("text").value; $("text").value = ""; say(t); });
$("approve").addEventListener("click", () => say("/approve"));
$("reject").addEventListener("click", () => say("/reject"));
$("new").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const body = {
    scenario: form.get("scenario"), seat: form.get("seat"), mode: form.get("mode"),
    approve_enforcement: form.get("approve_enforcement") === "on",
  };
  if (form.get("model")) body.model = form.get("model");
  try { const view = await api("/api/sessions", { method: "POST", body: JSON.stringify(body) }); open(view.id); }
  catch (err) { notice(err.message); }
});

refresh();
if (location.hash.length > 1) open(decodeURIComponent(location.hash.slice(1)));
