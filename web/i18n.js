// SPDX-License-Identifier: MIT
// Shared by the kiosk and the console: the message table (keyed by the stable
// reason codes of include/vault/reason.h and by UI keys), language choice, and
// the only way these pages talk to vaultd: fetch() on /api/*.
"use strict";

const MESSAGES = {
  "zh-CN": {
    title_kiosk: "介质借出终端", title_console: "库房管理控制台",
    present_badge: "请在读卡器上出示门禁卡", enter_pin: "输入 PIN", sign_in: "登录",
    sign_out: "退出", choose_approval: "选择审批", media_on_pad: "感应台上的介质",
    pad_empty: "感应台上没有介质", refresh: "刷新", confirm_checkout: "确认借出",
    checked_out: "已借出", due: "应还日期", user: "用户名", password: "密码",
    otp: "动态口令", ledger: "台账", alerts: "告警", ack: "确认", no_alerts: "无告警",
    seq: "序号", time: "时间", kind: "类型", actor: "人员", detail: "详情",
    signed_in_as: "当前用户", network_error: "无法连接服务器", lang_switch: "English",
    none: "无", since: "起始序号", load: "加载",
    then_pin: "然后在下方输入 PIN", present_badge_console: "请在控制台读卡器上出示门禁卡",
    confirm_return: "归还感应台上的介质", returned: "已归还", valid_to: "有效期至",
    awaiting_onsite: "待现场核验", no_approvals: "没有可用的审批", pad_offline: "感应台读写器无应答", pad_stale: "读写器停止应答前的读数，不作数",
    checkpoint: "生成检查点", checkpoint_done: "检查点已生成",
    tip: "最新序号", offbox_none: "台账未外传（未启用MQTT）", offbox_published: "已送达消息服务器至",
    offbox_no_verifier: "未配置中心校验方", offbox_unverified: "中心校验方尚未确认",
    offbox_verified: "中心校验方已确认至", offbox_pending: "条待确认",
    "top-secret": "绝密", secret: "机密", confidential: "秘密",
    "in-vault": "在库", "checked-out": "已借出", "pending-return": "待归位", destroyed: "已销毁",
    "handed-over": "已移交", missing: "缺失", "at-destruction": "销毁中",
    HTTP_NOT_FOUND: "页面或接口不存在", HTTP_METHOD: "此处不允许该请求方法",
    HTTP_TOO_LARGE: "请求正文过大", HTTP_LENGTH_REQUIRED: "请求须注明长度",
    HTTP_BAD_PATH: "请求路径格式错误", HTTP_BAD_JSON: "请求正文格式错误",
    HTTP_BAD_FIELD: "请求含有未知字段或缺少字段", HTTP_CONTENT_TYPE: "请求正文类型错误",
    HTTP_CSRF: "防伪令牌错误，请刷新页面", HTTP_ORIGIN: "请求来自其他站点",
    HTTP_NO_SESSION: "尚未登录", HTTP_SESSION_EXPIRED: "会话已过期，请重新登录",
    HTTP_SESSION_KIND: "本终端不提供此功能", HTTP_BUSY: "服务器繁忙，请稍后再试",
    HTTP_INTERNAL: "内部错误，请求未执行",
    HTTP_HOST: "请求所指主机名不符",
    MEDIUM_UNKNOWN: "该介质未登记",
  },
  en: {
    title_kiosk: "Media checkout kiosk", title_console: "Vault console",
    present_badge: "Present your badge at the reader", enter_pin: "Enter PIN", sign_in: "Sign in",
    sign_out: "Sign out", choose_approval: "Choose an approval", media_on_pad: "Media on the pad",
    pad_empty: "No media on the pad", refresh: "Refresh", confirm_checkout: "Confirm checkout",
    checked_out: "Checked out", due: "Due", user: "User", password: "Password",
    otp: "One-time code", ledger: "Ledger", alerts: "Alerts", ack: "Acknowledge",
    no_alerts: "No alerts", seq: "Seq", time: "Time", kind: "Kind", actor: "Person",
    detail: "Detail", signed_in_as: "Signed in as", network_error: "Cannot reach the server",
    lang_switch: "中文", none: "none", since: "From seq", load: "Load",
    then_pin: "then enter your PIN below", present_badge_console: "Present your badge at the console reader",
    confirm_return: "Return the media on the pad", returned: "Returned", valid_to: "valid to",
    awaiting_onsite: "awaiting on-site verification", no_approvals: "No usable approval",
    pad_offline: "The pad reader is not answering",
    pad_stale: "read before the reader stopped answering; does not count", checkpoint: "Checkpoint now",
    checkpoint_done: "Checkpoint written",
    tip: "Tip", offbox_none: "the ledger does not leave the box (MQTT off)",
    offbox_published: "on the broker up to", offbox_no_verifier: "no central verifier configured",
    offbox_unverified: "not yet acknowledged by the central verifier",
    offbox_verified: "held off the box by the central verifier up to", offbox_pending: "entries not yet held off the box",
    "top-secret": "top secret", secret: "secret", confidential: "confidential",
    "in-vault": "in the vault", "checked-out": "checked out", "pending-return": "pending return",
    destroyed: "destroyed", "handed-over": "handed over", missing: "missing",
    "at-destruction": "at destruction",
    HTTP_NOT_FOUND: "No such page or API route", HTTP_METHOD: "Method not allowed here",
    HTTP_TOO_LARGE: "The request is too large", HTTP_LENGTH_REQUIRED: "Length required",
    HTTP_BAD_PATH: "Malformed request path", HTTP_BAD_JSON: "Malformed request body",
    HTTP_BAD_FIELD: "Unknown or missing field", HTTP_CONTENT_TYPE: "Wrong content type",
    HTTP_CSRF: "Anti-forgery token wrong; reload the page", HTTP_ORIGIN: "Request from another site",
    HTTP_NO_SESSION: "Not signed in", HTTP_SESSION_EXPIRED: "Session expired; sign in again",
    HTTP_SESSION_KIND: "Not available at this station", HTTP_BUSY: "Busy; try again shortly",
    HTTP_INTERNAL: "Internal error; nothing was done",
    HTTP_HOST: "Wrong host name",
    MEDIUM_UNKNOWN: "the medium is not registered",
  },
};

