// The asl console: a page of the Step Functions API server (`asl serve`).
// Every value from the server is shown as text (textContent), never as HTML; the
// graph SVG is laid out and escaped by the server and parsed as SVG, not as HTML.
"use strict";

const HEADERS = { "X-Asl-Console": "1", "Content-Type": "application/json" };
let timer = null;

async function request(path, options) {
  const r = await fetch(path, Object.assign({ credentials: "same-origin", headers: HEADERS }, options || {}));
  const type = r.headers.get("content-type") || "";
  const body = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) {
    const e = new Error((body && body.message) || r.statusText);
    e.code = body && body.__type;
    e.status = r.status;
    throw e;
  }
  return body;
}

function call(op, body) {
  return request("/console/api/call/" + op, { method: "POST", body: JSON.stringify(body || {}) });
}

function get(path, params) {
  return request(path + "?" + new URLSearchParams(params).toString());
}

// el("tag", {attrs}, children…): children are nodes or text.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return e;
}

function badge(status) {
  return el("span", { class: "badge " + status, "data-status": status }, status);
}

function date(seconds) {
  if (seconds === undefined || seconds === null) return "";
  return new Date(seconds * 1000).toLocaleString();
}

function pretty(text) {
  if (text === undefined || text === null) return "";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return String(text); }
}

// Long event details are cut (the state's panel shows whole inputs and outputs).
function clip(text) {
  return text.length > 600 ? text.slice(0, 600) + "… (" + text.length + " characters)" : text;
}

function link(hash, text) {
  return el("a", { href: hash }, text);
}

function view(...children) {
  const v = document.getElementById("view");
  v.replaceChildren(...children.flat().filter((c) => c !== "" && c !== null && c !== undefined));
}

function showError(e) {
  view(el("div", { class: "panel error" }, (e.code ? e.code + ": " : "") + e.message));
}

// ---- Sign-in (asl serve --auth) ----
function signIn() {
  const id = el("input", { id: "access-key", placeholder: "Access key id", autocomplete: "username" });
  const secret = el("input", { id: "secret-key", placeholder: "Secret access key", type: "password", autocomplete: "current-password" });
  const msg = el("p", { class: "error" });
  const form = el("form", { class: "panel", id: "sign-in", onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await request("/console/api/login", { method: "POST", body: JSON.stringify({ accessKeyId: id.value, secretAccessKey: secret.value }) });
      route();
    } catch (e) { msg.textContent = e.message; }
  } },
    el("h2", {}, "Sign in"), el("p", { class: "muted" }, "This server requires a key (asl serve --auth)."),
    el("div", { class: "toolbar" }, id, secret, el("button", { class: "primary", type: "submit" }, "Sign in")), msg);
  view(form);
}

// ---- State machines ----
async function machines() {
  const r = await call("ListStateMachines", { maxResults: 1000 });
  const rows = (r.stateMachines || []).map((m) => el("tr", { "data-arn": m.stateMachineArn },
    el("td", {}, link("#/machine/" + encodeURIComponent(m.stateMachineArn), m.name)),
    el("td", {}, m.type), el("td", {}, date(m.creationDate))));
  view(el("h1", {}, "State machines"),
    el("div", { class: "panel" }, rows.length ? el("table", { id: "machines" },
      el("tr", {}, el("th", {}, "Name"), el("th", {}, "Type"), el("th", {}, "Created")), rows)
      : el("p", { class: "muted" }, "No state machines yet (create one with the API: aws stepfunctions create-state-machine …).")));
}

async function loadGraph(container, arn) {
  const text = await get("/console/api/graph", { arn });
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = document.importNode(doc.documentElement, true);
  container.replaceChildren(svg);
  return svg;
}

function legend() {
  const item = (bg, border, text) => el("span", {}, el("i", { style: "background:" + bg + ";border-color:" + border }), text);
  return el("div", { class: "legend" }, item("#fff", "#8d99a6", "Not reached"), item("#dbeafe", "#0972d3", "In progress"),
    item("#e9f7e9", "#037f0c", "Succeeded"), item("#fde8e8", "#d91515", "Failed"), item("#fff4e0", "#c77c02", "Caught error"));
}

