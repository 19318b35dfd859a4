// MPLI console: plain JavaScript over the gateway's REST API, no framework, no build step.
// Every element is built with the DOM (never innerHTML from data), so nothing the hub returns
// can run as script; the gateway's Content-Security-Policy forbids inline script anyway.
"use strict";

const TOKEN_KEY = "mpli.console.token";
const PAGE_SIZE = 25;

// ---- Small helpers ----------------------------------------------------------------------

// h("p", {class: "x"}, "text", child): an element with attributes and children.
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const $ = (id) => document.getElementById(id);

function formatNumber(value, digits) {
  if (typeof value !== "number" || Number.isNaN(value)) return "";
  return value.toLocaleString("en", {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

function money(amount, currency) {
  if (typeof amount !== "number") return "";
  return `${formatNumber(amount, 2)} ${currency || ""}`.trim();
}

// UN/CEFACT unit codes of prices, as words.
const UNITS = {MON: "month", HUR: "hour", DAY: "day", ANN: "year", WEE: "week", MIN: "minute"};
const unitName = (code) => UNITS[code] || code || "unit";

// The last part of an IRI ("https://w3id.org/mpli#ISO27001" -> "ISO27001").
function localName(iri) {
  if (!iri) return "";
  const match = /[#/]([^#/]+)$/.exec(iri);
  return match ? match[1] : iri;
}

// ---- Session: a bearer token, kept in this tab only -------------------------------------

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

// The token's claims, for display only (the hub verifies it; the console cannot and need not).
function claimsOf(jwt) {
  const parts = jwt.split(".");
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function showSession() {
  const current = token();
  $("sign-in").hidden = Boolean(current);
  $("signed-in").hidden = !current;
  if (!current) {
    $("identity").textContent = "";
    return;
  }
  const claims = claimsOf(current);
  let text = "Signed in";
  if (claims) {
    const who = [];
    if (claims.role) who.push(`as ${claims.role}`);
    if (claims.tenant) who.push(`tenant ${claims.tenant}`);
    if (claims.provider) who.push(`provider ${claims.provider}`);
    if (claims.sub && !claims.tenant && !claims.provider) who.push(claims.sub);
    if (who.length) text += " " + who.join(", ");
    if (typeof claims.exp === "number") {
      text += `, until ${new Date(claims.exp * 1000).toLocaleString()}`;
    }
  }
  $("identity").textContent = text;
}

function signIn(event) {
  event.preventDefault();
  const value = $("token").value.trim().replace(/^Bearer\s+/i, "");
  if (!value) {
    showProblem({title: "No token", detail: "Paste a bearer token into the token field.", field: "token"});
    $("token").focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  $("token").value = "";
  clearProblem();
  showSession();
  $("sign-out").focus();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  showSession();
  $("token").focus();
}

// ---- The API ----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || "request failed");
    this.problem = problem;
  }
}

// fetch() with the token, answering the parsed JSON, or throwing ApiError with the problem.
async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (!headers.has("Accept")) headers.set("Accept", "application/json");
  const current = token();
  if (current) headers.set("Authorization", `Bearer ${current}`);
  let response;
  try {
    response = await fetch(path, {...options, headers});
  } catch (error) {
    throw new ApiError({title: "The hub is unreachable", detail: String(error.message || error)});
  }
  const type = response.headers.get("Content-Type") || "";
  const text = await response.text();
  if (!response.ok) {
    let problem = {title: `${response.status} ${response.statusText}`, status: response.status, detail: text};
    if (type.includes("json")) {
      try {
        problem = JSON.parse(text);
      } catch {
        /* keep the text */
      }
    }
    if (response.status === 401) {
      problem.hint = token()
        ? "The hub refused the token (expired, or not one of its own). Sign out and sign in with a fresh one."
        : "This needs a token: sign in above.";
    } else if (response.status === 403) {
      problem.hint = "Your token does not allow this.";
    }
    const retry = response.headers.get("Retry-After");
    if (retry) problem.hint = `The hub is busy; try again in ${retry} s.`;
    throw new ApiError(problem);
  }
  if (type.includes("json")) return JSON.parse(text);
  return text;
}

// ---- Problems (RFC 9457), shown as one clear message -------------------------------------

function clearProblem() {
  const box = $("problem");
  box.hidden = true;
  box.replaceChildren();
  for (const element of document.querySelectorAll("[aria-invalid]")) {
    element.removeAttribute("aria-invalid");
    element.removeAttribute("aria-errormessage");
  }
}

// The visible control a problem's `field` names (a query parameter or body member), if any.
function controlFor(field) {
  if (!field) return null;
  const name = field === "body" ? "manifest" : field;
  for (const element of document.getElementsByName(name)) {
    if (element.closest("[hidden]") === null) return element;
  }
  return null;
}

function showProblem(problem, where) {
  const box = $("problem");
  const parts = [h("h2", {}, problem.title || "Something went wrong")];
  if (problem.detail) parts.push(h("p", {}, problem.detail));
  const at = [];
  if (problem.field) at.push(`field ${problem.field}`);
  if (typeof problem.line === "number" && problem.line > 0) {
    at.push(`line ${problem.line}` + (problem.column > 0 ? `, column ${problem.column}` : ""));
  }
  if (problem.reason) at.push(`reason ${problem.reason}`);
  if (problem.trust_reason) at.push(`credential: ${problem.trust_reason}`);
  if (typeof problem.max_bytes === "number") at.push(`at most ${problem.max_bytes} bytes`);
  if (at.length) parts.push(h("p", {class: "where"}, "At ", at.join("; "), "."));
  if (Array.isArray(problem.violations) && problem.violations.length) {
    parts.push(
      h("ul", {},
        problem.violations.map((v) =>
          h("li", {},
            v.message || v.constraint,
            v.path ? ` (path ${v.path})` : "",
            v.focus_node ? ` on ${v.focus_node}` : "",
            v.value ? `: ${v.value}` : ""))));
  }
  if (problem.hint) parts.push(h("p", {}, problem.hint));
  if (where && typeof problem.line === "number" && problem.line > 0) {
    parts.push(
      h("button", {type: "button", class: "secondary", onclick: () => selectLine(where, problem.line)},
        `Go to line ${problem.line}`));
  }
  box.replaceChildren(...parts);
  box.hidden = false;
  box.scrollIntoView({block: "nearest"});
  // The control at fault is marked invalid and points at the message.
  const control = controlFor(problem.field) || (where && problem.line > 0 ? where : null);
  if (control) {
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-errormessage", "problem");
  }
}

// Selects line `line` (1-based) of a textarea, so a syntax error is found at once.
function selectLine(textarea, line) {
  const lines = textarea.value.split("\n");
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[line - 1] || "").length;
  textarea.focus();
  textarea.setSelectionRange(start, end);
}

function reportError(error, where) {
  if (error instanceof ApiError) showProblem(error.problem, where);
  else showProblem({title: "The console failed", detail: String(error && error.message ? error.message : error)});
}

// ---- Live updates -----------------------------------------------------------------------
// GET /v1/events read with fetch(): EventSource cannot send the bearer token that an order's
// or a migration's events need. The stream's "id:", "event:" and "data:" lines are parsed here;
// a dropped connection resumes after the last id (Last-Event-ID), a few times, and a refusal
// (4xx) ends the watch. One watch at a time: leaving the page stops it.

let live = null;

function stopLive() {
  if (live) live.stop();
  live = null;
}

// One Server-Sent Event block ("field: value" lines) as {id, type, data}.
function parseEventBlock(block) {
  const event = {id: "", type: "message", data: []};
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;  // a keep-alive comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") event.id = value;
    else if (field === "event") event.type = value;
    else if (field === "data") event.data.push(value);
  }
  return {id: event.id, type: event.type, data: event.data.join("\n")};
}

// Calls onEvent(type, data) for each event of /v1/events?query, and onState("live" |
// "reconnecting" | "refused" | "lost") as the connection changes. Returns {stop()}.
function watchEvents(query, onEvent, onState) {
  const controller = new AbortController();
  const watch = {stopped: false, stop() {
    this.stopped = true;
    controller.abort();
  }};
  const maxAttempts = 6;
  (async () => {
    let lastId = "";
    for (let attempt = 1; !watch.stopped; attempt += 1) {
      const headers = new Headers({Accept: "text/event-stream"});
      if (token()) headers.set("Authorization", `Bearer ${token()}`);
      if (lastId) headers.set("Last-Event-ID", lastId);
      try {
        const response = await fetch(`/v1/events?${query}`, {headers, signal: controller.signal});
        if (response.status >= 400 && response.status < 500) {
          onState("refused");
          return;
        }
        if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
        attempt = 0;
        onState("live");
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const event = parseEventBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (event.id) lastId = event.id;
            if (event.data) onEvent(event.type, event.data);
          }
        }
      } catch (error) {
        if (watch.stopped) return;
      }
      if (watch.stopped) return;
      if (attempt >= maxAttempts) {
        onState("lost");
        return;
      }
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, 1000 * Math.min(attempt + 1, 5)));
    }
  })();
  return watch;
}

