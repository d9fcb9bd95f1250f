// cmq-mock dashboard: a view of the admin JSON API (/_mock/...), nothing more. Every read and
// every action is an admin route, sent with the admin token when the mock asks for one. It
// refreshes once a second while the tab is visible and stops while it is hidden.
"use strict";

const API = "/_mock/";
const TOKEN_KEY = "cmq-mock-admin-token";
const REFRESH_MS = 1000;
const HISTORY = 60; // samples kept per rate chart
const PAGE = 20; // messages per page
const RECORDS = 100; // journal and delivery rows shown

const state = {
  account: null,
  view: "queues",
  queue: null,
  msgState: "active",
  offset: 0,
  expanded: new Map(), // msgId -> full body
  history: new Map(), // queue name -> [{t, sent, received, deleted}]
  journal: null, // the selected journal record
  journalFilter: "",
  timer: null,
  busy: false,
};

const $ = (sel) => document.querySelector(sel);

// ---------------------------------------------------------------- HTTP

class Unauthorized extends Error {}

async function api(method, path, body) {
  const headers = { "X-CMQ-Mock": "1" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers["Authorization"] = "Bearer " + token;
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(API + path, init);
  if (r.status === 401) throw new Unauthorized("the admin token is missing or wrong");
  const data = await r.json().catch(() => ({ error: "HTTP " + r.status }));
  if (!r.ok) throw new Error(data.error || "HTTP " + r.status);
  return data;
}

function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") u.set(k, v);
  }
  const s = u.toString();
  return s ? "?" + s : "";
}

const acct = () => ({ account: state.account });

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function kv(tbody, pairs) {
  fill(tbody, pairs.map(([k, v, field]) => h("tr", { "data-field": field || k }, h("th", {}, k), h("td", {}, v))));
}

