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
	  "不得为本人的销毁单作见证") \
	X(SELF_RECORD, "nobody may record their own certificate or training",                   \
	  "不得为本人登记保密资格证书或培训记录") \
	X(NOT_EDITABLE, "an approved or closed record cannot be changed; revoke or cancel it and request anew", \
	  "已批准或已关闭的记录不可修改，请撤销或取消后重新申请") \
	X(CLASSIFICATION_LOWERED, "a medium's classification can never be lowered",            \
	  "介质的密级不得降低") \
	X(NAVMAP_CATEGORY_KEPT, "navigation map data cannot be recategorised",                  \
	  "导航电子地图数据不得更改类别") \
	X(CERT_TOO_LONG, "a certificate cannot be valid longer than the directive allows", \
	  "证书有效期不得超过规定年限") \
	X(MEDIUM_PROJECT_KEPT, "a medium's project, once set, cannot be changed or cleared", \
	  "介质所属项目一经登记不得更改或清除") \
	X(MEDIUM_SCOPE_APPROVED, "a medium cannot be moved into a dataset that an open approval names", \
	  "介质不得移入未结审批所列的数据集") \
	X(RETAG_OLD_TAG_READ, "the old tag is still read: remove it before re-tagging", \
	  "旧标签仍被读取，须先移除旧标签再更换") \
	X(RETAG_NEW_TAG_UNREAD, "the new tag must be read on the medium's home shelf", \
	  "新标签须在介质所属货架上被读取") \
	X(TAG_INVALID, "a tag is a 96-bit EPC: 24 hexadecimal digits, not all zero", \
	  "标签应为96位EPC：24位十六进制数字，且不全为零") \
	X(TAG_TAKEN, "the tag belongs to another medium", \
	  "该标签已属于其他介质") \
	/* policy (controller/policy.c): person */ \
	X(PERSON_INACTIVE, "the person is not active", \
	  "该人员未处于在职状态") \
	X(PERSON_UNKNOWN, "the person is not registered", \
	  "该人员未登记") \
	X(ROLE_NOT_ALLOWED, "the person's role is not allowed to do this", \
	  "该人员的角色不允许此操作") \
	X(CERT_MISSING, "the person holds no classified-work certificate", \
	  "该人员未持有涉密岗位证书") \
	X(CERT_REVOKED, "the certificate has been revoked", \
	  "证书已被吊销") \
	X(CERT_EXPIRED, "the certificate has expired; retraining required", \
	  "证书已过期，须重新培训") \
	X(CERT_NOT_YET_VALID, "the certificate is not yet valid", \
	  "证书尚未生效") \
	X(TRAINING_MISSING, "no training record; training is required before duty", \
	  "无培训记录，上岗前须完成培训") \
	X(TRAINING_EXPIRED, "the annual training is overdue", \
	  "年度培训已逾期") \
	X(TRAINING_DATE_INVALID, "the training date is in the future or invalid", \
	  "培训日期无效或晚于今天") \
	X(UNIT_UNKNOWN, "the person's unit is not registered", \
	  "该人员所属单位未登记") \
	X(UNIT_SUSPENDED, "the unit is suspended and gets no further media", \
	  "该单位已被暂停，不再提供介质") \
	X(SCHEDULE_MISSING, "no access schedule is configured", \
	  "未配置出入时间表") \
	X(SCHEDULE_OUTSIDE, "outside the allowed access hours for this role", \
	  "不在该角色允许的出入时段内") \
	X(SCHEDULE_HOLIDAY, "the vault is closed on this holiday", \
	  "节假日库房关闭") \
	X(VISITOR_UNESCORTED, "a visitor may enter only with an escort", \
	  "来访人员须有陪同方可进入") \
	X(ESCORT_INVALID, "the escort must be an active custodian other than the visitor", \
	  "陪同人员须为在职保管员且不得为来访者本人") \
	X(VISITOR_LEFT_ALONE, "a visitor is inside the vault without an escorting custodian", \
	  "来访人员在库房内无保管员陪同") \
	/* policy: approvals and media */ \
	X(APPROVAL_MISSING, "no approval was given for this checkout", \
	  "此次借出无审批") \
	X(APPROVAL_NOT_ACTIVE, "the approval is not active", \
	  "审批未生效") \
	X(APPROVAL_NOT_YET_VALID, "the approval's validity period has not started", \
	  "审批有效期尚未开始") \
	X(APPROVAL_EXPIRED, "the approval's validity period has ended", \
	  "审批有效期已结束") \
	X(APPROVAL_OTHER_PERSON, "the approval was given for another person", \
	  "该审批针对的是其他人员") \
	X(APPROVAL_OTHER_UNIT, "the approval was given for another unit", \
	  "该审批针对的是其他单位") \
	X(APPROVAL_SCOPE, "the medium is not within the approval's scope", \
	  "该介质不在审批范围内") \
	X(APPROVAL_MAX_OUT, "the approval's limit of media out at once is reached", \
	  "已达到该审批同时借出介质的上限") \
	X(APPROVAL_ONSITE_REQUIRED, "an on-site verification must be recorded first", \
	  "须先记录现场核查") \
	X(NAVMAP_AUTHORITY_REQUIRED, "navigation map data needs the authority's approval reference", \
	  "导航电子地图数据须有主管部门的批准文号") \
	X(MEDIUM_UNKNOWN, "the medium is not registered", \
	  "该介质未登记") \
	X(MEDIUM_NOT_IN_VAULT, "the medium is not in the vault", \
	  "该介质不在库内") \
	X(MEDIUM_DESTROYED, "the medium has been destroyed", \
	  "该介质已销毁") \
	X(MEDIUM_PAST_DEADLINE, "the medium is past its destruction deadline", \
	  "该介质已超过销毁期限") \
	X(PROJECT_CLOSED, "the project is closed", \
	  "项目已结项") \
	X(PROJECT_ENDED, "the project has ended; its media may no longer be used", \
	  "项目已结束，其介质不得再使用") \
	X(RETURN_NOT_OUT, "the medium is not checked out", \
	  "该介质未处于借出状态") \
	X(RETURN_NOT_BORROWER, "only the borrower (or a custodian on their behalf) may return it", \
	  "只能由借用人本人（或保管员代收）归还") \
	X(APPROVAL_QUANTITY_USED, "the approval's quantity is used up: as many media as it requested have been checked out", \
	  "该审批的数量已用完：所申请数量的介质均已借出过") \
	X(COPY_NO_PARENT, "a copy must name at least one parent medium", \
	  "复制件须至少指明一个原介质") \
	X(COPY_CLASS_LOWERED, "a copy cannot have a lower classification than its parents", \
	  "复制件的密级不得低于原介质") \
	X(COPY_TAG_UNREAD, "the copy's tag must be read on its home shelf", \
	  "复制件的标签须在其所属货架上被读取") \
	X(APPROVAL_TRANSITION, "the approval cannot move to that state", \
	  "审批不能转入该状态") \
	X(DESTROY_SELF_ORDER, "nobody may order destruction on their own request", \
	  "不得批准本人提出的销毁申请") \
	X(WITNESS_SAME_PERSON, "the two witnesses must be different people", \
	  "两名见证人须为不同人员") \
	/* tag readers (shelves, kiosk pad, shredder throat) */                               \
	X(SHELF_TIMEOUT, "the shelf node did not answer", "货架节点无应答")                   \
	X(SHELF_BAD_REPLY, "the shelf node's reply failed validation",                         \
	  "货架节点的应答未通过校验")                                                        \
	X(SHELF_MAP_VERSION, "the shelf node uses an unsupported register-map version",        \
	  "货架节点的寄存器表版本不受支持")                                                  \
	X(SHELF_TOO_MANY_TAGS, "the shelf node reports more tags than allowed",                \
	  "货架节点报告的标签数超出上限")                                                    \
	X(SHELF_BUS_ERROR, "the shelf bus cannot be opened or is disconnected",                \
	  "货架总线无法打开或已断开")                                                        \
	X(SHELF_EXCEPTION, "the shelf node answered with a Modbus exception",                  \
	  "货架节点返回了 Modbus 异常") \
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
	X(READER_ONLINE, "the badge reader is online", "读卡器在线") \
	/* the door (controller/door.c) */ \
	X(GPIO_FAULT, "the GPIO lines stopped answering: the door and shredder sensors are blind; " \
		      "vaultd stops with the lock off and is restarted to reopen them", \
	  "GPIO线路无响应：门和粉碎机传感器失效；vaultd锁门后停止，重启后重新打开线路") \
	/* integrity (controller/integrity.c) */ \
	X(LEDGER_VERIFY_FAILED, "the ledger does not verify: an entry, a checkpoint or a registry " \
				"row is not what the ledger proves", \
	  "账本校验失败：条目、检查点或登记表记录与账本不符") \
	X(LEDGER_VERIFY_ERROR, "the ledger could not be verified: the database could not be read", \
	  "无法校验账本：数据库无法读取") \
	X(BADGE_UNKNOWN, "the badge is not enrolled", "该卡未登记") \
	X(BADGE_REVOKED, "the badge has been revoked", "该卡已注销") \
	X(BADGE_KEY_VERSION, "the badge carries an outdated key version", "该卡密钥版本已过期") \
	X(BADGE_MID_PIN, "another badge is waiting for its PIN", "另一张卡正在等待输入密码") \
	X(PIN_WRONG, "wrong PIN", "密码错误") \
	X(PIN_LOCKED, "too many wrong PINs: the badge is locked out for a while", \
	  "密码错误次数过多，该卡暂时锁定") \
	X(PIN_TIMEOUT, "no PIN was entered in time", "未在规定时间内输入密码") \
	X(TWO_PERSON_TIMEOUT, "no second custodian came in time (two-person rule)", \
	  "第二名保管员未在规定时间内到场（双人规则）") \
	X(TWO_PERSON_SAME, "the second person must be a different custodian", \
	  "第二人必须是另一名保管员") \
	X(TWO_PERSON_ROLE, "only custodians can open a two-person vault", \
	  "双人规则下只有保管员可以开启库门") \
	X(TWO_PERSON_VISITOR, "a visitor never counts as the second person", \
	  "访客不能作为第二人") \
	X(ANTI_PASSBACK, "anti-passback: entry and exit reads do not match", \
	  "防回传：进出记录不一致") \
	/* alerts (controller/reports.c) */                                                    \
	X(CERT_EXPIRING, "the certificate expires soon", "证书即将到期")                      \
	X(TRAINING_DUE, "the annual training is due soon", "年度培训即将到期")                \
	X(RETURN_DUE, "the medium is due back soon", "介质即将到期应归还")                    \
	X(RETURN_OVERDUE, "the medium is overdue for return", "介质逾期未归还")               \
	X(DESTRUCTION_DUE, "the medium's destruction deadline is near", "介质销毁期限临近")   \
	X(DESTRUCTION_OVERDUE, "the medium is past its destruction deadline and not destroyed", \
	  "介质已超过销毁期限仍未销毁")                                                      \
	X(APPROVAL_AWAITING_ONSITE, "the approval waits for an on-site verification",          \
	  "审批已批准，等待现场核查")                                                        \
	X(APPROVAL_PAST_VALIDITY, "the approval is still active after its validity period",    \
	  "审批有效期已过但仍处于生效状态") \
	/* HTTP layer (kiosk page, console) */                                                \
	X(HTTP_NOT_FOUND, "no such page or API route", "页面或接口不存在")                     \
	X(HTTP_METHOD, "this method is not allowed here", "此处不允许该请求方法")              \
	X(HTTP_TOO_LARGE, "the request body is too large", "请求正文过大")                     \
	X(HTTP_LENGTH_REQUIRED, "the request must state its length (no chunked upload)",       \
	  "请求须注明长度（不接受分块上传）")                                                \
	X(HTTP_BAD_PATH, "the request path is malformed", "请求路径格式错误")                  \
	X(HTTP_BAD_JSON, "the request body is not a well-formed JSON object",                  \
	  "请求正文不是格式正确的 JSON 对象")                                                \
	X(HTTP_BAD_FIELD, "the request has an unknown or missing field",                       \
	  "请求含有未知字段或缺少字段")                                                      \
	X(HTTP_CONTENT_TYPE, "the request body must be application/json",                      \
	  "请求正文类型须为 application/json")                                               \
	X(HTTP_CSRF, "the anti-forgery token is missing or wrong", "防伪令牌缺失或错误")      \
	X(HTTP_ORIGIN, "the request comes from another site", "请求来自其他站点")              \
	X(HTTP_NO_SESSION, "not signed in", "尚未登录")                                       \
	X(HTTP_SESSION_EXPIRED, "the session has expired; sign in again",                      \
	  "会话已过期，请重新登录")                                                          \
	X(HTTP_SESSION_KIND, "this function is not available at this station",                 \
	  "本终端不提供此功能")                                                              \
	X(HTTP_BUSY, "the server is busy; try again shortly", "服务器繁忙，请稍后再试")        \
	X(HTTP_INTERNAL, "internal error; the request was not carried out",                    \
	  "内部错误，请求未执行")                                                            \
	X(HTTP_HOST, "the request is addressed to another host name", "请求所指主机名不符") \
	X(LEGACY_TOP_SECRET, "UID-only badges are refused while the vault holds top-secret media", \
	  "库内存有绝密介质时拒绝仅UID的门禁卡")                                           \
	/* custody: removal, checkout, return */                                             \
	X(NOT_ON_PAD, "the medium is not on the kiosk pad", "介质不在自助终端读卡区上")        \
	X(PAD_EMPTY, "no registered medium is on the kiosk pad", "自助终端读卡区上没有登记介质") \
	X(MEDIUM_UNACCOUNTED,                                                                  \
	  "a medium left its shelf and was not checked out, moved or put back in time",        \
	  "介质离开货架后未在规定时间内借出、移位或放回")                                      \
	X(MEDIUM_OFF_PATH, "a medium was read where its custody says it cannot be",            \
	  "介质出现在其保管状态不允许的位置")                                                  \
	X(CUSTODY_OVERFLOW, "too many media in flight to watch each one's window", \
	  "同时流转的介质过多，无法逐一监控其时限") \
	X(HOME_SHELF_INVALID, "the home shelf must be a configured storage shelf", \
	  "所属货架须为已配置的存储货架") \
	X(REMOVAL_UNOCCUPIED, "a medium left its shelf while nobody was recorded inside the vault", \
	  "库内无人登记时介质离开了货架")                                                      \
	X(REX_UNOCCUPIED, "the exit button was pressed while nobody was recorded inside the vault", \
	  "库内无人登记时出门按钮被按下")                                                      \
	X(RETURN_WRONG_SHELF, "the returned medium was put on a shelf other than its home",     \
	  "归还的介质放错了货架")                                                              \
	X(RETURN_MISSING, "the returned medium never reached its home shelf",                   \
	  "归还的介质未回到其所属货架")  \
	X(PAD_NOT_ANSWERING, "the kiosk pad is not answering: its read of the medium is out of date", \
	  "自助终端读卡区无应答，其对介质的读数已过时") \
	/* inventory */                                                                        \
	X(INVENTORY_RUNNING, "an inventory sweep is already running", "盘点正在进行中")        \
	X(INVENTORY_MISSING, "a medium expected on its shelf was not read on any shelf",       \
	  "应在架上的介质未在任何架位读到")                                                  \
	X(INVENTORY_MISPLACED, "a medium was read on another shelf than its home shelf",       \
	  "介质在非所属架位上读到")                                                          \
	X(INVENTORY_UNKNOWN_TAG, "a tag that no registered medium carries was read on a shelf", \
	  "架上读到未登记介质的标签")                                                        \
	X(INVENTORY_NOT_EXPECTED,                                                              \
	  "a medium that is checked out, pending return or at destruction was read on a shelf", \
	  "已借出、待归还或待销毁的介质在架上读到")                                          \
	X(INVENTORY_GONE_SEEN, "a medium recorded as destroyed or handed over was read on a shelf", \
	  "已登记为销毁或移交的介质在架上读到")                                              \
	X(INVENTORY_FOUND, "a medium recorded as missing was read on a shelf again",           \
	  "登记为缺失的介质重新在架上读到")                                                  \
	/* warnings */                                                                         \
	X(ALERT_NOT_OPEN, "no open alert or alarm has that ledger seq",                        \
	  "没有该账目序号的未处理预警或告警")  \
	/* destruction (controller/destruction.c) */ \
	X(DESTROY_STATION_BUSY, "the shredder station is busy with another destruction", \
	  "销毁工位正在执行另一项销毁") \
	X(DESTROY_ORDER_STATE, "the destruction order is not approved, or already done or cancelled", \
	  "销毁单未批准、已完成或已撤销") \
	X(DESTRUCTION_NO_MOTOR, "the shredder motor did not report running at the throat read", \
	  "读到介质进入碎纸口时碎纸机电机未报告运行") \
	X(DESTRUCTION_ONE_WITNESS, "the medium reached the throat with fewer than two witnesses", \
	  "介质进入碎纸口时监销人不足两名") \
	X(DESTRUCTION_READ_AGAIN, "the medium's tag was read again within the quiet window", \
	  "静默期内再次读到介质标签") \
	X(DESTRUCTION_STILL_READ, "the throat reader still reads the tag after the quiet window", \
	  "静默期结束时碎纸口读卡器仍读到标签") \
	X(DESTRUCTION_READER_DOWN, "a tag reader was down during the quiet window: nothing is proven", \
	  "静默期内有标签读卡器故障，无法证明销毁") \
	X(DESTRUCTION_UNEXPECTED, "a tag reached the shredder throat without a started destruction", \
	  "未启动销毁的标签进入了碎纸口") \
	X(DESTRUCTION_TIMEOUT, "the station's window ran out before the medium reached the throat", \
	  "销毁工位等待超时，介质未进入碎纸口") \
	X(DESTRUCTION_INTERRUPTED, "vaultd restarted during a destruction: it cannot be proven", \
	  "销毁过程中控制器重启，无法证明销毁完成") \
	X(DESTRUCTION_RESTART, "vaultd restarted before the medium reached the throat", \
	  "介质进入碎纸口前控制器重启") \
	X(DESTRUCTION_CANCELLED, "the operator ended the destruction before the throat read", \
	  "操作员在介质进入碎纸口前终止了销毁") \
	X(HANDOVER_NO_SECOND, "a handover needs a second person's badge at the shredder or kiosk", \
	  "移交须有第二人在碎纸工位或自助终端刷卡")  \
	X(DESTRUCTION_BIN_OPEN, "the shredder's bin door is open (or its sensor cannot be read)", \
	  "碎纸机收集箱门处于打开状态（或其传感器无法读取）") \
	X(DESTRUCTION_BIN_OPENED, "the shredder's bin door was opened after the throat read", \
	  "介质进入碎纸口后碎纸机收集箱门被打开") \
	X(DESTROY_ORDER_UNDER_WAY, "a destruction of this order is under way at the shredder station", \
	  "该销毁单的销毁正在碎纸工位进行中") \
	X(HANDOVER_TAG_UNREAD, "the medium must be read on the kiosk pad for the handover", \
	  "移交时介质须在自助终端读卡区上被读取") \
	/* web (controller/web.c): kiosk and console sign-in */                              \
	X(WEB_NO_BADGE, "present your badge at this station's reader first",                  \
	  "请先在本终端的读卡器上出示门禁卡")                                                \
	X(WEB_BADGE_CHANGED, "another badge was presented meanwhile; sign in again",           \
	  "期间出示了另一张门禁卡，请重新登录")                                              \
	/* health (controller/health.c) */                                                  \
	X(CLOCK_JUMP, "the wall clock jumped against the monotonic clock",                    \
	  "系统时钟相对单调时钟发生跳变")                                                    \
	X(STORAGE_LOW, "free space for the database is below the warning threshold",          \
	  "数据库所在存储的剩余空间低于预警阈值")                                            \
	X(STORAGE_CRITICAL,                                                                    \
	  "free space for the database is below the alarm threshold; the ledger may soon stop recording", \
	  "数据库所在存储的剩余空间低于告警阈值，台账可能即将无法记录")                      \
	X(STORAGE_OK, "free space for the database is back above the warning threshold",      \
	  "数据库所在存储的剩余空间已恢复到预警阈值以上")                                    \
	X(STORAGE_UNKNOWN,                                                                     \
	  "free space for the database cannot be read; a filling disk would go unnoticed",    \
	  "无法读取数据库所在存储的剩余空间，存储将满时无法预警")                            \
	/* MQTT (controller/mqtt.c): the central verifier (docs/verifier.md) */              \
	X(VERIFIER_MISMATCH, "the central verifier holds another ledger history than this vault", \
	  "中心校验方持有的台账历史与本库不一致")                                            \
	X(COMMAND_MALFORMED, "the inbound command is not a well-formed signed command",        \
	  "收到的指令不是格式正确的签名指令")                                                \
	X(COMMAND_WRONG_KEY, "the inbound command is signed by a key other than the verifier's", \
	  "收到的指令并非由中心校验方的密钥签名")                                            \
	X(COMMAND_BAD_SIGNATURE, "the inbound command's signature does not verify",            \
	  "收到的指令签名校验失败")                                                          \
	X(COMMAND_WRONG_VAULT, "the inbound command is addressed to another vault",           \
	  "收到的指令发往其他库房")                                                          \
	X(COMMAND_REPLAYED, "the inbound command was already used (its id is not new)",       \
	  "收到的指令已被使用过（编号不是新的）")                                            \
	X(COMMAND_UNKNOWN_VERB, "the inbound command asks for something vaultd does not do",  \
	  "收到的指令要求执行控制器不支持的操作")                                                \
	X(COMMAND_STALE, "the inbound command's time is more than 10 minutes from this vault's clock", \
	  "收到的指令时间与本库时钟相差超过10分钟")

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
