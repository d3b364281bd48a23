/* SPDX-License-Identifier: MIT */
/*
 * Named refusal and alarm reasons: one catalog shared by the CLI, the console,
 * the ledger and the logs. Each reason has a stable id (never renumbered or
 * renamed: ledger entries store the id string) and text in English and zh-CN.
 *
 * Add new reasons at the end of their group; ids are UPPER_SNAKE.
 */
#ifndef VAULT_REASON_H
#define VAULT_REASON_H

#define VAULT_REASONS(X)                                                                    \
	X(OK, "allowed", "允许")                                                             \
	/* admin socket / CLI */                                                              \
	X(ADMIN_UNKNOWN_USER, "the Unix user is not mapped to any person",                     \
	  "该系统用户未对应任何人员")                                                        \
	X(ADMIN_ROLE_DENIED, "the person's role may not perform this action",                  \
	  "该人员的角色无权执行此操作")                                                      \
	X(ADMIN_PERSON_INACTIVE, "the person is not active", "该人员未处于在职状态")          \
	X(BAD_REQUEST, "the request is malformed", "请求格式错误")                            \
	X(UNKNOWN_ACTION, "unknown action", "未知操作")                                       \
	X(NOT_FOUND, "no such record", "记录不存在")                                          \
	X(ALREADY_EXISTS, "the record already exists", "记录已存在")                          \
	X(INVALID_VALUE, "a value is invalid", "数值无效")                                    \
	X(DB_ERROR, "the database refused the change", "数据库拒绝了该变更")                  \
	X(SELF_ENROL, "nobody may enrol their own badge", "不得为本人登记门禁卡")             \
	X(SELF_APPROVE, "nobody may approve their own request", "不得审批本人的申请")         \
	X(SELF_WITNESS, "nobody may witness their own destruction order",                      \
	  "不得为本人的销毁单作见证")                                                        \
	/* badges and badge readers */                                                        \
	X(BADGE_NOT_DESFIRE, "the card is not a DESFire badge", "该卡不是DESFire门禁卡")      \
	X(BADGE_NO_APP, "the card carries no vault application", "该卡没有门禁应用")          \
	X(BADGE_AUTH_FAILED, "the card failed cryptographic authentication",                   \
	  "该卡未通过密码认证")                                                              \
	X(BADGE_IO_ERROR, "the card could not be read", "无法读取该卡")                       \
	X(BADGE_UNAUTHENTICATED, "legacy UID-only read: the card was not authenticated",       \
	  "旧式仅UID读取：该卡未经认证")                                                     \
	X(BADGE_NOT_BLANK, "the card is not blank (enrolment refused)",                        \
	  "该卡不是空白卡（拒绝登记）")                                                      \
	X(READER_OFFLINE, "the badge reader is offline", "读卡器离线")                        \
	X(READER_ONLINE, "the badge reader is online", "读卡器在线")

enum vault_reason {
#define VAULT_REASON_ENUM(id, en, zh) VAULT_R_##id,
	VAULT_REASONS(VAULT_REASON_ENUM)
#undef VAULT_REASON_ENUM
	VAULT_R__COUNT
};

/* Stable id, e.g. "CERT_EXPIRED". Unknown values give "UNKNOWN". */
const char *vault_reason_id(enum vault_reason r);
/* Text in `lang` ("en" or "zh-CN"; anything else gives English). */
const char *vault_reason_text(enum vault_reason r, const char *lang);
/* Reverse lookup of an id; returns 0 and sets *ret, or -ENOENT. */
int vault_reason_from_id(const char *id, enum vault_reason *ret);
#endif