// Keeps a resource's page current: after each event of /v1/events?query, reads `path` again
// (one read at a time, and once more if events came meanwhile) and renders it, until its state
// is one of `finalStates`. The line `statusId` says how the watch goes.
function followLive(query, statusId, path, render, finalStates) {
  const refresh = async () => {
    const now = await api(path);
    render(now);
    return finalStates.includes(now.state);
  };
  let running = false;
  let again = false;
  const say = (text) => {
    $(statusId).textContent = text;
  };
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        if (await refresh()) {
          stopLive();
          say("Final: no more changes to watch.");
          return;
        }
      } while (again);
    } catch (error) {
      reportError(error);
    } finally {
      running = false;
    }
  };
  stopLive();
  live = watchEvents(query, () => run(), (state) => {
    if (state === "live") {
      say("Live: this page follows the hub's events.");
      run();  // whatever changed between the first read and the stream's start
    } else if (state === "reconnecting") {
      say("Live updates interrupted; reconnecting…");
    } else if (state === "refused") {
      say("Live updates are not available here; reload to see changes.");
    } else {
      say("Live updates lost; reload to see changes.");
    }
  });
}

// ---- Views ------------------------------------------------------------------------------
// One entry per page: a route prefix, a <section data-view> in index.html, a nav link.

const views = {
  catalogue: {show: showCatalogue},
  offering: {show: showOffering},
  resolve: {show: () => {}},
  orders: {show: showOrders},
  order: {show: showOrder},
  migrations: {show: showMigrations},
  migration: {show: showMigration},
  bill: {show: showBill},
};

// The nav link that stays current on a page under it (an offering under the catalogue).
const NAV_PARENT = {offering: "catalogue", order: "orders", migration: "migrations"};

