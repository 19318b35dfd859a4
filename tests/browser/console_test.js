// The web console in a real browser: Debian's chromium, headless, driven by playwright-core,
// against a running hub (tests/browser/console_browser_test.cc starts `mpli up` and runs this).
//
//   MPLI_CONSOLE_URL        the gateway, e.g. http://127.0.0.1:20480 (required)
//   MPLI_CONSOLE_MANIFEST   a consumer manifest (Turtle file) that resolves to answers (required)
//   MPLI_CONSOLE_TOKEN      a consumer's bearer token (required): the console signs in with it
//   MPLI_SCREENSHOT_DIR     where the screenshots go (created)
//   MPLI_CHROMIUM           the browser (default /usr/bin/chromium)
//   MPLI_PLAYWRIGHT_CORE    where playwright-core is, when not on NODE_PATH
//
// Exit 0 when every step held; otherwise the failed check and a screenshot of the page then.
"use strict";

const fs = require("fs");
const path = require("path");
const assert = require("assert/strict");
const {execFileSync} = require("child_process");

const {chromium} = require(process.env.MPLI_PLAYWRIGHT_CORE || "playwright-core");

const base = process.env.MPLI_CONSOLE_URL;
const manifestFile = process.env.MPLI_CONSOLE_MANIFEST;
const token = process.env.MPLI_CONSOLE_TOKEN || "";
if (!token) throw new Error("MPLI_CONSOLE_TOKEN is empty: the test needs a consumer token");
const shots = process.env.MPLI_SCREENSHOT_DIR || path.join(process.cwd(), "browser-screenshots");
const browserPath = process.env.MPLI_CHROMIUM || "/usr/bin/chromium";
if (!base || !manifestFile) {
  console.error("console_test.js: set MPLI_CONSOLE_URL and MPLI_CONSOLE_MANIFEST");
  process.exit(2);
}
fs.mkdirSync(shots, {recursive: true});

function step(text) {
  console.log(`step: ${text}`);
}

// Every form control has an accessible name from a <label>, aria-label or aria-labelledby.
async function unlabelledControls(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((e) => e.type !== "hidden")
      .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby"))
      .map((e) => e.id || e.name || e.outerHTML));
}

async function buttonsWithoutNames(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("button")]
      .filter((b) => !(b.textContent.trim() || b.getAttribute("aria-label")))
      .map((b) => b.outerHTML));
}

