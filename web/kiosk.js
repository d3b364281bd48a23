// SPDX-License-Identifier: MIT
// Kiosk: badge (read by vaultd at the kiosk reader) + PIN, choose an approval,
// list the media on the pad, confirm the checkout. API contract:
//   POST /api/login {kind:"kiosk", lang, credentials:{pin}}
//   GET  /api/approvals -> {approvals:[{id, purpose, valid_to}]}
//   GET  /api/pad       -> {media:[{id, title, classification}]}
//   POST /api/action/checkout {approval, media:[id...]} -> {results:[{medium, ok, code, error, due}]}
"use strict";

let padTimer = null;

async function enter(s) {
  Vault.show("login", false);
  Vault.show("work", true);
  Vault.show("logout", true);
  document.getElementById("who").textContent = s.person;
  Vault.msg("work-msg", "");
  const a = await Vault.api("GET", "/api/approvals");
  const sel = document.getElementById("approval");
  sel.replaceChildren();
  if (!a.ok) return Vault.msg("work-msg", Vault.errorText(a));
  for (const ap of a.approvals || []) {
    const o = Vault.el("option", `${ap.id} — ${ap.purpose || ""} ${ap.valid_to ? "(" + ap.valid_to + ")" : ""}`);
    o.value = ap.id;
    sel.append(o);
  }
  await loadPad();
  padTimer = setInterval(() => loadPad(true), 2000);
}

function leave(message) {
  clearInterval(padTimer);
  Vault.show("work", false);
  Vault.show("logout", false);
  Vault.show("login", true);
  document.getElementById("who").textContent = "";
  document.getElementById("pin").value = "";
  Vault.msg("login-msg", message || "");
}

let padIds = [];
async function loadPad(background) {
  const p = await Vault.api("GET", "/api/pad", null, background === true);
  if (!p.ok) {
    if (p.code === "HTTP_SESSION_EXPIRED" || p.code === "HTTP_NO_SESSION") return leave(Vault.errorText(p));
    return Vault.msg("work-msg", Vault.errorText(p));
  }
  const ul = document.getElementById("pad");
  ul.replaceChildren();
  padIds = (p.media || []).map((m) => m.id);
  if (!padIds.length) ul.append(Vault.el("li", Vault.t("pad_empty")));
  for (const m of p.media || []) ul.append(Vault.el("li", `${m.id}  ${m.title || ""}  [${m.classification || ""}]`));
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
    const r = await Vault.api("POST", "/api/action/checkout", { approval, media: padIds });
    if (!r.ok) return Vault.msg("work-msg", Vault.errorText(r));
    const ul = document.getElementById("pad");
    ul.replaceChildren();
    for (const x of r.results || []) {
      const li = Vault.el("li", x.ok ? `${x.medium}: ${Vault.t("checked_out")} — ${Vault.t("due")} ${x.due || ""}`
                                     : `${x.medium}: ${Vault.errorText(x)}`);
      if (!x.ok) li.className = "refused";
      ul.append(li);
    }
    Vault.msg("work-msg", Vault.t("checked_out"), true);
  });
  const s = await Vault.session();
  if (s.ok && s.authenticated && s.kind === "kiosk") enter(s);
});