function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, ...rest] = hash.split("/");
  const view = views[name] ? name : "catalogue";
  const argument = rest.length ? decodeURIComponent(rest.join("/")) : "";
  for (const section of document.querySelectorAll("[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll("[data-nav]")) {
    const current = link.dataset.nav === view || NAV_PARENT[view] === link.dataset.nav;
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  clearProblem();
  stopLive();
  views[view].show(argument);
  return view;
}

function onHashChange() {
  // "#main" (the skip link) and other in-page anchors are not views.
  if (location.hash && !location.hash.startsWith("#/")) return;
  const view = route();
  // Move focus to the new page's heading, so screen readers announce it.
  const heading = document.querySelector(`[data-view="${view}"] h1`);
  if (heading) heading.focus();
}

// ---- Catalogue --------------------------------------------------------------------------

const catalogue = {
  loaded: false,
  offerings: [],
  cursor: null,
  query: "",
};

function filterQuery() {
  const params = new URLSearchParams();
  for (const element of $("filters").elements) {
    if (!element.name) continue;
    let value = element.value.trim();
    if (!value) continue;
    if (element.name === "country") value = value.toUpperCase();
    params.set(element.name, value);
  }
  if (!params.has("limit")) params.set("limit", String(PAGE_SIZE));
  return params;
}

async function loadOfferings(more) {
  clearProblem();
  const params = more ? new URLSearchParams(catalogue.query) : filterQuery();
  if (more) params.set("cursor", catalogue.cursor);
  else catalogue.query = params.toString();
  $("catalogue-status").textContent = "Loading offerings…";
  $("more").disabled = true;
  try {
    const page = await api(`/v1/offerings?${params}`);
    if (!more) catalogue.offerings = [];
    catalogue.offerings.push(...page.offerings);
    catalogue.cursor = page.next_cursor || null;
    catalogue.loaded = true;
    renderOfferings(page.offerings.length, more);
  } catch (error) {
    $("catalogue-status").textContent = "The catalogue could not be loaded.";
    reportError(error);
  } finally {
    $("more").disabled = false;
  }
}

function offeringRow(offering) {
  const price = typeof offering.monthly_price === "number"
    ? money(offering.monthly_price, offering.price_currency)
    : `${money(offering.price_amount, offering.price_currency)} per ${unitName(offering.price_unit)}`;
  return h("tr", {},
    h("th", {scope: "row"}, h("a", {href: `#/offering/${encodeURIComponent(offering.id)}`}, offering.name || localName(offering.id))),
    h("td", {}, offering.provider_id),
    h("td", {}, offering.kind),
    h("td", {}, (offering.regions || []).join(", "), offering.countries && offering.countries.length ? ` (${offering.countries.join(", ")})` : ""),
    h("td", {class: "num"}, offering.vcpu || ""),
    h("td", {class: "num"}, offering.memory_gib ? formatNumber(offering.memory_gib, 0) : ""),
    h("td", {class: "num"}, offering.storage_gib ? formatNumber(offering.storage_gib, 0) : ""),
    h("td", {class: "num"}, price),
    h("td", {}, (offering.certifications || []).map((c) => h("span", {class: "tag"}, c))));
}

function renderOfferings(added, more) {
  const body = $("offerings").tBodies[0];
  const rows = catalogue.offerings.slice(more ? catalogue.offerings.length - added : 0).map(offeringRow);
  if (more) body.append(...rows);
  else body.replaceChildren(...rows);
  $("offerings").hidden = catalogue.offerings.length === 0;
  $("more").hidden = !catalogue.cursor;
  const count = catalogue.offerings.length;
  $("catalogue-status").textContent = count === 0
    ? "No offering matches these filters."
    : `${count} offering${count === 1 ? "" : "s"} shown${catalogue.cursor ? "; more are available" : ""}.`;
  if (more && rows.length) rows[0].querySelector("a").focus();
  renderFacets();
}

// Countries and kinds of what is listed: the countries as buttons that filter, the kinds as
// suggestions for the kind field.
function renderFacets() {
  const countries = new Map();
  const kinds = new Set();
  for (const offering of catalogue.offerings) {
    for (const country of offering.countries || []) countries.set(country, (countries.get(country) || 0) + 1);
    if (offering.kind) kinds.add(offering.kind);
  }
  const sorted = [...countries.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  $("countries").replaceChildren(
    ...sorted.map(([country, count]) =>
      h("li", {},
        h("button", {
          type: "button",
          class: "secondary",
          "aria-label": `${country}: ${count} offering${count === 1 ? "" : "s"}; filter by it`,
          onclick: () => {
            $("f-country").value = country;
            loadOfferings(false);
          },
        }, `${country} (${count})`))));
  const known = new Set([...$("kinds").options].map((o) => o.value));
  for (const kind of kinds) if (!known.has(kind)) $("kinds").append(h("option", {value: kind}));
}

function showCatalogue() {
  if (!catalogue.loaded) loadOfferings(false);
}

// ---- One offering -----------------------------------------------------------------------

async function showOffering(id) {
  const details = $("offering-details");
  details.replaceChildren();
  $("offering-turtle").hidden = true;
  $("offering-turtle-button").hidden = true;
  $("offering-heading").textContent = "Offering";
  if (!id) {
    $("offering-status").textContent = "No offering chosen.";
    return;
  }
  $("offering-status").textContent = "Loading the offering…";
  try {
    const offering = await api(`/v1/offerings/${encodeURIComponent(id)}`);
    $("offering-heading").textContent = offering.name || localName(offering.id);
    $("offering-status").textContent = "";
    const rows = [
      ["Identifier", h("code", {}, offering.id)],
      ["Provider", offering.provider_id],
      ["Kind", offering.kind],
      ["Regions", (offering.regions || []).join(", ")],
      ["Countries", (offering.countries || []).join(", ")],
      ["vCPUs", offering.vcpu || "—"],
      ["Memory", offering.memory_gib ? `${formatNumber(offering.memory_gib, 1)} GiB` : "—"],
      ["Storage", offering.storage_gib ? `${formatNumber(offering.storage_gib, 0)} GiB` : "—"],
      ["Price", `${money(offering.price_amount, offering.price_currency)} per ${unitName(offering.price_unit)}`],
      ["Monthly price", typeof offering.monthly_price === "number" ? money(offering.monthly_price, offering.price_currency) : "—"],
      ["Availability", offering.availability_percent ? `${offering.availability_percent} %` : "—"],
      ["Certifications (claimed)", (offering.certifications || []).join(", ") || "none"],
      ["Content hash", h("code", {}, offering.content_hash)],
    ];
    details.replaceChildren(...rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
    $("offering-turtle-button").hidden = false;
    $("offering-turtle-button").onclick = () => showTurtle(id);
  } catch (error) {
    $("offering-status").textContent = "The offering could not be loaded.";
    reportError(error);
  }
}

async function showTurtle(id) {
  try {
    const text = await api(`/v1/offerings/${encodeURIComponent(id)}`, {headers: {Accept: "text/turtle"}});
    $("offering-turtle").textContent = text;
    $("offering-turtle").hidden = false;
    $("offering-turtle").focus();
  } catch (error) {
    reportError(error);
  }
}

// ---- Resolution -------------------------------------------------------------------------

async function loadManifestFile() {
  const file = $("manifest-file").files[0];
  if (!file) return;
  $("manifest").value = await file.text();
  $("resolve-status").textContent = `Loaded ${file.name} (${file.size} bytes).`;
}

async function resolve(event) {
  event.preventDefault();
  clearProblem();
  const manifest = $("manifest").value;
  if (!manifest.trim()) {
    showProblem({title: "No manifest", detail: "Paste a consumer manifest or load a file first.", field: "manifest"});
    $("manifest").focus();
    return;
  }
  const params = new URLSearchParams({top_k: $("top-k").value || "10", explain_limit: $("explain-limit").value || "20"});
  const button = $("resolve-button");
  button.disabled = true;
  $("resolve-status").textContent = "Resolving…";
  $("resolution").replaceChildren();
  try {
    const resolution = await api(`/v1/resolutions?${params}`, {
      method: "POST",
      headers: {"Content-Type": "text/turtle"},
      body: manifest,
    });
    $("resolve-status").textContent = resolution.satisfiable
      ? `${resolution.answers.length} answer${resolution.answers.length === 1 ? "" : "s"}, best first.`
      : "Nothing satisfies this manifest; the diagnosis says why.";
    renderResolution(resolution);
  } catch (error) {
    $("resolve-status").textContent = "The hub refused the manifest.";
    reportError(error, $("manifest"));
  } finally {
    button.disabled = false;
  }
}

function failureItem(failure) {
  return h("li", {},
    failure.message || failure.constraint,
    failure.path ? h("span", {class: "help"}, ` (path ${failure.path}${failure.constraint ? `, ${failure.constraint}` : ""})`) : "",
    failure.value ? ` — value ${failure.value}` : "",
    failure.claimed_not_verified ? h("strong", {}, " claimed, not verified") : "");
}

// Orders one assignment of an answer and opens the order. The idempotency key names the
// resolution, rank and assignment: ordering the same assignment again (a double click, a
// retry) answers the same order instead of a second one.
async function orderAssignment(resolution, answer, index, button) {
  clearProblem();
  const assignment = answer.assignments[index];
  button.disabled = true;
  $("resolve-status").textContent = `Ordering ${assignment.offering_name || localName(assignment.offering)}…`;
  try {
    const order = await api("/v1/orders", {
      method: "POST",
      headers: {"Content-Type": "application/json",
        "Idempotency-Key": `console ${resolution.id} rank ${answer.rank} assignment ${index}`},
      body: JSON.stringify({resolution: resolution.id, rank: answer.rank, requirement: assignment.requirement}),
    });
    location.hash = `#/order/${encodeURIComponent(order.id)}`;
  } catch (error) {
    $("resolve-status").textContent = "The order was not placed.";
    reportError(error);
  } finally {
    button.disabled = false;
  }
}

function answerCard(answer, currency, resolution) {
  return h("article", {class: "answer", "aria-labelledby": `answer-${answer.rank}`},
    h("h3", {id: `answer-${answer.rank}`},
      `Rank ${answer.rank}: ${money(answer.monthly_price, currency)} a month, score ${formatNumber(answer.score, 3)}`),
    h("table", {},
      h("caption", {class: "visually-hidden"}, `Assignments of answer ${answer.rank}`),
      h("thead", {}, h("tr", {},
        h("th", {scope: "col"}, "Requirement"), h("th", {scope: "col"}, "Offering"),
        h("th", {scope: "col"}, "Provider"), h("th", {scope: "col"}, "Region"),
        h("th", {scope: "col", class: "num"}, "Quantity"), h("th", {scope: "col", class: "num"}, "Monthly price"),
        h("th", {scope: "col"}, "Order"))),
      h("tbody", {}, (answer.assignments || []).map((a, index) => h("tr", {},
        h("th", {scope: "row"}, a.requirement_label || localName(a.requirement)),
        h("td", {}, h("a", {href: `#/offering/${encodeURIComponent(a.offering)}`}, a.offering_name || localName(a.offering))),
        h("td", {}, a.provider_id),
        h("td", {}, `${a.region} ${a.country}`.trim()),
        h("td", {class: "num"}, a.quantity),
        h("td", {class: "num"}, money(a.monthly_price, currency)),
        h("td", {}, h("button", {type: "button", class: "secondary",
          "aria-label": `Order ${a.offering_name || localName(a.offering)} for ${a.requirement_label || localName(a.requirement)} (rank ${answer.rank})`,
          onclick: (event) => orderAssignment(resolution, answer, index, event.currentTarget)}, "Order")))))),
    h("h4", {}, "Why this rank"),
    h("ul", {class: "explanations"},
      (answer.score_parts || []).map((part) => h("li", {},
        h("strong", {}, part.preference), `: ${part.detail || ""}`,
        h("span", {class: "help"},
          ` (value ${formatNumber(part.value, 3)} × weight ${formatNumber(part.weight, 2)} → ${formatNumber(part.contribution, 3)})`))),
      (answer.score_parts || []).length ? null : h("li", {}, "The manifest states no preference: every answer scores the same.")));
}

function requirementReport(report) {
  return h("section", {class: "requirement", "aria-label": `Requirement ${report.label || localName(report.requirement)}`},
    h("h3", {}, report.label || localName(report.requirement)),
    h("p", {}, `Quantity ${report.quantity}: ${report.conforming} offering${report.conforming === 1 ? "" : "s"} conform, ${report.accepted} of them from providers that accept this consumer; ${report.rejected_total} rejected.`),
    (report.eliminated_by || []).length
      ? h("details", {},
          h("summary", {}, "Constraints that eliminated candidates"),
          h("ul", {}, report.eliminated_by.map((t) => h("li", {}, `${t.message || t.constraint}`, t.path ? ` (path ${t.path})` : "", `: ${t.offerings} offering${t.offerings === 1 ? "" : "s"}`))))
      : null,
    (report.rejected || []).length
      ? h("details", {},
          h("summary", {}, `Rejected candidates (${report.rejected.length} of ${report.rejected_total})`),
          h("ul", {}, report.rejected.map((r) => h("li", {},
            h("strong", {}, r.offering_name || localName(r.offering)), ` (${r.provider_id}): ${r.reason.replace(/_/g, " ")}`,
            h("ul", {}, (r.failures || []).map(failureItem))))))
      : null);
}

function renderResolution(resolution) {
  const out = [];
  out.push(h("div", {class: `summary${resolution.satisfiable ? "" : " unsatisfiable"}`},
    h("h2", {}, resolution.satisfiable ? "Ranked answers" : "Not satisfiable"),
    h("p", {}, `Resolution `, h("code", {}, resolution.id), ` in ${resolution.currency || "—"}: `,
      `${resolution.answers.length} answer${resolution.answers.length === 1 ? "" : "s"} of ${resolution.answers_considered} considered, `,
      `over ${resolution.catalogue_offerings} offerings in the catalogue.`),
    resolution.search_exhausted
      ? h("p", {}, "The search reached its budget: these answers meet every constraint but may not be the best.")
      : null));

  if (resolution.diagnosis) {
    out.push(h("section", {"aria-labelledby": "diagnosis-heading"},
      h("h2", {id: "diagnosis-heading"}, "Diagnosis"),
      h("ul", {}, (resolution.diagnosis.summary || []).map((s) => h("li", {}, s))),
      (resolution.diagnosis.nearest_misses || []).length
        ? h("details", {open: true},
            h("summary", {}, "Nearest misses"),
            h("ul", {}, resolution.diagnosis.nearest_misses.map((m) => h("li", {},
              h("strong", {}, localName(m.offering)), ` (${m.provider_id}) for ${localName(m.requirement)}: ${m.failed_constraints} constraint${m.failed_constraints === 1 ? "" : "s"} failed`,
              h("ul", {}, (m.failures || []).map(failureItem))))))
        : null));
  }

  if (resolution.answers.length) {
    out.push(h("section", {"aria-labelledby": "answers-heading"},
      h("h2", {id: "answers-heading"}, "Answers"),
      resolution.answers.map((a) => answerCard(a, resolution.currency, resolution))));
  }

  if ((resolution.requirements || []).length) {
    out.push(h("section", {"aria-labelledby": "requirements-heading"},
      h("h2", {id: "requirements-heading"}, "Requirements"),
      resolution.requirements.map(requirementReport)));
  }

  if (resolution.refusals_total > 0 || (resolution.refused_for || []).length) {
    out.push(h("section", {"aria-labelledby": "refusals-heading"},
      h("h2", {id: "refusals-heading"}, `Providers that refuse this consumer (${resolution.refusals_total})`),
      (resolution.refused_for || []).length
        ? h("ul", {}, resolution.refused_for.map((t) => h("li", {}, `${t.message || t.constraint}`, t.path ? ` (path ${t.path})` : "", `: ${t.providers} provider${t.providers === 1 ? "" : "s"}`)))
        : null,
      h("ul", {}, (resolution.refusals || []).map((r) => h("li", {},
        h("strong", {}, r.provider_id), `: ${r.label || localName(r.prerequisite)}`,
        r.scope && r.scope !== "provider" ? ` (for ${localName(r.scope)})` : "",
        h("ul", {}, (r.failures || []).map(failureItem)))))));
  }

  if ((resolution.warnings || []).length) {
    out.push(h("section", {"aria-labelledby": "warnings-heading"},
      h("h2", {id: "warnings-heading"}, "Warnings about the manifest"),
      h("ul", {}, resolution.warnings.map((w) => h("li", {}, h("code", {}, w.code), ` ${w.message}`)))));
  }

  if ((resolution.consumer_facts || []).length) {
    out.push(h("details", {},
      h("summary", {}, `Verified facts about the consumer (${resolution.consumer_facts.length})`),
      h("ul", {}, resolution.consumer_facts.map((f) => h("li", {}, `${localName(f.predicate)}: ${f.object}`, h("span", {class: "help"}, ` (issued by ${f.issuer})`))))));
  }
  $("resolution").replaceChildren(...out);
}

// ---- Orders -----------------------------------------------------------------------------

const orders = {loaded: false, list: [], cursor: null, query: ""};

function orderQuery() {
  const params = new URLSearchParams();
  for (const element of $("orders-filters").elements) {
    if (element.name && element.value.trim()) params.set(element.name, element.value.trim());
  }
  params.set("limit", String(PAGE_SIZE));
  return params;
}

function orderRow(order) {
  return h("tr", {},
    h("th", {scope: "row"}, h("a", {href: `#/order/${encodeURIComponent(order.id)}`}, h("code", {}, order.id))),
    h("td", {}, h("span", {class: `tag state-${order.state}`}, order.state)),
    h("td", {}, order.offering_name || localName(order.offering_id)),
    h("td", {}, order.provider_id),
    h("td", {class: "num"}, order.quantity || 1),
    h("td", {}, order.updated_at ? new Date(order.updated_at).toLocaleString() : ""));
}

async function loadOrders(more) {
  clearProblem();
  const params = more ? new URLSearchParams(orders.query) : orderQuery();
  if (more) params.set("cursor", orders.cursor);
  else orders.query = params.toString();
  $("orders-status").textContent = "Loading orders…";
  $("orders-more").disabled = true;
  try {
    const page = await api(`/v1/orders?${params}`);
    if (!more) orders.list = [];
    orders.list.push(...page.orders);
    orders.cursor = page.next_cursor || null;
    orders.loaded = true;
    const body = $("orders").tBodies[0];
    const rows = page.orders.map(orderRow);
    if (more) body.append(...rows);
    else body.replaceChildren(...rows);
    $("orders").hidden = orders.list.length === 0;
    $("orders-more").hidden = !orders.cursor;
    const count = orders.list.length;
    $("orders-status").textContent = count === 0
      ? "No orders."
      : `${count} order${count === 1 ? "" : "s"} shown${orders.cursor ? "; more are available" : ""}.`;
  } catch (error) {
    $("orders-status").textContent = "The orders could not be loaded.";
    reportError(error);
  } finally {
    $("orders-more").disabled = false;
  }
}

function showOrders() {
  if (!orders.loaded) loadOrders(false);
}

// A map of strings (parameters, outputs, secrets) as a titled list of terms.
function mapSection(title, map) {
  const entries = Object.entries(map || {});
  if (!entries.length) return null;
  return h("section", {"aria-label": title},
    h("h2", {}, title),
    h("dl", {class: "details"}, entries.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, h("code", {}, value))])));
}