async function machine(arn) {
  const m = await call("DescribeStateMachine", { stateMachineArn: arn });
  const graph = el("div", { id: "graph" });
  const status = el("select", { id: "status-filter" }, ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
    .map((s) => el("option", { value: s }, s || "All statuses")));
  const search = el("input", { id: "name-search", placeholder: "Search by name" });
  const list = el("div", { id: "executions" });
  const more = el("button", { id: "more-executions" }, "Load more");
  let loaded = [];
  let next = null;
  const draw = () => {
    const q = search.value.toLowerCase();
    const rows = loaded.filter((e) => e.name.toLowerCase().includes(q)).map((e) => el("tr", { "data-name": e.name },
      el("td", {}, link("#/execution/" + encodeURIComponent(e.executionArn), e.name)), el("td", {}, badge(e.status)),
      el("td", {}, date(e.startDate)), el("td", {}, date(e.stopDate))));
    list.replaceChildren(el("table", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "Status"), el("th", {}, "Started"), el("th", {}, "Stopped")), rows),
      el("p", { class: "muted" }, rows.length + " shown of " + loaded.length + " loaded"));
    more.style.display = next ? "" : "none";
  };
  const load = async (reset, pageSize) => {
    if (reset) { loaded = []; next = null; }
    const body = { stateMachineArn: arn, maxResults: pageSize || 100 };
    if (status.value) body.statusFilter = status.value;
    if (next) body.nextToken = next;
    const r = await call("ListExecutions", body);
    loaded = loaded.concat(r.executions || []);
    next = r.nextToken || null;
    draw();
  };
  status.addEventListener("change", () => load(true).catch(showError));
  // A search looks at every execution: the pages not loaded yet are loaded first
  // (1,000 at a time, up to 20,000).
  let searching = null;
  search.addEventListener("input", () => {
    draw();
    if (!search.value || !next || searching) return;
    searching = (async () => {
      while (next && loaded.length < 20000) await load(false, 1000);
    })().catch(showError).finally(() => { searching = null; });
  });
  more.addEventListener("click", () => load(false).catch(showError));
  const input = el("textarea", { id: "start-input", rows: 3 }, "{}");
  const start = el("button", { class: "primary", id: "start-execution", onclick: async () => {
    try {
      const r = await call("StartExecution", { stateMachineArn: arn, input: input.value });
      location.hash = "#/execution/" + encodeURIComponent(r.executionArn);
    } catch (e) { alert(e.message); }
  } }, "Start execution");
  const versions = el("div", {});
  const aliases = el("div", {});
  view(el("p", {}, link("#/", "State machines")), el("h1", {}, m.name),
    el("div", { class: "row" },
      el("div", { class: "grow" }, el("div", { class: "panel" }, el("h2", {}, "Graph"), graph)),
      el("div", { class: "side" },
        el("div", { class: "panel" }, el("h2", {}, "Start an execution"), input, el("p", {}, start)),
        el("div", { class: "panel" }, el("h2", {}, "Versions"), versions),
        el("div", { class: "panel" }, el("h2", {}, "Aliases"), aliases))),
    el("div", { class: "panel" }, el("h2", {}, "Executions"), el("div", { class: "toolbar" }, status, search), list, more),
    el("div", { class: "panel" }, el("h2", {}, "Definition"), el("pre", { id: "definition" }, pretty(m.definition))));
  await Promise.all([
    loadGraph(graph, arn),
    load(true),
    call("ListStateMachineVersions", { stateMachineArn: arn }).then((r) => versions.replaceChildren(
      (r.stateMachineVersions || []).length ? el("table", {}, (r.stateMachineVersions || []).map((v) => el("tr", {},
        el("td", {}, link("#/machine/" + encodeURIComponent(v.stateMachineVersionArn), v.stateMachineVersionArn.split(":").pop())),
        el("td", {}, date(v.creationDate))))) : el("p", { class: "muted" }, "None"))),
    call("ListStateMachineAliases", { stateMachineArn: arn }).then((r) => aliases.replaceChildren(
      (r.stateMachineAliases || []).length ? el("table", {}, (r.stateMachineAliases || []).map((a) => el("tr", {},
        el("td", {}, a.stateMachineAliasArn.split(":").pop()), el("td", {}, date(a.creationDate))))) : el("p", { class: "muted" }, "None"))),
  ]);
}

// ---- One execution ----
function stateDetails(panel, name, record) {
  const field = (label, text) => text === undefined || text === null ? [] : [el("h3", {}, label), el("pre", { "data-field": label }, pretty(text))];
  const r = record || { status: "not-reached" };
  panel.replaceChildren(...[el("h2", { id: "selected-state" }, name),
    el("p", {}, "Status: ", el("span", { id: "selected-status" }, r.status), r.entered ? " (entered " + r.entered + " times)" : ""),
    field("Input", r.input), field("Output", r.output), field("Error", r.error), field("Cause", r.cause),
    field("Variables", r.variables ? JSON.stringify(r.variables) : undefined)].flat());
}