function time(ms) {
  if (!ms) return "–";
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

function status(text, error) {
  const s = $("#status");
  s.textContent = text || "";
  s.className = error ? "error" : "";
}

// ---------------------------------------------------------------- rates and charts

function sample(name, traffic) {
  const list = state.history.get(name) || [];
  list.push({ t: performance.now(), ...traffic });
  if (list.length > HISTORY + 1) list.shift();
  state.history.set(name, list);
}

// Per-second rates between consecutive samples.
function rates(name) {
  const list = state.history.get(name) || [];
  const out = [];
  for (let i = 1; i < list.length; i++) {
    const dt = (list[i].t - list[i - 1].t) / 1000;
    const r = (k) => (dt > 0 ? Math.max(0, list[i][k] - list[i - 1][k]) / dt : 0);
    out.push({ sent: r("sent"), received: r("received"), deleted: r("deleted") });
  }
  return out;
}

function fmtRate(v) {
  return v >= 10 ? v.toFixed(0) : v.toFixed(1);
}

const SVG = "http://www.w3.org/2000/svg";

function chart(container, series) {
  const w = 600, hgt = 120, pad = 4;
  const max = Math.max(1, ...series.flatMap((s) => [s.sent, s.received, s.deleted]));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  const axis = document.createElementNS(SVG, "line");
  for (const [k, v] of [["x1", 0], ["x2", w], ["y1", hgt - pad], ["y2", hgt - pad], ["stroke", "#dde1e8"]]) axis.setAttribute(k, v);
  svg.append(axis);
  const colors = { sent: "#2463eb", received: "#0f9d58", deleted: "#d97706" };
  for (const key of ["sent", "received", "deleted"]) {
    const pts = series.map((s, i) => {
      const x = series.length < 2 ? w : (i / (HISTORY - 1)) * w + (HISTORY - series.length) * (w / (HISTORY - 1));
      const y = hgt - pad - (s[key] / max) * (hgt - 2 * pad);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", pts.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", colors[key]);
    line.setAttribute("stroke-width", "2");
    line.setAttribute("data-series", key);
    svg.append(line);
  }
  const last = series[series.length - 1] || { sent: 0, received: 0, deleted: 0 };
  const legend = h("div", { class: "legend" },
    h("span", { class: "s-sent" }, `sent ${fmtRate(last.sent)}/s`),
    h("span", { class: "s-received" }, `received ${fmtRate(last.received)}/s`),
    h("span", { class: "s-deleted" }, `deleted ${fmtRate(last.deleted)}/s`),
    h("span", {}, `scale: ${fmtRate(max)}/s`));
  container.replaceChildren(svg, legend);
}

// ---------------------------------------------------------------- views

async function renderClock() {
  const c = await api("GET", "clock");
  const now = $("#clock-now");
  now.textContent = time(c.now_ms);
  now.setAttribute("data-ms", c.now_ms);
  $("#clock-kind").textContent = c.manual ? "manual clock" : "system clock";
  $("#clock-form").hidden = !c.manual;
}

async function renderAccounts() {
  const ids = await api("GET", "accounts");
  const sel = $("#account");
  if (sel.options.length !== ids.length) {
    sel.replaceChildren(...ids.map((id) => h("option", { value: id }, id)));
  }
  if (!state.account || !ids.includes(state.account)) state.account = ids[0] || null;
  sel.value = state.account;
}

async function renderQueues() {
  const data = await api("GET", "queues" + q({ ...acct(), detail: 1 }));
  const total = { sent: 0, received: 0, deleted: 0 };
  const rows = data.queues.map((queue) => {
    sample(queue.queueName, queue.traffic);
    for (const k of Object.keys(total)) total[k] += queue.traffic[k];
    const r = rates(queue.queueName);
    const last = r[r.length - 1] || { sent: 0, received: 0, deleted: 0 };
    const c = queue.counters;
    const num = (field, v) => h("td", { class: "num", "data-field": field }, v);
    return h("tr", { class: "clickable", "data-queue": queue.queueName, onclick: () => { location.hash = "#queue/" + encodeURIComponent(queue.queueName); } },
      h("td", { "data-field": "name" }, h("a", { href: "#queue/" + encodeURIComponent(queue.queueName) }, queue.queueName)),
      num("active", c.activeMsgNum), num("inactive", c.inactiveMsgNum), num("delayed", c.delayMsgNum), num("rewind", c.rewindMsgNum),
      num("sent-rate", fmtRate(last.sent)), num("received-rate", fmtRate(last.received)), num("deleted-rate", fmtRate(last.deleted)),
      h("td", { "data-field": "dead-letter-queue" }, queue.deadLetterPolicy ? queue.deadLetterPolicy.deadLetterQueue : "–"),
      h("td", { "data-field": "dead-letter-sources" }, queue.deadLetterSources.length ? queue.deadLetterSources.join(", ") : "–"));
  });
  fill($("#queues-table tbody"), rows);
  $("#queues-empty").hidden = rows.length > 0;
  sample("\u0000account", total);
  chart($("#account-chart"), rates("\u0000account"));
}

function policyText(p) {
  if (!p) return "none";
  return p.policy === 0
    ? `→ ${p.deadLetterQueue} after ${p.maxReceiveCount} receives`
    : `→ ${p.deadLetterQueue} after ${p.maxTimeToLive} s`;
}

function messageRow(m, st) {
  const full = state.expanded.get(m.msgId);
  const body = h("td", { class: "body-preview" }, h("pre", {}, full !== undefined ? full : m.msgBody));
  if (m.msgBodyTruncated && full === undefined) {
    body.append(h("button", { type: "button", class: "expand", onclick: () => expand(m, st) }, `show all ${m.msgBodySize} bytes`));
  } else if (full !== undefined) {
    body.append(h("button", { type: "button", onclick: () => { state.expanded.delete(m.msgId); refresh(); } }, "collapse"));
  }
  return h("tr", { "data-msg-id": m.msgId },
    h("td", {}, m.msgId), h("td", {}, time(m.enqueueTimeMs)), h("td", {}, time(m.nextVisibleTimeMs)),
    h("td", { class: "num" }, m.dequeueCount), body);
}

// The whole body of one message: the page of one message at its position, full bodies (still
// inspection: nothing is received).
async function expand(m, st) {
  const index = (state.page || []).findIndex((x) => x.msgId === m.msgId);
  const data = await api("GET", "queues/" + encodeURIComponent(state.queue) + q({ ...acct(), state: st, offset: state.offset + index, limit: 1, bodies: "full" }));
  const found = (data.messages[st] || [])[0];
  if (!found || found.msgId !== m.msgId) { status("that message moved; try again", true); return; }
  state.expanded.set(m.msgId, found.msgBody);
  refresh();
}

async function renderQueue() {
  const name = state.queue;
  const data = await api("GET", "queues/" + encodeURIComponent(name) + q({ ...acct(), state: state.msgState, offset: state.offset, limit: PAGE }));
  $("#queue-name").textContent = data.queueName;
  sample(data.queueName, data.traffic);
  const c = data.counters;
  kv($("#queue-counters tbody"), [
    ["active", c.activeMsgNum], ["in flight", c.inactiveMsgNum, "inactive"], ["delayed", c.delayMsgNum],
    ["rewind-retained", c.rewindMsgNum, "rewind"], ["oldest message", c.minMsgTime ? time(c.minMsgTime * 1000) : "–", "oldest"],
    ["sent (total)", data.traffic.sent, "sent"], ["received (total)", data.traffic.received, "received"], ["deleted (total)", data.traffic.deleted, "deleted"],
  ]);
  chart($("#queue-chart"), rates(data.queueName));
  kv($("#queue-attributes tbody"), [
    ["queueId", data.queueId], ["visibilityTimeout (s)", data.visibilityTimeout, "visibilityTimeout"],
    ["pollingWaitSeconds", data.pollingWaitSeconds], ["maxMsgSize (bytes)", data.maxMsgSize, "maxMsgSize"],
    ["msgRetentionSeconds", data.msgRetentionSeconds], ["rewindSeconds", data.rewindSeconds],
    ["maxMsgHeapNum", data.maxMsgHeapNum], ["created", time(data.createTime * 1000), "created"],
    ["dead letters to", policyText(data.deadLetterPolicy), "dead-letter-queue"],
    ["dead letters from", data.deadLetterSources.length ? data.deadLetterSources.join(", ") : "none", "dead-letter-sources"],
  ]);
  const st = state.msgState;
  const list = data.messages[st] || [];
  state.page = list;
  fill($("#messages-table tbody"), list.map((m) => messageRow(m, st)));
  for (const b of document.querySelectorAll("#state-tabs button")) {
    b.classList.toggle("current", b.dataset.state === st);
    const label = { active: "active", inactive: "in flight", delayed: "delayed", deleted: "rewind-retained" }[b.dataset.state];
    const n = { active: c.activeMsgNum, inactive: c.inactiveMsgNum, delayed: c.delayMsgNum, deleted: c.rewindMsgNum }[b.dataset.state];
    b.textContent = `${label} (${n})`;
  }
  const total = data.totals[st] || 0;
  $("#page-info").textContent = total ? `${state.offset + 1}–${state.offset + list.length} of ${total}` : "no message in this state";
  $("#page-prev").disabled = state.offset === 0;
  $("#page-next").disabled = data.page.nextOffset[st] === null;
}

function filterText(s) {
  const parts = [];
  if (s.filterTags.length) parts.push("tags: " + s.filterTags.join(", "));
  if (s.bindingKeys.length) parts.push("binding keys: " + s.bindingKeys.join(", "));
  return parts.length ? parts.join("; ") : "everything";
}

async function renderTopics() {
  const data = await api("GET", "topics" + q(acct()));
  const sel = $("#publish-topic");
  const names = data.topics.map((t) => t.topicName);
  if ([...sel.options].map((o) => o.value).join() !== names.join()) {
    const keep = sel.value;
    sel.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
    if (names.includes(keep)) sel.value = keep;
  }
  const cards = data.topics.map((t) => h("div", { class: "card topic", "data-topic": t.topicName },
    h("h3", {}, t.topicName, " ", h("small", {}, `${t.filterType === "routingKey" ? "routing keys" : "tags"} · ${t.pendingPushes} waiting for push · ${t.topicId}`)),
    t.subscriptions.length === 0 ? h("p", { class: "empty" }, "No subscription.") :
      h("table", {},
        h("thead", {}, h("tr", {}, ["subscription", "protocol", "endpoint", "filter", "strategy", "format", "pending pushes"].map((x) => h("th", {}, x)))),
        h("tbody", {}, t.subscriptions.map((s) => h("tr", { "data-subscription": s.subscriptionName },
          h("td", {}, s.subscriptionName), h("td", {}, s.protocol), h("td", {}, s.endpoint), h("td", { "data-field": "filter" }, filterText(s)),
          h("td", {}, s.notifyStrategy), h("td", {}, s.notifyContentFormat), h("td", { class: "num", "data-field": "pending" }, s.pendingPushes)))))));
  $("#topics-list").replaceChildren(...cards);
  $("#topics-empty").hidden = cards.length > 0;
}

function outcomeText(d) {
  const x = d.detail || {};
  if (x.status !== undefined) return `${d.outcome} (HTTP ${x.status})`;
  if (x.timeout) return `${d.outcome} (timeout)`;
  if (x.transport) return `${d.outcome} (${x.transport})`;
  if (x.queueMsgId) return `${d.outcome} as ${x.queueMsgId}`;
  if (x.error) return `${d.outcome}: ${x.error}`;
  return d.outcome;
}

async function renderDeliveries() {
  const list = await api("GET", "deliveries" + q({ order: "newest", limit: RECORDS }));
  const mine = list;
  fill($("#deliveries-table tbody"), mine.map((d) => h("tr", { "data-seq": d.seq },
    h("td", {}, time(d.timeMs)), h("td", {}, d.topic), h("td", {}, d.subscription), h("td", {}, `${d.protocol} ${d.endpoint}`),
    h("td", {}, d.msgId), h("td", { class: "num", "data-field": "attempt" }, d.attempt),
    h("td", { class: "outcome-" + d.outcome, "data-field": "outcome" }, outcomeText(d)),
    h("td", { "data-field": "next" }, d.nextAttemptMs ? time(d.nextAttemptMs) : "–"))));
  $("#deliveries-empty").hidden = mine.length > 0;
}

function target(r) {
  const p = Object.fromEntries(r.params);
  return p.queueName || p.topicName || "";
}

function showRecord(r) {
  state.journal = r;
  $("#journal-detail").hidden = false;
  kv($("#journal-request tbody"), r.params_omitted
    ? [["(parameters)", "not kept: refused before authentication"]]
    : r.params.map(([k, v]) => [k, h("pre", {}, v)]));
  kv($("#journal-answer tbody"), [
    ["code", r.code === null ? "no answer (connection dropped)" : r.code],
    ["requestId", r.request_id], ["account", r.account || "(not authenticated)"], ["time", time(r.time_ms)],
  ]);
}

async function renderJournal() {
  const f = state.journalFilter;
  const all = await api("GET", "journal?order=newest&limit=" + RECORDS + (f ? "&" + f : ""));
  // The journal is the server's; show the selected account's requests and the refused ones.
  const list = all.filter((r) => r.account === null || r.account === state.account);
  fill($("#journal-table tbody"), list.map((r) => {
    const tr = h("tr", { class: "clickable", "data-action": r.action || "", "data-request-id": r.request_id, onclick: () => { showRecord(r); renderJournalSelection(); } },
      h("td", {}, time(r.time_ms)), h("td", {}, r.action || "(none)"), h("td", {}, target(r)),
      h("td", { class: r.code ? "code-error" : "", "data-field": "code" }, r.code === null ? "dropped" : r.code), h("td", {}, r.request_id));
    return tr;
  }));
  renderJournalSelection();
  $("#journal-empty").hidden = list.length > 0;
}

function renderJournalSelection() {
  for (const tr of document.querySelectorAll("#journal-table tbody tr")) {
    tr.classList.toggle("selected", !!state.journal && tr.dataset.requestId === state.journal.request_id);
  }
}

function effectText(f) {
  if (f.error) return `answer ${f.error}${f.subject ? " (" + f.subject + ")" : ""}`;
  if (f.code !== undefined) return `answer code ${f.code} ${f.message || ""}`;
  if (f.latency_ms !== undefined) return `wait ${f.latency_ms} ms`;
  if (f.drop_connection) return "drop the connection";
  return JSON.stringify(f);
}

async function renderFaults() {
  const list = await api("GET", "faults");
  fill($("#faults-table tbody"), list.map((f) => h("tr", { "data-fault": f.id },
    h("td", {}, f.id), h("td", {}, f.action || "every action"), h("td", { "data-field": "effect" }, effectText(f)),
    h("td", { class: "num" }, f.times === undefined || f.times === null ? "until cleared" : f.times))));
  $("#faults-empty").hidden = list.length > 0;
}

// ---------------------------------------------------------------- navigation and refresh

function route() {
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith("queue/")) {
    const name = hash.slice("queue/".length);
    if (state.queue !== name) { state.queue = name; state.offset = 0; state.expanded.clear(); }
    state.view = "queue";
  } else {
    state.view = ["queues", "topics", "deliveries", "journal", "faults"].includes(hash) ? hash : "queues";
  }
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + state.view;
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("current", a.dataset.view === state.view || (state.view === "queue" && a.dataset.view === "queues"));
  }
}