function renderOrder(order) {
  $("order-heading").textContent = `Order ${order.id}`;
  const price = order.price_amount
    ? `${order.price_amount} ${order.price_currency || ""} per ${unitName(order.price_unit)}`
    : "—";
  const rows = [
    ["State", h("span", {class: `tag state-${order.state}`}, order.state), order.deletion_requested ? " (deletion requested)" : ""],
    ["Offering", order.offering_name || localName(order.offering_id)],
    ["Offering IRI", h("code", {}, order.offering_id)],
    ["Provider", order.provider_id],
    ["Worker", order.worker_kind || "—"],
    ["Quantity", order.quantity || 1],
    ["Price", price],
    ["Tenant", order.tenant],
    ["From resolution", order.resolution_id ? `${order.resolution_id}, rank ${order.rank}` : "—"],
    ["Created", order.created_at ? new Date(order.created_at).toLocaleString() : ""],
    ["Version", order.version],
  ];
  $("order-details").replaceChildren(...rows.flatMap(([term, ...value]) => [h("dt", {}, term), h("dd", {}, ...value)]));
  $("order-maps").replaceChildren(...[
    mapSection("Parameters", order.parameters),
    mapSection("Outputs", order.outputs),
    order.secrets ? mapSection("Secrets", order.secrets) : null,
    (order.reasons || []).length
      ? h("section", {"aria-label": "Reasons"}, h("h2", {}, "Reasons"), h("ul", {}, order.reasons.map((r) => h("li", {}, r))))
      : null,
  ].filter(Boolean));
  $("order-secrets-button").hidden = !order.has_secrets || Boolean(order.secrets);
  const history = order.history || [];
  $("order-history").tBodies[0].replaceChildren(...history.map((t) => h("tr", {},
    h("td", {}, t.at ? h("time", {datetime: t.at}, new Date(t.at).toLocaleString()) : ""),
    h("td", {}, t.from || "—"),
    h("td", {}, t.to),
    h("td", {}, t.reason))));
  $("order-history").hidden = history.length === 0;
  $("order-history-heading").hidden = history.length === 0;
  $("order-actions").hidden = order.state !== "active" || Boolean(order.deletion_requested);
  if (order.state === "active") offerMoveTargets(order);
}

