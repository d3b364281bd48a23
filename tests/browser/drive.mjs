// SPDX-License-Identifier: MIT
// The browser half of tests/t-browser.sh: the kiosk and the console pages in
// headless Debian Chromium (playwright-core), each station a browser of its own
// with a fresh profile under the test directory and a zh-CN locale, as at the
// site. Badges are laid on the PN532 emulators and tags on the pad (shelf-sim)
// through their control sockets; the ledger is read with sqlite3.
//
// node drive.mjs CONFIG.json: {base, dir, db, active, keys:{UID:KEY}, xss, n, state}.
// Prints TAP lines numbered from n + 1, then writes "LAST_N FAILED" to `state`.
// Every wait polls what a person would look at (the page, the ledger) until it
// holds or a timeout passes; nothing sleeps a guessed time.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
let n = cfg.n;
let failed = 0;

// ---- TAP -------------------------------------------------------------------

function report(good, what, why) {
  n++;
  if (good) return console.log(`ok ${n} - ${what}`);
  failed++;
  console.log(`not ok ${n} - ${what}${why ? ` (${why})` : ""}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// get() until want(value) holds or `ms` pass: [held, last value].
async function poll(get, want, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    let v;
    try {
      v = await get();
    } catch (e) {
      v = `(${e.message.split("\n")[0]})`;
    }
    if (want(v)) return [true, v];
    if (Date.now() >= end) return [false, v];
    await sleep(50);
  }
}

const show = (v) => JSON.stringify(v);

async function is(what, expected, get, ms) {
  const [good, v] = await poll(get, (x) => show(x) === show(expected), ms);
  report(good, what, `expected ${show(expected)}, got ${show(v)}`);
}

async function contains(what, needle, get, ms) {
  const [good, v] = await poll(get, (x) => typeof x === "string" && x.includes(needle), ms);
  report(good, what, `no ${show(needle)} in ${show(v)}`);
}

// ---- the devices and the ledger --------------------------------------------

// One line to a simulator's control socket; its one-line answer.
function ctl(name, line) {
  return new Promise((resolve, reject) => {
    const c = createConnection(`${cfg.dir}/${name}.ctl`);
    let buf = "";
    c.setTimeout(3000, () => c.destroy(new Error(`${name}.ctl: no answer to ${line}`)));
    c.on("error", reject);
    c.on("data", (d) => {
      buf += d;
      if (!buf.includes("\n")) return;
      c.end();
      if (buf.startsWith("ok")) resolve(buf.trim());
      else reject(new Error(`${name}.ctl: ${line}: ${buf.trim()}`));
    });
    c.write(`${line}\n`);
  });
}

const sql = (q) => execFileSync("sqlite3", ["-readonly", cfg.db, q], { encoding: "utf8" }).trim();
const count = (kind) => +sql(`SELECT count(*) FROM ledger WHERE kind='${kind}'`);
// "COUNT|ACTORS|FIELD..." of the newest entry of a kind (payload fields).
function newest(kind, ...fields) {
  const cols = ["actors", ...fields.map((f) => `json_extract(payload,'$.${f}')`)];
  return sql(`SELECT (SELECT count(*) FROM ledger WHERE kind='${kind}') || '|' || ` +
    `coalesce((SELECT ${cols.map((c) => `coalesce(${c},'')`).join(" || '|' || ")} ` +
    `FROM ledger WHERE kind='${kind}' ORDER BY seq DESC LIMIT 1), '')`);
}

// The enrolled badge UID at a station's reader; true once vaultd has read it.
async function present(station, uid) {
  const reads = () => +sql(`SELECT count(*) FROM sensor_event WHERE source='${station}' ` +
    `AND kind='badge.arrived' AND instr(data,'badge=${uid}')>0`);
  const before = reads();
  await ctl(station, `place desfire ${uid} ${cfg.keys[uid]}`);
  return (await poll(reads, (x) => x > before))[0];
}

// ---- the stations ------------------------------------------------------------

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const contexts = [];

// A browser for one station, at PATH, with what it reports collected in `seen`.
async function station(name, path) {
  const context = await chromium.launchPersistentContext(`${cfg.dir}/chromium-${name}`, {
    executablePath: "/usr/bin/chromium", headless: true, args: ARGS, locale: "zh-CN",
    timeout: 30000,
  });
  contexts.push(context);
  context.setDefaultTimeout(5000);
  const page = context.pages()[0] || (await context.newPage());
  const seen = [];
  page.on("console", (m) => m.type() === "error" && seen.push(`console error: ${m.text()}`));
  page.on("pageerror", (e) => seen.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => seen.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && seen.push(`HTTP ${r.status()} ${r.url()}`));
  await load(page, () => page.goto(cfg.base + path));
  return { page, seen };
}

// Navigate and wait for the page's session probe to be answered.
async function load(page, go) {
  await Promise.all([page.waitForResponse((r) => r.url().endsWith("/api/session")), go()]);
}

// Fill the PIN field and submit the sign-in form (Enter, or its button).
async function signIn(page, pin, enter) {
  await page.locator("#pin").fill(pin);
  if (enter) await page.locator("#pin").press("Enter");
  else await page.locator("form button[type=submit]").click();
}

const txt = (page, sel) => () => page.locator(sel).textContent();
const txts = (page, sel) => () => page.locator(sel).allTextContents();
const shown = (page, ...sels) => async () => {
  const v = [];
  for (const s of sels) v.push(`${s}:${(await page.locator(s).isVisible()) ? "shown" : "hidden"}`);
  return v.join(" ");
};
const button = (page, name) => page.getByRole("button", { name, exact: true });

// ---- the kiosk -----------------------------------------------------------------

async function kiosk() {
  const { page, seen } = await station("kiosk", "/");
  await is("the kiosk page opens in zh-CN: its title 介质借出终端 in the h1", "介质借出终端",
    txt(page, "h1"));
  await is("with the sign-in form and no work section", "#login:shown #work:hidden",
    shown(page, "#login", "#work"));
  report(seen.length === 0, "and no console error, failed request or HTTP error while it loads",
    seen.join("; "));

  let k = count("kiosk.login.refused");
  await signIn(page, "1357");
  await is("a PIN with no badge at the reader: the page says to present the badge first",
    "请先在本终端的读卡器上出示门禁卡", txt(page, "#login-msg"));
  await is("  ledgered as kiosk.login.refused WEB_NO_BADGE", `${k + 1}||WEB_NO_BADGE`,
    () => newest("kiosk.login.refused", "code"));

  report(await present("kiosk", "04B10000000001"), "S1's badge is read at the kiosk reader");
  k = count("kiosk.login.refused");
  await signIn(page, "9999", true);
  await is("a wrong PIN typed and the form submitted: the page says 密码错误", "密码错误",
    txt(page, "#login-msg"));
  await is("  the PIN field is emptied", "", () => page.locator("#pin").inputValue());
  await is("  ledgered as kiosk.login.refused PIN_WRONG naming S1", `${k + 1}|S1|PIN_WRONG`,
    () => newest("kiosk.login.refused", "code"));

  k = count("session.start");
  await signIn(page, "1357");
  await is("the right PIN: the work section with S1's id replaces the sign-in form",
    "#login:hidden #work:shown #logout:shown|S1",
    async () => `${await shown(page, "#login", "#work", "#logout")()}|${await txt(page, "#who")()}`);
  await is("  ledgered as session.start of S1 at the kiosk", `${k + 1}|S1|kiosk`,
    () => newest("session.start", "kind"));
  const options = async () => (await page.locator("#approval option").evaluateAll((os) =>
    os.map((o) => `${o.value}${o.disabled ? " (disabled)" : ""}`))).join(",");
  if (cfg.active) {
    await is("the approval list offers A1 (approved), not A-REQ (only requested)", "A1", options);
    await contains("  with its purpose and end date in zh-CN", "A1 — field survey (有效期至 ",
      txt(page, "#approval option"));
  } else {
    await is("without an approved approval the page says 没有可用的审批 and offers none",
      "|没有可用的审批", async () => `${await options()}|${await txt(page, "#approval-note")()}`);
  }

  await ctl("shelf", "place 10 1 E20000000000000000000001");
  await ctl("shelf", "place 10 1 E2000000000000000000BEEF");
  await is("M1 and an unknown tag laid on the pad appear at a pad poll (every 2 s), in zh-CN",
    ["M1  Sheet 1  [机密]  在库", "E2000000000000000000BEEF: 该介质未登记"],
    txts(page, "#pad li"), 5000);

  k = count("checkout.confirmed");
  if (cfg.active) {
    await button(page, "确认借出").click();
    await is("确认借出 (checkout): checkout.confirmed of M1 under A1 by S1 is ledgered",
      `${k + 1}|M1|A1|S1`, () => `${count("checkout.confirmed")}|${sql("SELECT " +
        "medium||'|'||approval||'|'||actors FROM ledger WHERE kind='checkout.confirmed' " +
        "ORDER BY seq DESC LIMIT 1")}`);
    const due = sql("SELECT json_extract(payload,'$.due') FROM ledger " +
      "WHERE kind='checkout.confirmed' AND medium='M1'");
    await is("  the result says M1 已借出 with its due date, and 已借出: 1 / 1",
      `M1: 已借出 — 应还日期 ${due}|已借出: 1 / 1`,
      async () => `${await txt(page, "#results li")()}|${await txt(page, "#work-msg")()}`);
    await is("  and the pad list now shows M1 已借出", "M1  Sheet 1  [机密]  已借出",
      txt(page, "#pad li >> nth=0"));
  } else {
    await is("without an approval the checkout button is disabled: nothing to confirm",
      `true|${k}`, async () => `${await button(page, "确认借出").isDisabled()}|${count("checkout.confirmed")}`);
  }

  // The language button: every data-t text in English, new messages too.
  await button(page, "English").click();
  await is("the language button turns the h1 into \"Media checkout kiosk\"",
    "Media checkout kiosk|en", async () => `${await txt(page, "h1")()}|${await page.locator("html").getAttribute("lang")}`);
  await is("every data-t text is its English message; the button now offers 中文", [[], "中文"],
    () => page.evaluate(() => [
      [...document.querySelectorAll("[data-t]")]
        .filter((e) => e.textContent !== MESSAGES.en[e.dataset.t] || (e.id !== "lang" && /[\u3400-\u9fff]/.test(e.textContent)))
        .map((e) => e.dataset.t),
      document.getElementById("lang").textContent,
    ]));
  await is("the pad list comes back from its next poll in English",
    [`M1  Sheet 1  [secret]  ${cfg.active ? "checked out" : "in the vault"}`,
      "E2000000000000000000BEEF: the medium is not registered"], txts(page, "#pad li"), 5000);
  if (cfg.active) {
    k = count("checkout.refused");
    await button(page, "Confirm checkout").click();
    await is("checking out M1 again (already out): the refusal comes in English, naming M1",
      "Checked out: 0 / 1|M1: the medium is not in the vault", async () =>
        `${await txt(page, "#work-msg")()}|${(await txts(page, "#results li")()).join(",")}`);
    await is("  ledgered as checkout.refused MEDIUM_NOT_IN_VAULT of M1 by S1",
      `${k + 1}|S1|MEDIUM_NOT_IN_VAULT`, () => newest("checkout.refused", "code"));
  }

  await ctl("shelf", "place 10 1 E20000000000000000000002");
  await contains("a medium whose title is HTML is listed with the title as literal text",
    `M2  ${cfg.xss}  [confidential]  in the vault`, async () => (await txts(page, "#pad li")()).join("\n"));
  await is("  no img element was created and its onerror never ran", [0, "undefined"],
    () => page.evaluate(() => [document.querySelectorAll("img").length, typeof window.__xss]));

  k = count("session.end");
  await button(page, "Sign out").click();
  await is("Sign out returns to the sign-in form, no one named", "#login:shown #work:hidden #logout:hidden|",
    async () => `${await shown(page, "#login", "#work", "#logout")()}|${await txt(page, "#who")()}`);
  await is("  ledgered as session.end of S1 (logout)", `${k + 1}|S1|logout`,
    () => newest("session.end", "why"));
  await is("  and the shared kiosk is back in its own language for the next person",
    "介质借出终端|zh-CN", async () => `${await txt(page, "h1")()}|${await page.locator("html").getAttribute("lang")}`);
  await button(page, "English").click();
  await load(page, () => page.reload());
  await is("a reload shows the sign-in form again (the session is gone), in the kiosk's language",
    "#login:shown #work:hidden|介质借出终端",
    async () => `${await shown(page, "#login", "#work")()}|${await txt(page, "h1")()}`);
  await signIn(page, "0000");
  await is("a wrong PIN gets its message in it", "密码错误", txt(page, "#login-msg"));

  k = count("alarm.duress");
  await signIn(page, "91357");
  await is("S1's duress PIN signs in as usual", "#work:shown|S1",
    async () => `${await shown(page, "#work")()}|${await txt(page, "#who")()}`);
  await is("  the page shows no trace of it", false,
    async () => /duress|胁迫/i.test(await page.locator("body").innerText()));
  await is("  a silent alarm.duress names S1 at the kiosk", `${k + 1}|S1|1|kiosk`,
    () => newest("alarm.duress", "silent", "reader"));
  return seen;
}

// ---- the console -------------------------------------------------------------

async function console_() {
  const { page, seen } = await station("console", "/console.html");
  await is("the console opens in zh-CN: its title 库房管理控制台 in the h1, the sign-in form shown",
    "库房管理控制台|#login:shown #alerts-box:hidden #ledger-box:hidden",
    async () => `${await txt(page, "h1")()}|${await shown(page, "#login", "#alerts-box", "#ledger-box")()}`);
  report(seen.length === 0, "and no console error, failed request or HTTP error while it loads",
    seen.join("; "));

  report(await present("console", "04B10000000001"), "S1's badge is read at the console reader");
  let k = count("console.login.refused");
  await signIn(page, "1357");
  await is("a staff member is refused at the console with the role's reason shown",
    "该人员的角色不允许此操作|#login:shown #ledger-box:hidden",
    async () => `${await txt(page, "#login-msg")()}|${await shown(page, "#login", "#ledger-box")()}`);
  await is("  ledgered as console.login.refused ROLE_NOT_ALLOWED naming S1",
    `${k + 1}|S1|ROLE_NOT_ALLOWED`, () => newest("console.login.refused", "code"));

  report(await present("console", "04B10000000003"), "V1's badge is read at the console reader");
  await signIn(page, "3579");
  await is("the supervisor's PIN opens the alerts and the ledger, naming V1",
    "#login:hidden #alerts-box:shown #ledger-box:shown|V1 (supervisor)",
    async () => `${await shown(page, "#login", "#alerts-box", "#ledger-box")()}|${await txt(page, "#who")()}`);
  const rows = () => page.locator("#ledger tr").evaluateAll((trs) =>
    trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  const kioskKind = cfg.active ? "checkout.confirmed" : "session.start";
  const seq = sql(`SELECT max(seq) FROM ledger WHERE kind='${kioskKind}' AND actors='S1'`);
  await is(`the ledger table shows the kiosk's ${kioskKind} row: seq, kind, actor S1`,
    `${seq}|${kioskKind}|S1`, async () => {
      const r = (await rows()).find((c) => c[0] === seq) || [];
      return `${r[0]}|${r[2]}|${r[3]}`;
    });
  await is("  its newest row is the ledger's tip", true,
    async () => (await rows()).at(-1)?.[0] === sql("SELECT max(seq) FROM ledger"));
  await contains("above it, how far the ledger has left the box: the verifier holds it up to seq 2",
    "  ·  已送达消息服务器至 0  ·  中心校验方已确认至 2 (", txt(page, "#offbox"));
  await is("  and how many entries it does not hold yet: the page's tip (the ledger's) less 2", true,
    async () => {
      const m = (await txt(page, "#offbox")()).match(/^最新序号 (\d+) .* (\d+) 条待确认$/);
      return !!m && +m[2] === +m[1] - 2 && +m[1] <= +sql("SELECT max(seq) FROM ledger");
    });

  const duress = sql("SELECT max(seq) FROM ledger WHERE kind='alarm.duress'");
  const alarm = page.locator("#alerts li", { hasText: "DURESS" });
  await contains("the alerts list shows the kiosk's duress alarm", "alarm  DURESS",
    () => alarm.textContent());
  await contains("  naming the person under duress", "entered at the kiosk    S1",
    () => alarm.textContent());
  k = count("alert.acked");
  await alarm.getByRole("button", { name: "确认" }).click();
  await is("its ack button: alert.acked by V1 naming the alarm", `${k + 1}|V1|${duress}`,
    () => newest("alert.acked", "entry"));
  await is("  and the alarm leaves the list on the page", 0, () => alarm.count());

  const c0 = sql("SELECT max(seq) FROM checkpoint");
  await button(page, "生成检查点").click();
  const [made, ck] = await poll(() => sql("SELECT max(seq) FROM checkpoint"), (c) => c !== c0);
  report(made, "the checkpoint button stores a new checkpoint", `still ${ck}`);
  await is("  and the page says 检查点已生成 with its seq", `检查点已生成: ${ck}`,
    txt(page, "#console-msg"));
  return seen;
}

// ---- run ---------------------------------------------------------------------

const seen = [];
try {
  seen.push(...(await kiosk()));
  seen.push(...(await console_()));
  // HTTP 4xx replies are the refusals above (Chromium reports each one as a
  // console error too); anything else is the pages' own fault.
  const own = seen.filter((s) => !/^HTTP 4\d\d |Failed to load resource: the server responded with a status of 4\d\d/.test(s));
  report(own.length === 0, "no script error or failed request on either page during the whole run",
    own.join("; "));
} catch (e) {
  report(false, "the browser scenario ran to its end", e.message.split("\n")[0]);
} finally {
  for (const c of contexts) await c.close().catch(() => {});
  writeFileSync(cfg.state, `${n} ${failed}\n`);
}