const RENDER = { queues: renderQueues, queue: renderQueue, topics: renderTopics, deliveries: renderDeliveries, journal: renderJournal, faults: renderFaults };

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  try {
    await renderAccounts();
    await renderClock();
    await RENDER[state.view]();
    $("#token-form").hidden = true;
    $("#main").hidden = false;
    document.body.dataset.loaded = state.view; // what has been shown (tests wait for it)
    if ($("#status").className === "error" && $("#status").dataset.sticky !== "true") status("");
  } catch (e) {
    if (e instanceof Unauthorized) {
      $("#token-form").hidden = false;
      $("#main").hidden = true;
      status(e.message, true);
    } else {
      status(e.message, true);
    }
  } finally {
    state.busy = false;
  }
}

// One refresh a second, only while the tab is visible; a hidden tab makes no request at all.
function schedule() {
  clearTimeout(state.timer);
  state.timer = null;
  const live = $("#live");
  if (document.hidden) { live.textContent = "paused"; live.classList.add("paused"); return; }
  live.textContent = "live"; live.classList.remove("paused");
  state.timer = setTimeout(async () => { await refresh(); schedule(); }, REFRESH_MS);
}

async function now() {
  await refresh();
  schedule();
}

// An action: run it, say what happened, refresh at once.
async function act(label, fn) {
  try {
    const out = await fn();
    status(label + (out ? ": " + out : ""));
    $("#status").dataset.sticky = "false";
  } catch (e) {
    status(label + " failed: " + e.message, true);
    $("#status").dataset.sticky = "true";
  }
  await now();
}