const FINAL_ORDER_STATES = ["deleted", "rejected", "failed"];

// The move form's choices: offerings of the order's kind at other providers (read once per
// order).
let moveTargetsOf = "";
async function offerMoveTargets(order) {
  if (moveTargetsOf === order.id) return;
  moveTargetsOf = order.id;
  const select = $("move-target");
  select.replaceChildren(h("option", {value: ""}, "Loading offerings…"));
  try {
    const offering = await api(`/v1/offerings/${encodeURIComponent(order.offering_id)}`);
    const page = await api(`/v1/offerings?${new URLSearchParams({kind: offering.kind, limit: "100"})}`);
    const targets = page.offerings.filter((o) => o.provider_id !== order.provider_id);
    select.replaceChildren(...(targets.length
      ? targets.map((o) => h("option", {value: o.id},
          `${o.name || localName(o.id)} at ${o.provider_id}${o.monthly_price ? `, ${money(o.monthly_price, o.price_currency)} a month` : ""}`))
      : [h("option", {value: ""}, `No other provider sells ${offering.kind}`)]));
  } catch (error) {
    moveTargetsOf = "";
    select.replaceChildren(h("option", {value: ""}, "The offerings could not be loaded"));
  }
}

async function startMove(event, orderId) {
  event.preventDefault();
  clearProblem();
  const target = $("move-target").value;
  if (!target) {
    showProblem({title: "No target", detail: "Choose the offering to move to.", field: "target_offering_id"});
    $("move-target").focus();
    return;
  }
  const request = {order_id: orderId, target_offering_id: target};
  if ($("move-mode").value) request.mode = $("move-mode").value;
  $("move-button").disabled = true;
  try {
    const migration = await api("/v1/migrations", {
      method: "POST",
      headers: {"Content-Type": "application/json", "Idempotency-Key": `console move ${orderId} to ${target}`.slice(0, 200)},
      body: JSON.stringify(request),
    });
    location.hash = `#/migration/${encodeURIComponent(migration.id)}`;
  } catch (error) {
    reportError(error, $("move-target"));
  } finally {
    $("move-button").disabled = false;
  }
}

