// SPDX-License-Identifier: MIT
// Supervisor console: password + second factor, ledger view, alerts. API contract:
//   POST /api/login {kind:"console", lang, credentials:{user, password, otp}}
//   GET  /api/ledger?since=N&limit=N -> {entries:[{seq, time, kind, actor, detail}]}
//   GET  /api/alerts -> {alerts:[{id, time, kind, detail}]}
//   POST /api/action/ack_alert {id}
"use strict";

let timer = null;

async function enter(s) {
  for (const id of ["login"]) Vault.show(id, false);
  for (const id of ["alerts-box", "ledger-box", "logout"]) Vault.show(id, true);
  document.getElementById("who").textContent = `${s.person} (${s.role})`;
  await refresh();
  timer = setInterval(() => refresh(true), 5000);
}

function leave(message) {
  clearInterval(timer);
  for (const id of ["alerts-box", "ledger-box", "logout"]) Vault.show(id, false);
  Vault.show("login", true);
  document.getElementById("who").textContent = "";
  Vault.msg("login-msg", message || "");
}

function expired(r) {
  return r.code === "HTTP_SESSION_EXPIRED" || r.code === "HTTP_NO_SESSION";
}

async function loadAlerts(background) {
  const a = await Vault.api("GET", "/api/alerts", null, background === true);
  if (!a.ok) return expired(a) ? leave(Vault.errorText(a)) : Vault.msg("console-msg", Vault.errorText(a));
  const ul = document.getElementById("alerts");
  ul.replaceChildren();
  if (!(a.alerts || []).length) ul.append(Vault.el("li", Vault.t("no_alerts")));
  for (const al of a.alerts || []) {
    const li = Vault.el("li", `${al.time || ""}  ${al.kind || ""}  ${al.detail || ""} `);
    const b = Vault.el("button", Vault.t("ack"), "secondary");
    b.addEventListener("click", async () => {
      const r = await Vault.api("POST", "/api/action/ack_alert", { id: al.id });
      if (!r.ok) Vault.msg("console-msg", Vault.errorText(r));
      loadAlerts();
    });
    li.append(b);
    ul.append(li);
  }
}

async function loadLedger(background) {
  const since = document.getElementById("since").value;
  const q = since ? `?since=${encodeURIComponent(since)}&limit=100` : "?limit=100";
  const l = await Vault.api("GET", "/api/ledger" + q, null, background === true);
  if (!l.ok) return expired(l) ? leave(Vault.errorText(l)) : Vault.msg("console-msg", Vault.errorText(l));
  const tb = document.getElementById("ledger");
  tb.replaceChildren();
  for (const e of l.entries || []) {
    const tr = Vault.el("tr");
    for (const v of [e.seq, e.time, e.kind, e.actor, e.detail]) tr.append(Vault.el("td", v === undefined ? "" : String(v)));
    tb.append(tr);
  }
}

async function refresh(background) {
  await loadAlerts(background);
  await loadLedger(background);
}

document.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("loginform").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = (id) => document.getElementById(id);
    const r = await Vault.api("POST", "/api/login", {
      kind: "console", lang: Vault.lang,
      credentials: { user: f("user").value, password: f("password").value, otp: f("otp").value },
    });
    f("password").value = "";
    f("otp").value = "";
    if (!r.ok) return Vault.msg("login-msg", Vault.errorText(r));
    enter(r);
  });
  document.getElementById("logout").addEventListener("click", async () => { await Vault.logout(); leave(); });
  document.getElementById("load").addEventListener("click", () => loadLedger(false));
  const s = await Vault.session();
  if (s.ok && s.authenticated && s.kind === "console") enter(s);
});