// The station's own language: the browser's (set up with the station).
const HOME_LANG = (navigator.language || "zh-CN").startsWith("zh") ? "zh-CN" : "en";
// A shared station (the kiosk) does not remember one person's language switch
// for the next: it goes back to HOME_LANG at sign-out. The console does.
const SHARED = document.body.classList.contains("kiosk");

const Vault = {
  lang: (!SHARED && localStorage.getItem("vault_lang")) || HOME_LANG,
  home: HOME_LANG,
  csrf: "",
  t(key) {
    const m = MESSAGES[this.lang] || MESSAGES.en;
    return m[key] || MESSAGES.en[key] || key;
  },
  // An error reply: our table by code first, then the server's own text (it
  // carries every policy code, in the language the session was opened in and
  // in English: after a switch to English, the English one), then the code.
  errorText(reply) {
    if (!reply) return this.t("network_error");
    const m = MESSAGES[this.lang] || {};
    const server = this.lang === "en" ? reply.error_en || reply.error : reply.error;
    return m[reply.code] || server || reply.error_en || reply.code || "?";
  },
  setLang(l) {
    this.lang = l;
    if (!SHARED) localStorage.setItem("vault_lang", l);
    document.documentElement.lang = l;
    this.translate();
  },
  translate() {
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = this.t(el.dataset.t);
    for (const el of document.querySelectorAll("[data-tp]")) el.placeholder = this.t(el.dataset.tp);
  },
  // background: a poll, not the user's doing; it does not keep the session alive.
  async api(method, path, body, background) {
    const opt = { method, credentials: "same-origin", headers: { "Accept-Language": this.lang } };
    if (background) opt.headers["X-Vault-Background"] = "1";
    if (method === "POST") {
      opt.headers["Content-Type"] = "application/json";
      if (this.csrf) opt.headers["X-CSRF-Token"] = this.csrf;
      opt.body = JSON.stringify(body || {});
    }
    let res;
    try {
      res = await fetch(path, opt);
    } catch (e) {
      return { ok: false, code: "NETWORK", error: this.t("network_error") };
    }
    let j;
    try { j = await res.json(); } catch (e) { j = { ok: false, code: "HTTP_INTERNAL" }; }
    if (j.csrf) this.csrf = j.csrf;
    return j;
  },
  async session() {
    const s = await this.api("GET", "/api/session");
    if (s.ok && s.authenticated) this.csrf = s.csrf;
    return s;
  },
  async logout() {
    await this.api("POST", "/api/logout", {});
    this.csrf = "";
  },
  el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  },
  show(id, on) { document.getElementById(id).hidden = !on; },
  msg(id, text, good) {
    const e = document.getElementById(id);
    e.textContent = text || "";
    e.className = good ? "msg good" : "msg";
  },
};

document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.lang = Vault.lang;
  Vault.translate();
  const sw = document.getElementById("lang");
  if (sw) sw.addEventListener("click", () => Vault.setLang(Vault.lang === "en" ? "zh-CN" : "en"));
});