async function deleteOrder(id) {
  clearProblem();
  if (!window.confirm(`Delete order ${id}? Its provider deprovisions the service and its data.`)) return;
  $("order-delete-button").disabled = true;
  try {
    await api(`/v1/orders/${encodeURIComponent(id)}`, {method: "DELETE"});
    $("order-status").textContent = "Deletion requested.";
  } catch (error) {
    reportError(error);
  } finally {
    $("order-delete-button").disabled = false;
  }
}

async function showOrder(id, withSecrets) {
  stopLive();
  $("order-live").textContent = "";
  $("order-actions").hidden = true;
  $("order-details").replaceChildren();
  $("order-maps").replaceChildren();
  $("order-history").hidden = true;
  $("order-history-heading").hidden = true;
  $("order-secrets-button").hidden = true;
  $("order-heading").textContent = "Order";
  if (!id) {
    $("order-status").textContent = "No order chosen.";
    return;
  }
  $("order-status").textContent = "Loading the order…";
  try {
    const path = `/v1/orders/${encodeURIComponent(id)}${withSecrets === true ? "?include=secrets" : ""}`;
    const order = await api(path);
    $("order-status").textContent = "";
    renderOrder(order);
    $("order-secrets-button").onclick = () => showOrder(id, true);
    $("move-form").onsubmit = (event) => startMove(event, id);
    $("order-delete-button").onclick = () => deleteOrder(id);
    if (!FINAL_ORDER_STATES.includes(order.state)) {
      followLive(`order=${encodeURIComponent(id)}`, "order-live", path, renderOrder, FINAL_ORDER_STATES);
    }
  } catch (error) {
    $("order-status").textContent = "The order could not be loaded.";
    reportError(error);
  }
}

// ---- Migrations -------------------------------------------------------------------------

const migrations = {loaded: false, list: [], cursor: null, query: ""};

// Milliseconds as a person reads them; -1 (the hub's "unknown") as a dash.
function millis(ms) {
  if (typeof ms !== "number" || ms < 0) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(3)} s`;
  const seconds = Math.floor(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return hours ? `${hours}h ${String(minutes).padStart(2, "0")}m ${rest}s` : `${minutes}m ${rest}s`;
}

function bytes(n) {
  if (typeof n !== "number" || n < 0) return "—";
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function migrationQuery() {
  const params = new URLSearchParams();
  for (const element of $("migrations-filters").elements) {
    if (element.name && element.value.trim()) params.set(element.name, element.value.trim());
  }
  params.set("limit", String(PAGE_SIZE));
  return params;
}

function migrationRow(migration) {
  return h("tr", {},
    h("th", {scope: "row"}, h("a", {href: `#/migration/${encodeURIComponent(migration.id)}`}, h("code", {}, migration.id))),
    h("td", {}, h("span", {class: `tag state-${migration.state}`}, migration.state)),
    h("td", {}, h("a", {href: `#/order/${encodeURIComponent(migration.order_id)}`}, h("code", {}, migration.order_id))),
    h("td", {}, migration.source_provider_id),
    h("td", {}, migration.target_provider_id),
    h("td", {}, migration.mode || "—"),
    h("td", {}, migration.updated_at ? new Date(migration.updated_at).toLocaleString() : ""));
}