function wire() {
  window.addEventListener("hashchange", () => { route(); now(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) now(); else schedule(); });
  $("#account").addEventListener("change", (e) => { state.account = e.target.value; state.history.clear(); now(); });
  $("#token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("#token").value.trim());
    $("#token").value = "";
    status("");
    now();
  });
  $("#clock-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ms = Math.round(Number($("#clock-amount").value) * Number($("#clock-unit").value));
    act("clock advanced", async () => { const c = await api("POST", "clock", { advance_ms: ms }); return time(c.now_ms); });
  });
  $("#reset").addEventListener("click", () => {
    if (confirm("Delete every queue, topic, subscription and message, and clear faults, journal and deliveries?")) {
      act("reset", () => api("POST", "reset", {}).then(() => ""));
    }
  });
  $("#send-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { account: state.account, body: $("#send-body").value };
    const delay = Number($("#send-delay").value);
    if (delay > 0) body.delaySeconds = delay;
    act("sent", async () => { const r = await api("POST", "queues/" + encodeURIComponent(state.queue) + "/messages", body); return "msgId " + r.msgId; });
  });
  $("#purge-button").addEventListener("click", () => {
    if (confirm("Drop every message of " + state.queue + "?")) {
      act("purged", async () => { const r = await api("POST", "queues/" + encodeURIComponent(state.queue) + "/purge", { account: state.account }); return r.purged + " messages"; });
    }
  });
  for (const b of document.querySelectorAll("#state-tabs button")) {
    b.addEventListener("click", () => { state.msgState = b.dataset.state; state.offset = 0; now(); });
  }
  $("#page-prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); now(); });
  $("#page-next").addEventListener("click", () => { state.offset += PAGE; now(); });
  $("#publish-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const topic = $("#publish-topic").value;
    const body = { account: state.account, body: $("#publish-body").value };
    const tags = $("#publish-tags").value.split(",").map((t) => t.trim()).filter((t) => t);
    if (tags.length) body.tags = tags;
    const key = $("#publish-key").value.trim();
    if (key) body.routingKey = key;
    act("published", async () => { const r = await api("POST", "topics/" + encodeURIComponent(topic) + "/messages", body); return "msgId " + r.msgId; });
  });
  $("#journal-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    state.journalFilter = q({ action: $("#filter-action").value.trim(), code: $("#filter-code").value.trim(), queue: $("#filter-queue").value.trim() }).slice(1);
    now();
  });
  $("#fault-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const rule = { action: $("#fault-action").value.trim() || null };
    const times = $("#fault-times").value.trim();
    if (times) rule.times = Number(times);
    const value = $("#fault-value").value.trim();
    const kind = $("#fault-kind").value;
    if (kind === "error") rule.error = value || "InternalError";
    else if (kind === "raw") { rule.code = Number(value) || 6000; rule.message = "injected by the dashboard"; }
    else if (kind === "latency") rule.latency_ms = Number(value) || 1000;
    else rule.drop_connection = true;
    act("fault armed", async () => { const r = await api("POST", "faults", rule); return "id " + r.id; });
  });
  $("#faults-clear").addEventListener("click", () => act("faults cleared", () => api("DELETE", "faults").then(() => "")));
  const actions = ["SendMessage", "BatchSendMessage", "ReceiveMessage", "BatchReceiveMessage", "DeleteMessage", "BatchDeleteMessage",
    "PublishMessage", "BatchPublishMessage", "CreateQueue", "DeleteQueue", "GetQueueAttributes", "SetQueueAttributes", "ListQueue",
    "RewindQueue", "CreateTopic", "DeleteTopic", "Subscribe", "Unsubscribe", "ListTopic", "ListSubscriptionByTopic"];
  $("#actions").replaceChildren(...actions.map((a) => h("option", { value: a })));
}

wire();
route();
now();
