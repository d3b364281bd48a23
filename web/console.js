// SPDX-License-Identifier: MIT
// Supervisor console: badge at the console reader + PIN (supervisors and
// admins), ledger view, alerts. API (docs/http.md):
//   POST /api/login {kind:"console", lang, credentials:{pin}}
//   GET  /api/ledger?since=N&limit=N&kind=P -> {tip, entries:[{seq, time, kind, actors, medium, approval, payload}],
//        offbox:{mqtt, verifier, published, verified, verified_at}}
//   GET  /api/alerts -> {alerts:[{id, time, kind, severity, code, subject, actors, text}]}
//   POST /api/action/ack_alert {id}
//   POST /api/action/checkpoint {} -> {checkpoint}
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
    const li = Vault.el("li", `${al.time || ""}  ${al.severity || ""}  ${al.code || ""}  ${al.text || ""}  ${al.subject || ""}  ${al.actors || ""} `);
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
  showOffbox(l.tip, l.offbox);
  const tb = document.getElementById("ledger");
  tb.replaceChildren();
  for (const e of l.entries || []) {
    const tr = Vault.el("tr");
    for (const v of [e.seq, e.time, e.kind, e.actors, summary(e)]) tr.append(Vault.el("td", v === undefined ? "" : String(v)));
    tb.append(tr);
  }
}

// How far the ledger has left the box: a supervisor sees at a glance whether
// the central verifier holds it (docs/verifier.md).
function showOffbox(tip, o) {
  const p = document.getElementById("offbox");
  if (!o) return p.replaceChildren();
  let text = `${Vault.t("tip")} ${tip ?? ""}  ·  `;
  if (!o.mqtt) text += Vault.t("offbox_none");
  else {
    text += `${Vault.t("offbox_published")} ${o.published}  ·  `;
    if (!o.verifier) text += Vault.t("offbox_no_verifier");
    else if (!o.verified) text += Vault.t("offbox_unverified");
    else text += `${Vault.t("offbox_verified")} ${o.verified} (${o.verified_at})` +
      (tip > o.verified ? `  ·  ${tip - o.verified} ${Vault.t("offbox_pending")}` : "");
  }
  p.textContent = text;
  p.dataset.verified = o.verified ?? "";
}

// One line for an entry's payload: a refusal's code and detail, else the JSON.
function summary(e) {
  const p = e.payload || {};
  const parts = [e.medium, e.approval, p.code, p.detail || p.text, p.why].filter((x) => x);
  if (parts.length) return parts.join("  ");
  const j = JSON.stringify(p);
  return j.length > 160 ? j.slice(0, 157) + "..." : j;
}

async function refresh(background) {
  await loadAlerts(background);
  await loadLedger(background);
}

document.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("loginform").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const pin = document.getElementById("pin");
    const r = await Vault.api("POST", "/api/login", { kind: "console", lang: Vault.lang, credentials: { pin: pin.value } });
    pin.value = "";
    if (!r.ok) return Vault.msg("login-msg", Vault.errorText(r));
    enter(r);
  });
  document.getElementById("logout").addEventListener("click", async () => { await Vault.logout(); leave(); });
  document.getElementById("load").addEventListener("click", () => loadLedger(false));
  document.getElementById("checkpoint").addEventListener("click", async () => {
    const r = await Vault.api("POST", "/api/action/checkpoint", {});
    if (!r.ok) return Vault.msg("console-msg", Vault.errorText(r));
    Vault.msg("console-msg", `${Vault.t("checkpoint_done")}: ${r.checkpoint}`, true);
    loadLedger(false);
  });
  const s = await Vault.session();
  if (s.ok && s.authenticated && s.kind === "console") enter(s);
});