async function loadMigrations(more) {
  clearProblem();
  const params = more ? new URLSearchParams(migrations.query) : migrationQuery();
  if (more) params.set("cursor", migrations.cursor);
  else migrations.query = params.toString();
  $("migrations-status").textContent = "Loading migrations…";
  $("migrations-more").disabled = true;
  try {
    const page = await api(`/v1/migrations?${params}`);
    if (!more) migrations.list = [];
    migrations.list.push(...page.migrations);
    migrations.cursor = page.next_cursor || null;
    migrations.loaded = true;
    const body = $("migrations").tBodies[0];
    const rows = page.migrations.map(migrationRow);
    if (more) body.append(...rows);
    else body.replaceChildren(...rows);
    $("migrations").hidden = migrations.list.length === 0;
    $("migrations-more").hidden = !migrations.cursor;
    const count = migrations.list.length;
    $("migrations-status").textContent = count === 0
      ? "No migrations."
      : `${count} migration${count === 1 ? "" : "s"} shown${migrations.cursor ? "; more are available" : ""}.`;
  } catch (error) {
    $("migrations-status").textContent = "The migrations could not be loaded.";
    reportError(error);
  } finally {
    $("migrations-more").disabled = false;
  }
}

function showMigrations() {
  if (!migrations.loaded) loadMigrations(false);
}

function renderMigration(migration) {
  $("migration-heading").textContent = `Migration ${migration.id}`;
  const at = (time) => (time ? new Date(time).toLocaleString() : "—");
  const rows = [
    ["State", h("span", {class: `tag state-${migration.state}`}, migration.state), migration.cancel_requested ? " (cancel requested)" : ""],
    ["Order", h("a", {href: `#/order/${encodeURIComponent(migration.order_id)}`}, h("code", {}, migration.order_id))],
    ["From", `${migration.source_provider_id} `, h("code", {}, migration.source_offering_id)],
    ["To", `${migration.target_provider_id} `, h("code", {}, migration.target_offering_id)],
    ["Data", migration.data_kind || "—"],
    ["Mode", migration.mode || "—"],
    ["Format", migration.format ? h("code", {}, migration.format) : "—"],
    ["Transferred", bytes(migration.bytes_transferred)],
    ["Write downtime", millis(migration.write_downtime_ms)],
    ["Created", at(migration.created_at)],
    ["Cut over", at(migration.cut_over_at)],
    ["Completed", at(migration.completed_at)],
    ["Tenant", migration.tenant],
    ["Version", migration.version],
  ];
  $("migration-details").replaceChildren(...rows.flatMap(([term, ...value]) => [h("dt", {}, term), h("dd", {}, ...value)]));
  $("migration-reasons").replaceChildren(...[
    (migration.reasons || []).length
      ? h("section", {"aria-label": "Reasons"}, h("h2", {}, "Reasons"), h("ul", {}, migration.reasons.map((r) => h("li", {}, r))))
      : null,
    mapSection("Target connection details", migration.target_outputs),
  ].filter(Boolean));
  const steps = migration.steps || [];
  $("migration-steps").tBodies[0].replaceChildren(...steps.map((step) => h("tr", {},
    h("td", {}, step.name),
    h("td", {}, h("span", {class: `tag state-${step.outcome}`}, step.outcome)),
    h("td", {}, step.started_at ? h("time", {datetime: step.started_at}, new Date(step.started_at).toLocaleString()) : ""),
    h("td", {class: "num"}, step.finished_at ? millis(step.duration_ms) : "running"),
    h("td", {}, (step.tasks || []).map((task) => `${task.operation} at ${task.provider_id}: ${task.state}`).join("; ")),
    h("td", {}, step.message))));
  $("migration-steps").hidden = steps.length === 0;
  $("migration-steps-heading").hidden = steps.length === 0;
  const checks = migration.verification || [];
  $("migration-verification").tBodies[0].replaceChildren(...checks.map((check) => h("tr", {},
    h("td", {}, check.name),
    h("td", {class: "num"}, check.source_rows),
    h("td", {class: "num"}, check.target_rows),
    h("td", {}, check.equal ? "yes" : "NO"))));
  $("migration-verification").hidden = checks.length === 0;
  $("migration-verification-heading").hidden = checks.length === 0;
  // A report exists once the migration has ended.
  $("migration-report-button").hidden = !["completed", "rolled_back", "failed", "decommissioning_source"].includes(migration.state);
}

// The report page needs the token, which a plain link cannot carry: fetched here, then saved
// as a file (it is self-contained, made to be handed over).
async function downloadReport(id) {
  clearProblem();
  try {
    const page = await api(`/v1/migrations/${encodeURIComponent(id)}/report`, {headers: {Accept: "text/html"}});
    const url = URL.createObjectURL(new Blob([page], {type: "text/html"}));
    const link = h("a", {href: url, download: `switching-report-${id}.html`});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    reportError(error);
  }
}

const FINAL_MIGRATION_STATES = ["completed", "rolled_back", "failed"];

async function showMigration(id) {
  stopLive();
  $("migration-live").textContent = "";
  $("migration-details").replaceChildren();
  $("migration-reasons").replaceChildren();
  $("migration-steps").hidden = true;
  $("migration-steps-heading").hidden = true;
  $("migration-verification").hidden = true;
  $("migration-verification-heading").hidden = true;
  $("migration-report-button").hidden = true;
  $("migration-heading").textContent = "Migration";
  if (!id) {
    $("migration-status").textContent = "No migration chosen.";
    return;
  }
  $("migration-status").textContent = "Loading the migration…";
  try {
    const path = `/v1/migrations/${encodeURIComponent(id)}`;
    const migration = await api(path);
    $("migration-status").textContent = "";
    renderMigration(migration);
    $("migration-report-button").onclick = () => downloadReport(id);
    if (!FINAL_MIGRATION_STATES.includes(migration.state)) {
      followLive(`migration=${encodeURIComponent(id)}`, "migration-live", path, renderMigration,
        FINAL_MIGRATION_STATES);
    }
  } catch (error) {
    $("migration-status").textContent = "The migration could not be loaded.";
    reportError(error);
  }
}