function sparkline(points) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", "260"); svg.setAttribute("height", "60"); svg.setAttribute("class", "items-per-second");
  const max = Math.max(1, ...points.map((p) => p.rate));
  const line = document.createElementNS(NS, "polyline");
  const step = points.length > 1 ? 250 / (points.length - 1) : 0;
  line.setAttribute("points", points.map((p, i) => (5 + i * step).toFixed(1) + "," + (55 - 50 * p.rate / max).toFixed(1)).join(" "));
  line.setAttribute("fill", "none"); line.setAttribute("stroke", "#0972d3"); line.setAttribute("stroke-width", "2");
  svg.appendChild(line);
  return svg;
}

async function execution(arn) {
  const graph = el("div", { id: "graph" });
  const details = el("div", { class: "panel", id: "state-details" }, el("p", { class: "muted" }, "Click a state to see its input, output and errors."));
  const header = el("div", { class: "panel", id: "execution-header" });
  const pendingBox = el("div", { id: "pending" });
  const mapRuns = el("div", { id: "map-runs" });
  const events = el("div", { id: "events" });
  const moreEvents = el("button", { id: "more-events" }, "Load more events");
  view(el("p", {}, link("#/", "State machines")), header,
    el("div", { class: "row" },
      el("div", { class: "grow" }, el("div", { class: "panel" }, el("h2", {}, "Graph"), legend(), graph)),
      el("div", { class: "side" }, details,
        el("div", { class: "panel" }, el("h2", {}, "Waiting for an answer"), pendingBox),
        el("div", { class: "panel" }, el("h2", {}, "Map runs"), mapRuns))),
    el("div", { class: "panel" }, el("h2", {}, "Events"), events, moreEvents));
  const svg = await loadGraph(graph, arn);
  let records = {};
  let selected = null;
  for (const node of svg.querySelectorAll("g.state")) {
    node.addEventListener("click", () => {
      for (const n of svg.querySelectorAll("g.state.selected")) n.classList.remove("selected");
      node.classList.add("selected");
      selected = node.getAttribute("data-state");
      stateDetails(details, selected, records[selected]);
    });
  }
  // Events, a page at a time.
  let eventRows = [];
  let nextEvents = null;
  const drawEvents = () => {
    events.replaceChildren(el("table", { id: "events-table" },
      el("tr", {}, el("th", {}, "ID"), el("th", {}, "Type"), el("th", {}, "Time"), el("th", {}, "Details")),
      eventRows.map((e) => {
        const key = Object.keys(e).find((k) => k.endsWith("EventDetails"));
        return el("tr", { "data-type": e.type }, el("td", {}, e.id), el("td", {}, e.type), el("td", {}, date(e.timestamp)),
          el("td", {}, key ? el("pre", {}, clip(JSON.stringify(e[key]))) : ""));
      })), el("p", { class: "muted" }, eventRows.length + " events loaded"));
    moreEvents.style.display = nextEvents ? "" : "none";
  };
  const loadEvents = async (reset) => {
    if (reset) { eventRows = []; nextEvents = null; }
    const body = { executionArn: arn, maxResults: 100 };
    if (nextEvents) body.nextToken = nextEvents;
    const r = await call("GetExecutionHistory", body);
    eventRows = eventRows.concat(r.events || []);
    nextEvents = r.nextToken || null;
    drawEvents();
  };
  moreEvents.addEventListener("click", () => loadEvents(false).catch(showError));
  const rates = {};
  const refresh = async () => {
    const d = await call("DescribeExecution", { executionArn: arn });
    header.replaceChildren(el("h1", {}, d.name), el("p", {}, badge(d.status), " ",
      link("#/machine/" + encodeURIComponent(d.stateMachineArn), d.stateMachineArn.split(":").pop()),
      el("span", { class: "muted" }, "  started " + date(d.startDate) + (d.stopDate ? ", stopped " + date(d.stopDate) : ""))),
      d.error ? el("p", { class: "error" }, d.error + ": " + (d.cause || "")) : "",
      d.status === "RUNNING" ? el("button", { class: "danger", id: "stop-execution", onclick: () => call("StopExecution", { executionArn: arn }).then(refresh).catch(showError) }, "Stop") : "");
    header.setAttribute("data-status", d.status);
    const s = await get("/console/api/states", { executionArn: arn });
    records = s.states || {};
    for (const node of svg.querySelectorAll("g.state")) {
      const r = records[node.getAttribute("data-state")];
      const status = r ? r.status : "not-reached";
      for (const c of [...node.classList]) if (c.startsWith("st-")) node.classList.remove(c);
      node.classList.add("st-" + status);
    }
    if (selected) stateDetails(details, selected, records[selected]);
    await drawPending(d.status);
    await drawMapRuns();
    if (!nextEvents) await loadEvents(true);
    return d.status;
  };
  const drawPending = async (status) => {
    if (status !== "RUNNING") { pendingBox.replaceChildren(el("p", { class: "muted" }, "Nothing: the execution is " + status + ".")); return; }
    const p = await get("/console/api/pending", { executionArn: arn });
    const items = (p.pending || []).map((t) => {
      const output = el("textarea", { rows: 2, class: "task-output" }, '{"approved": true}');
      const msg = el("span", { class: "muted" });
      const send = async (approve) => {
        try {
          if (approve) await call("SendTaskSuccess", { taskToken: t.taskToken, output: output.value });
          else await call("SendTaskFailure", { taskToken: t.taskToken, error: "Rejected", cause: "Rejected in the asl console" });
          msg.textContent = approve ? "Approved" : "Rejected";
          refresh().catch(showError);
        } catch (e) { msg.textContent = e.message; }
      };
      return el("div", { class: "pending-task", "data-state": t.state },
        el("div", {}, el("b", {}, t.state), t.item !== null && t.item !== undefined ? " (item " + t.item + ")" : ""),
        el("div", { class: "muted", title: t.taskToken }, "token " + t.taskToken.slice(0, 24) + "…"), output,
        el("div", { class: "toolbar" }, el("button", { class: "primary approve", onclick: () => send(true) }, "Approve"),
          el("button", { class: "danger reject", onclick: () => send(false) }, "Reject"), msg));
    });
    pendingBox.replaceChildren(...(items.length ? items : [el("p", { class: "muted" }, "No task is waiting for an answer.")]));
  };
  const drawMapRuns = async () => {
    const list = await call("ListMapRuns", { executionArn: arn });
    const runs = await Promise.all((list.mapRuns || []).map((m) => call("DescribeMapRun", { mapRunArn: m.mapRunArn })));
    const now = Date.now() / 1000;
    mapRuns.replaceChildren(...(runs.length ? runs.map((m) => {
      const c = m.itemCounts || {};
      const done = (c.succeeded || 0) + (c.failed || 0) + (c.timedOut || 0) + (c.aborted || 0);
      const h = rates[m.mapRunArn] = rates[m.mapRunArn] || [];
      const last = h[h.length - 1];
      // Live: items done since the last look; ended: the run's average.
      const rate = m.status !== "RUNNING" && m.stopDate > m.startDate ? done / (m.stopDate - m.startDate)
        : last && now > last.t ? (done - last.done) / (now - last.t) : 0;
      h.push({ t: now, done, rate: Math.max(0, rate) });
      if (h.length > 120) h.shift();
      return el("div", { class: "map-run", "data-map-run": m.mapRunArn },
        el("div", {}, el("b", {}, m.mapRunArn.split(":").pop()), " ", badge(m.status)),
        el("div", { class: "counts" },
          el("span", {}, "Succeeded ", el("b", { class: "succeeded" }, c.succeeded || 0)),
          el("span", {}, "Failed ", el("b", { class: "failed" }, c.failed || 0)),
          el("span", {}, "Running ", el("b", { class: "running" }, c.running || 0)),
          el("span", {}, "Pending ", el("b", { class: "pending" }, c.pending || 0)),
          el("span", {}, "Total ", el("b", { class: "total" }, c.total || 0))),
        el("div", { class: "muted" }, "items/s: ", el("b", { class: "rate" }, rate.toFixed(1))), sparkline(h));
    }) : [el("p", { class: "muted" }, "No Distributed Map run.")]));
  };
  const tick = async () => {
    try {
      const status = await refresh();
      if (status === "RUNNING") timer = setTimeout(tick, 1000);
    } catch (e) { showError(e); }
  };
  await tick();
}

async function route() {
  if (timer) { clearTimeout(timer); timer = null; }
  try {
    const s = await get("/console/api/session", {});
    document.getElementById("place").textContent = s.region + " · " + s.account;
    if (s.auth && !s.signedIn) return signIn();
    const hash = location.hash || "#/";
    const [, kind, arg] = hash.match(/^#\/(\w+)?\/?(.*)$/) || [];
    if (kind === "machine") return await machine(decodeURIComponent(arg));
    if (kind === "execution") return await execution(decodeURIComponent(arg));
    return await machines();
  } catch (e) {
    if (e.status === 401) return signIn();
    showError(e);
  }
}

window.addEventListener("hashchange", route);
route();
