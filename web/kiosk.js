// SPDX-License-Identifier: MIT
// Kiosk: badge at the kiosk reader (vaultd reads it), then the PIN here; then
// choose an approval, lay the media on the pad, check them out or return them.
// API (docs/http.md):
//   POST /api/login {kind:"kiosk", lang, credentials:{pin}}
//   GET  /api/approvals -> {approvals:[{id, purpose, valid_from, valid_to, project, state}]}
//   GET  /api/pad       -> {pad_state, answering, media:[{id, tag, title, classification, status}],
//                           unknown:[{tag, code}], stale:[...]} (stale: last read by a pad not answering)
//   POST /api/action/checkout {approval, media:[id...]} -> {results:[{medium, ok, code, error, due}]}
//     (every medium refused: ok false, the first refusal's code, and the results)
//   POST /api/action/return   {media:[id...]}           -> {results:[...]}
"use strict";

let padTimer = null;
let padIds = [];

async function enter(s) {
  Vault.show("login", false);
  Vault.show("work", true);
  Vault.show("logout", true);
  document.getElementById("who").textContent = s.person;
  Vault.msg("work-msg", "");
  document.getElementById("results").replaceChildren();
  await loadApprovals();
  await loadPad();
  padTimer = setInterval(() => loadPad(true), 2000);
}

function leave(message) {
  clearInterval(padTimer);
  padTimer = null;
  Vault.show("work", false);
  Vault.show("logout", false);
  Vault.show("login", true);
  document.getElementById("who").textContent = "";
  document.getElementById("pin").value = "";
  if (Vault.lang !== Vault.home) Vault.setLang(Vault.home); // the next person's
  Vault.msg("login-msg", message || "");
}

// A refused reply: back to the sign-in if the session is gone, else say why.
function failed(r) {
  if (r.code === "HTTP_SESSION_EXPIRED" || r.code === "HTTP_NO_SESSION") leave(Vault.errorText(r));
  else Vault.msg("work-msg", Vault.errorText(r));
}

async function loadApprovals() {
  const a = await Vault.api("GET", "/api/approvals");
  const sel = document.getElementById("approval");
  sel.replaceChildren();
  if (!a.ok) return failed(a);
  const list = a.approvals || [];
  for (const ap of list) {
    let text = `${ap.id} — ${ap.purpose || ""} (${Vault.t("valid_to")} ${ap.valid_to || ""})`;
    if (ap.state !== "active") text += ` — ${Vault.t("awaiting_onsite")}`;
    const o = Vault.el("option", text);
    o.value = ap.id;
    o.disabled = ap.state !== "active";
    sel.append(o);
  }
  const usable = list.filter((ap) => ap.state === "active");
  if (usable.length) sel.value = usable[0].id;
  document.getElementById("approval-note").textContent = usable.length ? "" : Vault.t("no_approvals");
  document.getElementById("checkout").disabled = !usable.length;
}

async function loadPad(background) {
  const p = await Vault.api("GET", "/api/pad", null, background === true);
  if (!p.ok) return failed(p);
  const ul = document.getElementById("pad");
  ul.replaceChildren();
  padIds = (p.media || []).map((m) => m.id);
  if (p.answering === false || (p.pad_state && p.pad_state !== "ok" && p.pad_state !== "unknown"))
    ul.append(Vault.el("li", Vault.t("pad_offline"), "refused"));
  // What a silent pad last read counts for nothing: shown apart, never offered.
  for (const s of p.stale || [])
    ul.append(Vault.el("li", `${s.id || s.tag}  ${s.title || ""}  (${Vault.t("pad_stale")})`, "stale"));
  if (!padIds.length && !(p.unknown || []).length && !(p.stale || []).length)
    ul.append(Vault.el("li", Vault.t("pad_empty")));
  for (const m of p.media || [])
    ul.append(Vault.el("li", `${m.id}  ${m.title || ""}  [${Vault.t(m.classification || "")}]  ${Vault.t(m.status || "")}`));
  for (const u of p.unknown || [])
    ul.append(Vault.el("li", `${u.tag}: ${Vault.errorText(u)}`, "refused"));
}

// Per-medium results of a checkout or return, each with its reason text.
function showResults(r, doneKey) {
  const ul = document.getElementById("results");
  ul.replaceChildren();
  if (!r.ok && !(r.results || []).length) return failed(r);
  let good = 0;
  for (const x of r.results || []) {
    let text;
    if (x.ok) {
      good++;
      text = `${x.medium}: ${Vault.t(doneKey)}` + (x.due ? ` — ${Vault.t("due")} ${x.due}` : "");
    } else {
      text = `${x.medium}: ${Vault.errorText(x)}`;
    }
    ul.append(Vault.el("li", text, x.ok ? "" : "refused"));
  }
  Vault.msg("work-msg", `${Vault.t(doneKey)}: ${good} / ${(r.results || []).length}`, good > 0);
  loadPad(false);
}

document.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("pinform").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const pin = document.getElementById("pin");
    const r = await Vault.api("POST", "/api/login", { kind: "kiosk", lang: Vault.lang, credentials: { pin: pin.value } });
    pin.value = "";
    if (!r.ok) return Vault.msg("login-msg", Vault.errorText(r));
    enter(r);
  });
  document.getElementById("logout").addEventListener("click", async () => { await Vault.logout(); leave(); });
  document.getElementById("refresh").addEventListener("click", () => loadPad(false));
  document.getElementById("checkout").addEventListener("click", async () => {
    const approval = document.getElementById("approval").value;
    if (!padIds.length) return Vault.msg("work-msg", Vault.t("pad_empty"));
    showResults(await Vault.api("POST", "/api/action/checkout", { approval, media: padIds }), "checked_out");
  });
  document.getElementById("return").addEventListener("click", async () => {
    if (!padIds.length) return Vault.msg("work-msg", Vault.t("pad_empty"));
    showResults(await Vault.api("POST", "/api/action/return", { media: padIds }), "returned");
  });
  const s = await Vault.session();
  if (s.ok && s.authenticated && s.kind === "kiosk") enter(s);
});