// ---- The bill ---------------------------------------------------------------------------

function duration(seconds) {
  const total = Number(seconds) || 0;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  return `${hours} h ${String(minutes).padStart(2, "0")} min`;
}

function renderBill(bill) {
  const lines = bill.lines || [];
  const out = [
    h("div", {class: "summary"},
      h("h2", {}, `Bill of ${bill.tenant} for ${bill.period}`),
      h("p", {}, bill.final ? "Final: the month has ended." : "So far: the month has not ended.")),
  ];
  if (!lines.length) {
    out.push(h("p", {}, "No billable orders in this month."));
  } else {
    out.push(h("table", {class: "offerings"},
      h("caption", {class: "visually-hidden"}, "Bill lines"),
      h("thead", {}, h("tr", {},
        h("th", {scope: "col"}, "Provider"), h("th", {scope: "col"}, "Order"), h("th", {scope: "col"}, "Offering"),
        h("th", {scope: "col", class: "num"}, "Quantity"), h("th", {scope: "col", class: "num"}, "Unit price"),
        h("th", {scope: "col", class: "num"}, "Billable time"), h("th", {scope: "col", class: "num"}, "Amount"))),
      h("tbody", {}, lines.map((line) => h("tr", {},
        h("td", {}, line.provider_id),
        h("th", {scope: "row"}, h("a", {href: `#/order/${encodeURIComponent(line.order_id)}`}, h("code", {}, line.order_id))),
        h("td", {}, line.offering_name || localName(line.offering_id)),
        h("td", {class: "num"}, line.quantity),
        // Amounts are the hub's exact decimals, shown as sent (never through floating point).
        h("td", {class: "num"}, `${line.unit_price} ${line.currency} per ${unitName(line.price_unit)}`),
        h("td", {class: "num"}, duration(line.billable_seconds)),
        h("td", {class: "num"}, `${line.amount} ${line.currency}`))))));
  }
  const totals = [
    ...(bill.providers || []).map((p) => [`Provider ${p.provider_id}`, `${p.amount} ${p.currency}`]),
    ...(bill.totals || []).map((t) => ["Total", `${t.amount} ${t.currency}`]),
  ];
  if (totals.length) {
    out.push(h("dl", {class: "details"}, totals.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {class: "num"}, value)])));
  }
  $("bill").replaceChildren(...out);
}

async function loadBill(event) {
  if (event) event.preventDefault();
  clearProblem();
  const period = $("b-period").value.trim();
  if (!/^[0-9]{4}-[0-9]{2}$/.test(period)) {
    showProblem({title: "No month", detail: "Choose the month of the bill (YYYY-MM).", field: "period"});
    $("b-period").focus();
    return;
  }
  const params = new URLSearchParams({period});
  const consumer = $("b-consumer").value.trim();
  if (consumer) params.set("consumer", consumer);
  $("bill-status").textContent = "Loading the bill…";
  try {
    renderBill(await api(`/v1/bills?${params}`));
    $("bill-status").textContent = "";
  } catch (error) {
    $("bill").replaceChildren();
    $("bill-status").textContent = "The bill could not be loaded.";
    reportError(error);
  }
}

function showBill() {
  if (!$("b-period").value) $("b-period").value = new Date().toISOString().slice(0, 7);
}

// ---- Live activity (Server-Sent Events), when the hub has them ----------------------------

// Event names the hub's catalogue may send; an unnamed event arrives as "message".
const EVENT_NAMES = ["message", "manifest_ingested", "manifest_rejected", "offering_added",
  "offering_changed", "offering_removed", "provider_registered", "provider_removed"];

function describeEvent(type, data) {
  let payload = data;
  try {
    payload = JSON.parse(data);
  } catch {
    return `${type}: ${data}`.slice(0, 200);
  }
  const body = payload && typeof payload === "object" && payload.payload ? payload.payload : payload;
  const name = (payload && payload.type) || type;
  const offering = body && (body.offering || body.previous);
  const subject = offering
    ? `${offering.name || localName(offering.id)} (${offering.provider_id})`
    : (body && (body.provider_id || body.id)) || "";
  return `${localName(name.replace(/\./g, "/"))}${subject ? `: ${subject}` : ""}`;
}

function startActivity() {
  if (typeof EventSource === "undefined") return;
  const source = new EventSource("/v1/events");
  let opened = false;
  source.onopen = () => {
    opened = true;
    $("activity").hidden = false;
  };
  // No /v1/events (404) or a refused stream: the browser gives up and the panel stays hidden.
  source.onerror = () => {
    if (!opened || source.readyState === EventSource.CLOSED) source.close();
  };
  const list = $("activity-list");
  for (const name of EVENT_NAMES) {
    source.addEventListener(name, (event) => {
      const item = h("li", {}, h("time", {datetime: new Date().toISOString()}, new Date().toLocaleTimeString()), " ",
        describeEvent(name, event.data));
      list.prepend(item);
      while (list.children.length > 50) list.lastElementChild.remove();
      if (name.startsWith("offering_")) catalogue.loaded = false;
    });
  }
}

// ---- Start ------------------------------------------------------------------------------

function start() {
  $("sign-in").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadOfferings(false);
  });
  // After the reset has emptied the fields.
  $("filters").addEventListener("reset", () => setTimeout(() => loadOfferings(false), 0));
  $("more").addEventListener("click", () => loadOfferings(true));
  $("manifest-file").addEventListener("change", () => loadManifestFile().catch(reportError));
  $("resolve-form").addEventListener("submit", resolve);
  $("orders-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadOrders(false);
  });
  $("orders-more").addEventListener("click", () => loadOrders(true));
  $("migrations-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadMigrations(false);
  });
  $("migrations-more").addEventListener("click", () => loadMigrations(true));
  $("bill-form").addEventListener("submit", loadBill);
  window.addEventListener("hashchange", onHashChange);
  // The skip link moves focus without changing the address (which names the view).
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault();
    $("main").focus();
  });
  showSession();
  route();
  startActivity();
}

document.addEventListener("DOMContentLoaded", start);