// The terms and values of one titled map on an order's page (Outputs, Secrets).
async function orderMap(page, title) {
  return page.evaluate((title) => {
    const out = {};
    const section = document.querySelector(`#order-maps section[aria-label="${title}"]`);
    for (const term of section ? section.querySelectorAll("dt") : []) {
      out[term.textContent] = term.nextElementSibling.textContent;
    }
    return out;
  }, title);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    // Root in a container has no user namespaces for chromium's sandbox.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({viewport: {width: 1366, height: 900}});
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    // Expected: the refusals this test provokes (400), and a hub without /v1/events (404, then
    // the console does without live updates). Anything else is a failure.
    const expected = /status of (400|404) |EventSource/.test(text);
    if (message.type() === "error" && !expected) {
      problems.push(`console error: ${text}`);
    }
    if (/Content Security Policy/i.test(text)) problems.push(`CSP: ${text}`);
  });
  const requests = [];
  page.on("request", (request) => requests.push(request));

  try {
    step("the console's files come with their headers");
    const index = await page.request.get(`${base}/`);
    assert.equal(index.status(), 200);
    const headers = index.headers();
    assert.match(headers["content-type"], /^text\/html/);
    assert.match(headers["content-security-policy"], /script-src 'self'/);
    assert.doesNotMatch(headers["content-security-policy"], /unsafe-inline/);
    assert.equal(headers["cache-control"], "no-cache");
    assert.match(headers["etag"], /^"[0-9a-f]{32}"$/);
    const again = await page.request.get(`${base}/`, {headers: {"If-None-Match": headers["etag"]}});
    assert.equal(again.status(), 304);
    const script = await page.request.get(`${base}/console/app.js`);
    assert.equal(script.status(), 200);
    assert.match(script.headers()["content-type"], /^text\/javascript/);
    const css = await page.request.get(`${base}/console/style.css`);
    assert.match(css.headers()["content-type"], /^text\/css/);
    const missing = await page.request.get(`${base}/console/nothing.js`);
    assert.equal(missing.status(), 404);
    assert.match(missing.headers()["content-type"], /^application\/problem\+json/);

    step("open / and see the catalogue");
    await page.goto(`${base}/`);
    await page.getByRole("heading", {level: 1, name: "Catalogue"}).waitFor();
    const rows = page.locator("#offerings tbody tr");
    await rows.first().waitFor();
    const total = await rows.count();
    assert.ok(total >= 3, `at least three offerings listed, saw ${total}`);
    await page.getByRole("status").filter({hasText: /offerings? shown/}).waitFor();
    assert.deepEqual(await unlabelledControls(page), [], "every control has a label");
    assert.deepEqual(await buttonsWithoutNames(page), [], "every button has a name");
    assert.equal(await page.locator("main").count(), 1, "one main landmark");
    assert.equal(await page.locator("nav").count(), 1, "one navigation landmark");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content",
      "the first Tab reaches the skip link");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "main", "the skip link moves focus to main");
    await page.screenshot({path: path.join(shots, "01-catalogue.png"), fullPage: true});

    step("five a page: \"More offerings\" follows the cursor until the last page");
    await page.getByLabel("Per page").selectOption("5");
    await page.getByRole("button", {name: "Apply filters"}).click();
    await page.waitForFunction(() => document.querySelectorAll("#offerings tbody tr").length === 5);
    const more = page.getByRole("button", {name: "More offerings"});
    let pages = 1;
    while (await more.isVisible()) {
      const before = await rows.count();
      await more.click();
      await page.waitForFunction((n) => document.querySelectorAll("#offerings tbody tr").length > n, before);
      pages++;
      assert.ok(pages <= Math.ceil(total / 5), `at most ${Math.ceil(total / 5)} pages of five`);
    }
    assert.equal(await rows.count(), total, "the pages together list every offering once");
    const names = await rows.evaluateAll((all) => all.map((r) => r.querySelector("a").textContent));
    assert.equal(new Set(names).size, total, "no offering twice across pages");
    assert.ok(requests.some((r) => r.url().includes("cursor=")), "the next page was asked by cursor");
    await page.getByLabel("Per page").selectOption("25");

    step("filter by country DE: only German offerings remain");
    await page.getByLabel("Country").fill("DE");
    await page.getByRole("button", {name: "Apply filters"}).click();
    await page.waitForFunction(() => /offerings? shown|No offering/.test(document.getElementById("catalogue-status").textContent) &&
      [...document.querySelectorAll("#offerings tbody tr")].every((r) => r.children[3].textContent.includes("DE")));
    const german = await rows.count();
    assert.ok(german >= 1 && german < total, `DE narrows ${total} offerings to ${german}`);
    const countries = await rows.evaluateAll((all) => all.map((r) => r.children[3].textContent));
    for (const text of countries) assert.match(text, /\bDE\b/);
    assert.ok(requests.some((r) => r.url().includes("/v1/offerings?") && r.url().includes("country=DE")),
      "the filter went to the hub as country=DE");

    step("filter by a price the offerings cannot meet: the console says none match");
    await page.getByLabel("Maximum monthly price").fill("0.01");
    await page.getByRole("button", {name: "Apply filters"}).click();
    await page.getByRole("status").filter({hasText: "No offering matches these filters."}).waitFor();
    assert.equal(await page.locator("#offerings").isHidden(), true);

    step("a bad filter value is a problem naming its parameter");
    await page.getByLabel("Maximum monthly price").fill("");
    await page.getByLabel("Minimum vCPUs").fill("-3");
    await page.getByRole("button", {name: "Apply filters"}).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /min_vcpu/);
    assert.equal(await page.getByLabel("Minimum vCPUs").getAttribute("aria-invalid"), "true",
      "the field at fault is marked invalid");
    await page.screenshot({path: path.join(shots, "02-filter-problem.png"), fullPage: true});

    step("clear the filters (keyboard) and search by text");
    await page.getByRole("button", {name: "Clear"}).focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction((n) => document.querySelectorAll("#offerings tbody tr").length === n, total);
    await page.getByLabel("Search").fill("postgres");
    await page.getByLabel("Search").press("Enter");
    await page.waitForFunction((n) => {
      const r = document.querySelectorAll("#offerings tbody tr");
      return r.length > 0 && r.length < n;
    }, total);

    step("open an offering");
    const firstLink = rows.first().locator("a");
    const name = (await firstLink.innerText()).trim();
    await firstLink.click();
    await page.getByRole("heading", {level: 1, name}).waitFor();
    const details = await page.locator("#offering-details").innerText();
    assert.match(details, /Provider/);
    assert.match(details, /Monthly price|Price/);
    assert.match(page.url(), /#\/offering\//);
    await page.getByRole("button", {name: "Show its Turtle"}).click();
    await page.locator("#offering-turtle").waitFor();
    assert.match(await page.locator("#offering-turtle").innerText(), /mpli:|w3id\.org\/mpli/);
    await page.screenshot({path: path.join(shots, "03-offering.png"), fullPage: true});
    await page.getByRole("link", {name: "Back to the catalogue"}).click();
    await page.getByRole("heading", {level: 1, name: "Catalogue"}).waitFor();

    step("sign in with a token");
    await page.getByLabel("Bearer token").fill(token);
    await page.getByRole("button", {name: "Sign in"}).click();
    await page.getByRole("button", {name: "Sign out"}).waitFor();
    assert.match(await page.locator("#identity").innerText(), /Signed in as consumer/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("mpli.console.token")), token);
    await page.screenshot({path: path.join(shots, "04-signed-in.png")});

    step("paste a consumer manifest with a syntax error: the problem names the line");
    await page.getByRole("link", {name: "Resolve a manifest"}).click();
    await page.getByRole("heading", {level: 1, name: "Resolve a consumer manifest"}).waitFor();
    await page.getByLabel("Consumer manifest (Turtle)").fill("@prefix mpli: <https://w3id.org/mpli#> .\n<#a> mpli:b\n");
    await page.getByRole("button", {name: "Resolve"}).click();
    await alert.waitFor();
    assert.match(await alert.innerText(), /line \d+/);
    assert.match(await alert.innerText(), /manifest_syntax/);
    await page.screenshot({path: path.join(shots, "05-syntax-problem.png"), fullPage: true});

    step("paste the consumer manifest and resolve: ranked answers with their explanations");
    await page.getByLabel("Consumer manifest (Turtle)").fill(fs.readFileSync(manifestFile, "utf8"));
    const resolved = page.waitForResponse((r) => r.url().includes("/v1/resolutions") && r.request().method() === "POST");
    await page.getByRole("button", {name: "Resolve"}).click();
    const answer = await resolved;
    assert.equal(answer.status(), 201, `POST /v1/resolutions answered ${answer.status()}`);
    const sent = await answer.request().allHeaders();
    assert.equal(sent["authorization"], `Bearer ${token}`);
    await page.getByRole("heading", {level: 2, name: "Ranked answers"}).waitFor();
    assert.equal(await page.getByRole("alert").isHidden(), true, "no problem shown");
    const first = page.getByRole("heading", {level: 3, name: /^Rank 1: .* a month, score /});
    await first.waitFor();
    const cards = page.locator("article.answer");
    assert.ok((await cards.count()) >= 1);
    const firstCard = await cards.first().innerText();
    assert.match(firstCard, /Why this rank/);
    assert.match(firstCard, /Prefer\w+/, "the explanation names the preference");
    assert.match(firstCard, /value [\d.]+ × weight [\d.]+/);
    const status = await page.locator("#resolve-status").innerText();
    assert.match(status, /\d+ answers?, best first\./);
    assert.match(await page.locator("#resolution").innerText(), /Requirements/);
    await page.screenshot({path: path.join(shots, "06-resolution.png"), fullPage: true});

    step("an answer's offering opens from the resolution");
    await cards.first().locator("td a").first().click();
    await page.locator("#offering-details dt").first().waitFor();

    step("order the best answer's shop database: the order page follows it live until it is active");
    await page.getByRole("link", {name: "Resolve a manifest"}).click();
    const placed = page.waitForResponse((r) => r.url().endsWith("/v1/orders") && r.request().method() === "POST");
    await page.getByRole("button", {name: /^Order .+ for Shop database \(rank 1\)$/}).click();
    const created = await placed;
    assert.equal(created.status(), 201, `POST /v1/orders answered ${created.status()}: ${await created.text()}`);
    const placedWith = await created.request().allHeaders();
    assert.match(placedWith["idempotency-key"] || "", /^console .+ rank 1 assignment \d+$/);
    const order = await created.json();
    assert.ok(order.resolution_id, "the order was placed from the resolution's answer");
    await page.getByRole("heading", {level: 1, name: `Order ${order.id}`}).waitFor();
    assert.ok(page.url().endsWith(`#/order/${encodeURIComponent(order.id)}`));
    // The page is not reloaded: the order's events (GET /v1/events?order=..., read with the
    // token) make it read the order again.
    await page.locator("#order-live").filter({hasText: "Live:"}).waitFor({timeout: 30000});
    await page.locator("#order-details .state-active").waitFor({timeout: 120000});
    const watched = requests.filter((r) => r.url().includes(`/v1/events?order=${encodeURIComponent(order.id)}`));
    assert.ok(watched.length >= 1, "the order page watched the order's events");
    assert.equal((await watched[0].allHeaders())["authorization"], `Bearer ${token}`);
    const reads = requests.filter((r) => r.method() === "GET" && r.url().endsWith(`/v1/orders/${encodeURIComponent(order.id)}`));
    assert.ok(reads.length >= 2, "the order was read again after its events");
    const history = await page.locator("#order-history").innerText();
    assert.match(history, /provisioning/);
    assert.match(history, /active/);
    assert.match(await page.locator("#order-maps").innerText(), /host/, "the outputs name the database's host");
    await page.screenshot({path: path.join(shots, "07-order-active.png"), fullPage: true});

    step("show the connection secrets and use the database: a table of rows to move");
    await page.getByRole("button", {name: "Show the connection secrets"}).click();
    await page.locator('#order-maps section[aria-label="Secrets"]').waitFor();
    const outputs = await orderMap(page, "Outputs");
    const secrets = await orderMap(page, "Secrets");
    assert.ok(outputs.host && outputs.port && outputs.database && outputs.user && secrets.password,
      `connection details shown: ${Object.keys(outputs)} and secrets ${Object.keys(secrets)}`);
    execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", outputs.host, "-p", outputs.port,
      "-U", outputs.user, "-d", outputs.database, "-c",
      "CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL); " +
      "INSERT INTO products SELECT g, 'product ' || g FROM generate_series(1, 200) g;"],
    {env: {...process.env, PGPASSWORD: secrets.password, PGCONNECT_TIMEOUT: "10"}, stdio: "pipe", timeout: 30000});

    step("move the database to another provider: the migration page follows its steps live");
    await page.locator("#order-actions").waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll("#move-target option")].some((o) => / at polderstack/.test(o.textContent)));
    const target = await page.evaluate(() =>
      [...document.querySelectorAll("#move-target option")].find((o) => / at polderstack/.test(o.textContent)).value);
    await page.getByLabel("Move to").selectOption(target);
    await page.getByLabel("Mode").selectOption("offline");
    const moved = page.waitForResponse((r) => r.url().endsWith("/v1/migrations") && r.request().method() === "POST");
    await page.getByRole("button", {name: "Start the move"}).click();
    const migrationResponse = await moved;
    assert.ok([200, 201].includes(migrationResponse.status()), `POST /v1/migrations answered ${migrationResponse.status()}: ${await migrationResponse.text()}`);
    const migration = await migrationResponse.json();
    await page.getByRole("heading", {level: 1, name: `Migration ${migration.id}`}).waitFor();
    await page.locator("#migration-live").filter({hasText: /Live:|Final:/}).waitFor({timeout: 30000});
    // Cut over: the source is being (or has been) decommissioned; every step listed.
    await page.locator("#migration-details .state-decommissioning_source, #migration-details .state-completed")
      .first().waitFor({timeout: 180000});
    await page.locator("#migration-verification").waitFor();
    assert.match(await page.locator("#migration-verification").innerText(), /products\s+200\s+200\s+yes/,
      "the 200 rows verified equal on both sides");
    const steps = await page.locator("#migration-steps").innerText();
    for (const name of ["provisioning_target", "exporting", "transferring", "verifying", "cutting_over"]) {
      assert.match(steps, new RegExp(name), `the steps list ${name}`);
    }
    assert.ok(requests.some((r) => r.url().includes(`/v1/events?migration=${encodeURIComponent(migration.id)}`)),
      "the migration page watched the migration's events");
    await page.screenshot({path: path.join(shots, "08-migration.png"), fullPage: true});

    assert.deepEqual(problems, [], "no script error, console error or CSP violation");
    // For the harness's cross-tenant checks on what this consumer made.
    console.log(`made: resolution=${order.resolution_id} order=${order.id} migration=${migration.id}`);
    console.log("console_test.js: every step held");
  } catch (error) {
    await page.screenshot({path: path.join(shots, "failure.png"), fullPage: true}).catch(() => {});
    console.error(`console_test.js: ${error.stack || error}`);
    if (problems.length) console.error(problems.join("\n"));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
