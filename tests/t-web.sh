# SPDX-License-Identifier: MIT
# The kiosk and console over HTTP, end to end: vaultd as a real process with
# [http] enabled on an ephemeral loopback port, badges read by libnfc from
# PN532 emulators at the kiosk and console readers, the kiosk pad served by
# shelf-sim over Modbus TCP, and curl as the browser. Sign-in is badge + PIN;
# every refusal is a JSON error with its code and exactly one ledger entry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-web.sh"
command -v socat >/dev/null || skip_all "socat is missing"
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
SIM=$B/shelf-sim
"$SIM" --tcp 0 --tcp-slaves 10:1 --control "$T/shelf.ctl" --scan-ms 10 --appear 1 --vanish 1 \
	>"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
trap 'vt_stop; emu_stop_all; kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
simport=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl" >/dev/null; }
WEBCONF=("[http]" "enabled = 1" "port = 0" "static_root = $VAULT_SRC/web" "max_body = 1024")
vt_init "[reader]" "kiosk = pn532_uart:$T/kiosk-pty" "console = pn532_uart:$T/console-pty" \
	"door = pn532_uart:$T/door-pty" "[gpio]" "debounce_ms = 5" \
	"[pin]" "lockout_after = 3" "lockout_seconds = 600" "[custody]" "station_window_s = 1" \
	"[bus.kiosk]" "kind = tcp" "host = 127.0.0.1" "port = $simport" "shelves = 10:kiosk-pad" \
	"response_timeout_ms = 100" "poll_interval_ms = 20" "${WEBCONF[@]}"
emu_start kiosk && emu_start console && emu_start door && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
ok "vaultd starts with [http] enabled on port 0" vt_start
ok "and logs the port it listens on" web_port

V() { "$VAULTCTL" "$@" >/dev/null; }
V unit add --id U1 --name "Survey Institute" --first-time no
person() { # ID ROLE CERT_ISSUED PIN
	V person add --id "$1" --name "Person $1" --role "$2" --unit U1
	V cert add --id "CERT-$1" --person "$1" --issued "$3"
	V training add --id "TR-$1" --person "$1" --date "$today"
	printf '%s\n%s\n' "$4" "9$4" | "$VAULTCTL" pin set --id "$1" --with-duress >/dev/null
}
person S1 staff "$((year - 1))-01-10" 1357
person C1 custodian "$((year - 1))-01-10" 2468
person V1 supervisor "$((year - 1))-01-10" 3579
person X1 staff "$((year - 6))-01-10" 1111 # certificate expired
person L1 staff "$((year - 1))-01-10" 4444
for p in S1:04B10000000001 C1:04B10000000002 V1:04B10000000003 X1:04B10000000004 \
	L1:04B10000000005; do
	enrol "${p%%:*}" "${p#*:}" || echo "# enrol ${p%%:*} failed: $(tail -1 "$T/enrol.log")"
done
is "five badges were personalised and registered" 5 "$(vt_sql "SELECT count(*) FROM badge")"
V medium add --id M1 --tag E20000000000000000000001 --title "Sheet 1" --classification secret \
	--home-shelf SH-1
if can_approve; then
	V approval add --id A1 --unit U1 --person S1 --purpose "field survey" --scope M1 \
		--valid-from "$today" --valid-to "$((year + 1))-12-31"
	approve_as V1 A1
	have_active=1
else
	have_active=
fi
V approval add --id A-REQ --unit U1 --person S1 --purpose "later" --scope M1 \
	--valid-from "$today" --valid-to "$((year + 1))-12-31"
V approval add --id A-OTHER --unit U1 --person C1 --purpose "not S1's" --scope M1 \
	--valid-from "$today" --valid-to "$((year + 1))-12-31"

# 1. Pages and the session probe.
is "GET / serves the kiosk page" 200 "$(http GET / "")"
contains "as HTML" "text/html" "$(cat "$T/headers")"
http GET /api/session "" >/dev/null
is "without a cookie the session probe says: not signed in" 0 "$(j '$.authenticated')"
n=$(vt_count)
is "a missing static file is a JSON 404" "404 HTTP_NOT_FOUND" "$(reply "$(http GET /nope.html "")")"
is "and is only logged, not ledgered" "$n" "$(vt_count)"

# 2. Kiosk sign-in.
n=$(vt_count)
login kiosk 1357
is "kiosk sign-in without a badge at the reader" "401 WEB_NO_BADGE" "$(reply "$S")"
is "is ledgered once" "$((n + 1))" "$(vt_count)"
is "as kiosk.login.refused WEB_NO_BADGE" WEB_NO_BADGE "$(last_field kiosk.login.refused '$.code')"
ok "S1's badge is read at the kiosk" at_station kiosk 04B10000000001
n=$(vt_count)
login kiosk 9999
is "a wrong PIN is refused" "401 PIN_WRONG" "$(reply "$S")"
is "and ledgered once, naming S1" "$((n + 1))|S1|PIN_WRONG" \
	"$(vt_count)|$(last_actors kiosk.login.refused)|$(last_field kiosk.login.refused '$.code')"
n=$(vt_count)
login kiosk 1357
is "badge + right PIN signs S1 in" 200 "$S"
is "as staff at the kiosk" "S1 staff kiosk" "$(j '$.person') $(j '$.role') $(j '$.kind')"
cookie=$(grep -i '^set-cookie: vault_session=' "$T/headers" | tr -d '\r')
contains "the session cookie is HttpOnly" "HttpOnly" "$cookie"
contains "and SameSite=Strict" "SameSite=Strict" "$cookie"
is "exactly one entry: session.start" "$((n + 1)) session.start" \
	"$(vt_count) $(vt_sql 'SELECT kind FROM ledger ORDER BY seq DESC LIMIT 1')"
is "session.start names the person, the station and the badge" "S1|kiosk|04B10000000001" \
	"$(last_actors session.start)|$(last_field session.start '$.kind')|$(last_field session.start '$.badge')"
cites=$(vt_sql "SELECT cites FROM ledger WHERE kind='session.start' ORDER BY seq DESC LIMIT 1")
is "and cites the kiosk reader's badge event" "kiosk|badge.arrived|1" \
	"$(vt_sql "SELECT source||'|'||kind||'|'||(instr(data,'badge=04B10000000001')>0) FROM sensor_event WHERE id=${cites:-0}")"
S1_JAR=$T/jar.S1
cp "$JAR" "$S1_JAR"
S1_CSRF=$CSRF

# 3. Kiosk queries: read-only.
n=$(vt_count)
is "approvals query answers" 200 "$(http GET /api/approvals "")"
if [ -n "$have_active" ]; then
	is "it lists S1's active approval only (not requested, not another person's)" "A1" \
		"$(jall '$.approvals' '$.id')"
else
	is "no active approval, no requested or other person's one listed" "" \
		"$(jall '$.approvals' '$.id')"
fi
sim "place 10 1 E20000000000000000000001"
sim "place 10 1 E2000000000000000000BEEF"
pad_has() { http GET /api/pad "" >/dev/null && [ "$(j '$.media[0].id')|$(j '$.unknown[0].tag')" = "M1|E2000000000000000000BEEF" ]; }
wait_pad() { for _ in $(seq 100); do pad_has && return 0; sleep 0.05; done; return 1; }
ok "the pad query lists M1 and the unknown tag laid on the pad" wait_pad
is "with M1's register row and the unknown tag's code" "secret|in-vault|MEDIUM_UNKNOWN|ok" \
	"$(j '$.media[0].classification')|$(j '$.media[0].status')|$(j '$.unknown[0].code')|$(j '$.pad_state')"
is "queries write nothing" "$n" "$(vt_count)"
# A silent pad keeps its last known contents; they count for nothing, so the
# kiosk lists them apart (stale) and offers nothing from the pad.
sim "silence 10 on"
pad_silent() { http GET /api/pad "" >/dev/null && [ "$(j '$.answering')" = 0 ]; }
for _ in $(seq 100); do pad_silent && break; sleep 0.05; done
is "a silent pad: not answering, with the code; nothing on the pad, M1 and the unknown tag stale" \
	"0|PAD_NOT_ANSWERING|0|0|2|M1" \
	"$(j '$.answering')|$(j '$.code')|$(jlen '$.media')|$(jlen '$.unknown')|$(jlen '$.stale')|$(jall '$.stale' '$.id')"
contains "the detail says why" "pad kiosk-pad not answering" "$(j '$.detail')"
sim "silence 10 off"
ok "answering again, the pad lists M1 again" wait_pad
is "and nothing stale" "1|0" "$(j '$.answering')|$(jlen '$.stale')"

# 4. Checkout at the kiosk: the custody module decides per medium.
n=$(vt_count)
s=$(http POST /api/action/checkout '{"approval":"A1","media":["M1"]}')
code=$(j '$.code')
if [ -n "$have_active" ]; then
	is "S1 checks out M1 from the pad under A1" "1|M1" "$(j '$.results[0].ok')|$(j '$.results[0].medium')"
	is "checkout.confirmed is ledgered for S1 under A1" "M1|A1|S1" \
		"$(vt_sql "SELECT medium||'|'||approval||'|'||actors FROM ledger WHERE kind='checkout.confirmed'")"
	padev=$(vt_sql "SELECT max(id) FROM sensor_event WHERE source='kiosk-pad' AND kind='tag.arrived' AND instr(data,'E20000000000000000000001')>0")
	is "citing the pad read" "$padev" \
		"$(vt_sql "SELECT json_extract(payload,'\$.pad_read') FROM ledger WHERE kind='checkout.confirmed'")"
	# The return at the kiosk: M1 is still on the pad.
	http POST /api/action/return '{"media":["M1"]}' >/dev/null
	is "S1 returns M1 at the kiosk" "1|M1" "$(j '$.results[0].ok')|$(j '$.results[0].medium')"
	is "return.pending is ledgered for S1" "M1|S1" \
		"$(vt_sql "SELECT medium||'|'||actors FROM ledger WHERE kind='return.pending'")"
	is "M1 awaits its home shelf" pending-return "$(vt_sql "SELECT status FROM medium WHERE id='M1'")"
	M1_STATUS=pending-return
else
	is "without an active approval the checkout is refused with a named, ledgered code" "$code" \
		"$(last_field kiosk.action.refused '$.code')"
	M1_STATUS=in-vault
fi
contains "the checkout reply is JSON with a status" "$s" "200 400 403 404 409"

# 5. Hostile input: a JSON error with its code, one http.refused (or
# kiosk.*.refused) entry each, and nothing else written.
reg=$(vt_sql "SELECT group_concat(id||status||seq) FROM medium")
hostile() { # DESCRIPTION "STATUS CODE" LEDGER_KIND REQUEST...
	local d=$1 want=$2 kind=$3 n st
	shift 3
	n=$(vt_count)
	st=$("$@")
	is "$d" "$want" "$(reply "$st")"
	is "  ledgered exactly once as $kind ${want#* }" "$((n + 1))|${want#* }" \
		"$(vt_count)|$(last_field "$kind" '$.code')"
}
nocsrf() { local CSRF=; http "$@"; }
badcsrf() { local CSRF; CSRF=$(printf '%064d' 0); http "$@"; }
forged() { curl -s -o "$T/body" -w '%{http_code}' -b "vault_session=$(printf '%064d' 7)" \
	"http://127.0.0.1:$WEB_PORT$1"; }
big=$(printf '{"approval":"%01200d"}' 0)
hostile "an oversized body gets 413" "413 HTTP_TOO_LARGE" http.refused \
	http POST /api/action/checkout "$big"
hostile "malformed JSON gets 400" "400 HTTP_BAD_JSON" http.refused \
	http POST /api/action/checkout '{"approval":'
hostile "an undeclared field gets 400" "400 HTTP_BAD_FIELD" http.refused \
	http POST /api/action/checkout '{"approval":"A1","evil":1}'
hostile "an unknown action gets 404" "404 HTTP_NOT_FOUND" http.refused \
	http POST /api/action/launch '{}'
hostile "a console action from a kiosk session gets 403" "403 HTTP_SESSION_KIND" http.refused \
	http POST /api/action/checkpoint '{}'
hostile "the console's ledger from a kiosk session gets 403" "403 HTTP_SESSION_KIND" http.refused \
	http GET /api/ledger ""
hostile "a POST without the CSRF token gets 403" "403 HTTP_CSRF" http.refused \
	nocsrf POST /api/action/checkout '{"approval":"A1"}'
hostile "a wrong CSRF token gets 403" "403 HTTP_CSRF" http.refused \
	badcsrf POST /api/action/checkout '{"approval":"A1"}'
is "  a refusal within a session names its person" S1 "$(last_actors http.refused)"
hostile "a cross-site Origin gets 403" "403 HTTP_ORIGIN" http.refused \
	http POST /api/action/checkout '{"approval":"A1"}' -H 'Origin: http://evil.example'
hostile "a forged session cookie gets 401" "401 HTTP_NO_SESSION" http.refused \
	forged /api/approvals
hostile "a foreign Host header (DNS rebinding) gets 421" "421 HTTP_HOST" http.refused \
	http GET /api/approvals "" -H 'Host: evil.example'
hostile "a limit over 500 gets 400" "400 INVALID_VALUE" kiosk.query.refused \
	http GET '/api/approvals?limit=100000' ""
hostile "media ids of the wrong type get 400" "400 INVALID_VALUE" kiosk.action.refused \
	http POST /api/action/checkout '{"approval":"A1","media":[1,2]}'
hostile "an approval id with a quote gets 400" "400 INVALID_VALUE" kiosk.action.refused \
	http POST /api/action/checkout '{"approval":"A1\u0027--"}'
is "no hostile request changed the register" "$reg" \
	"$(vt_sql "SELECT group_concat(id||status||seq) FROM medium")"
is "the S1 session still works after all that" 200 "$(http GET /api/approvals "")"
# A reply's language within a session: the request's Accept-Language (the page
# sends the language it shows, and a person may switch it after signing in),
# else the one the session was opened in (here the site's, English).
lang_of() { # ACCEPT-LANGUAGE: "same" or "other" (error against error_en)
	http GET '/api/approvals?limit=100000' "" ${1:+-H "Accept-Language: $1"} >/dev/null
	[ "$(j '$.error')" = "$(j '$.error_en')" ] && echo same || echo other
}
is "a refusal in the session follows the page's language: zh-CN, en, none" \
	"other same same" "$(lang_of zh-CN) $(lang_of en) $(lang_of "")"

# 6. The next badge at the kiosk ends S1's session.
n=$(n_kind session.end)
ok "C1's badge at the kiosk" at_station kiosk 04B10000000002
is "ends S1's kiosk session (session.end badge_changed)" "$((n + 1))|S1|badge_changed" \
	"$(n_kind session.end)|$(last_actors session.end)|$(last_field session.end '$.why')"
is "S1's cookie is now expired" "401 HTTP_SESSION_EXPIRED" "$(reply "$(http GET /api/approvals "")")"
# C1 signs in with the duress PIN: signed in as usual, a silent alarm ledgered.
a=$(n_kind alarm.duress)
login kiosk 92468
is "C1's duress PIN signs in as usual" "200 C1" "$S $(j '$.person')"
ok "the reply does not betray the duress PIN" sh -c "! grep -qi duress '$T/body'"
is "a silent alarm.duress names C1 at the kiosk" "$((a + 1))|C1|1|kiosk" \
	"$(n_kind alarm.duress)|$(last_actors alarm.duress)|$(last_field alarm.duress '$.silent')|$(last_field alarm.duress '$.reader')"
n=$(n_kind session.end)
is "logout" 200 "$(http POST /api/logout '{}')"
is "ends the session (session.end logout)" "$((n + 1))|C1|logout" \
	"$(n_kind session.end)|$(last_actors session.end)|$(last_field session.end '$.why')"
# C1 again; then C1's badge is revoked: the session ends at the next request.
login kiosk 2468
is "C1 signs in again" 200 "$S"
n=$(n_kind session.end)
V badge revoke --id 04B10000000002
is "after C1's badge is revoked, the next request is refused" "401 HTTP_SESSION_EXPIRED" \
	"$(reply "$(http GET /api/pad "")")"
is "and the session ends (session.end badge_revoked)" "$((n + 1))|C1|badge_revoked" \
	"$(n_kind session.end)|$(last_actors session.end)|$(last_field session.end '$.why')"

# 7. Person rules and lockout.
ok "X1's badge at the kiosk" at_station kiosk 04B10000000004
n=$(vt_count); s=$(n_kind session.start)
login kiosk 1111
is "a person whose certificate expired is refused with the right PIN" "403 CERT_EXPIRED" \
	"$(reply "$S")"
is "ledgered once as kiosk.login.refused naming X1, no session" "$((n + 1))|X1|CERT_EXPIRED|$s" \
	"$(vt_count)|$(last_actors kiosk.login.refused)|$(last_field kiosk.login.refused '$.code')|$(n_kind session.start)"
ok "L1's badge at the kiosk" at_station kiosk 04B10000000005
codes=
for p in 0000 1234 0001; do login kiosk $p; codes="$codes $(j '$.code')"; done
is "three wrong PINs: the third locks the badge out" " PIN_WRONG PIN_WRONG PIN_LOCKED" "$codes"
n=$(vt_count)
login kiosk 4444
is "then even the right PIN is refused" "401 PIN_LOCKED" "$(reply "$S")"
is "ledgered once, no session" "$((n + 1))|L1|PIN_LOCKED" \
	"$(vt_count)|$(last_actors kiosk.login.refused)|$(last_field kiosk.login.refused '$.code')"
# One lockout table for every PIN pad: locked at the kiosk, L1's badge is
# refused at the door before any PIN; locked at the door (three wrong PINs),
# X1's is refused at the kiosk.
door_refusal() { # N: wait for the N-th entry.refused
	for _ in $(seq 100); do [ "$(n_kind entry.refused)" -ge "$1" ] && return 0; sleep 0.05; done
	return 1
}
n=$(n_kind entry.refused)
present door 04B10000000005; door_refusal $((n + 1)); unpresent door
is "locked at the kiosk, L1 is refused at the door too, before a PIN" "$((n + 1))|L1|PIN_LOCKED" \
	"$(n_kind entry.refused)|$(last_actors entry.refused)|$(last_field entry.refused '$.code')"
codes=
for p in 0000 1234 0001; do
	n=$(n_kind entry.refused)
	present door 04B10000000004; sleep 0.3; type_keys "$p#"
	door_refusal $((n + 1)); unpresent door
	codes="$codes $(last_field entry.refused '$.code')"
done
is "three wrong PINs at the door lock X1's badge" " PIN_WRONG PIN_WRONG PIN_LOCKED" "$codes"
is "and the lock output never moved" 0 "$(lock_level)"
ok "X1's badge at the kiosk" at_station kiosk 04B10000000004
login kiosk 1111
is "locked at the door, X1 is refused at the kiosk with the right PIN" "401 PIN_LOCKED" \
	"$(reply "$S")"
is "a malformed credential field is refused" "400 HTTP_BAD_FIELD" \
	"$(reply "$(http POST /api/login '{"kind":"kiosk","credentials":{"password":"x"}}')")"

# 8. The console: supervisors and admins only.
ok "S1's badge at the console reader" at_station console 04B10000000001
n=$(vt_count)
login console 1357
is "a staff member is refused at the console (right PIN)" "403 ROLE_NOT_ALLOWED" "$(reply "$S")"
is "ledgered once as console.login.refused" "$((n + 1))|S1|ROLE_NOT_ALLOWED" \
	"$(vt_count)|$(last_actors console.login.refused)|$(last_field console.login.refused '$.code')"
ok "V1's badge at the console reader" at_station console 04B10000000003
login console 3579
is "a supervisor signs in at the console" "200 V1 supervisor console" \
	"$S $(j '$.person') $(j '$.role') $(j '$.kind')"
tip=$(vt_sql "SELECT max(seq) FROM ledger")
is "the ledger query gives the newest entries, oldest first" "5|$tip|$tip" \
	"$(http GET '/api/ledger?limit=5' "" >/dev/null; jlen '$.entries')|$(j '$.entries[4].seq')|$(j '$.tip')"
is "... and how far it has left the box: no MQTT here, nothing published or verified" \
	"0|0|0|0|" "$(j '$.offbox.mqtt')|$(j '$.offbox.verifier')|$(j '$.offbox.published')|$(j '$.offbox.verified')|$(j '$.offbox.verified_at')"
http GET "/api/ledger?since=1&kind=session.&limit=500" "" >/dev/null
is "a kind prefix filters the ledger" \
	"$(vt_sql "SELECT group_concat(seq) FROM (SELECT seq FROM ledger WHERE kind LIKE 'session.%' ORDER BY seq)")" \
	"$(jall '$.entries' '$.seq')"
is "the media register query" "200 M1 $M1_STATUS" \
	"$(http GET '/api/media?limit=10' "") $(j '$.media[0].id') $(j '$.media[0].status')"
# Alerts: the console lists what `vaultctl alert list` lists; a cleared alert
# leaves the list, and so does one a supervisor acknowledges there.
V person add --id X2 --name "Person X2" --role staff --unit U1
V cert add --id CERT-X2 --person X2 --issued "$((year - 6))-01-10"
raised() { vt_sql "SELECT max(seq) FROM ledger WHERE kind='alert.raised' AND json_extract(payload,'$.code')='CERT_EXPIRED' AND json_extract(payload,'$.subject')='$1'"; }
for _ in $(seq 100); do [ -n "$(raised X2)" ] && break; sleep 0.05; done
x1=$(raised X1) x2=$(raised X2)
http GET /api/alerts "" >/dev/null
is "the console lists the open alerts vaultctl alert list gives" \
	"$("$VAULTCTL" alert list >"$T/alerts.json"; sqlite3 :memory: "SELECT group_concat(json_extract(value,'$.seq')) FROM json_each(CAST(readfile('$T/alerts.json') AS TEXT),'$.alerts')")" \
	"$(jall '$.alerts' '$.seq')"
contains "with the expired certificates of X1 and X2 (code, subject, text)" \
	"\"code\":\"CERT_EXPIRED\",\"subject\":\"X1\",\"text\":\"the certificate has expired" "$(j '$.alerts')"
contains "and the ids to acknowledge" ",$x2," ",$(jall '$.alerts' '$.id'),"
V cert add --id CERT-X1-2 --person X1 --issued "$((year - 1))-01-10"
for _ in $(seq 100); do [ "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='alert.cleared' AND json_extract(payload,'$.entry')=$x1")" = 1 ] && break; sleep 0.05; done
http GET /api/alerts "" >/dev/null
is "X1's certificate renewed, the cleared alert leaves the console's list" "" \
	"$(jall '$.alerts' '$.seq' | tr , '\n' | grep -x "$x1")"
n=$(vt_count)
is "a supervisor checkpoints the ledger from the console" 200 "$(http POST /api/action/checkpoint '{}')"
is "the checkpoint covers the tip" "$(vt_sql "SELECT max(seq) FROM checkpoint")" "$(j '$.checkpoint')"
is "a kiosk route from the console session gets 403" "403 HTTP_SESSION_KIND" \
	"$(reply "$(http POST /api/action/return '{}')")"
is "a supervisor acknowledges X2's alert from the console" 200 \
	"$(http POST /api/action/ack_alert "{\"id\":\"$x2\"}")"
is "ledgered as alert.acked by V1 naming it" "V1|$x2" \
	"$(last_actors alert.acked)|$(last_field alert.acked '$.entry')"
http GET /api/alerts "" >/dev/null
is "and it leaves the console's list" "" "$(jall '$.alerts' '$.seq' | tr , '\n' | grep -x "$x2")"
is "acknowledging it again is refused with a named code" "403 ALERT_NOT_OPEN" \
	"$(reply "$(http POST /api/action/ack_alert "{\"id\":\"$x2\"}")")"
# Inventory from the console: the reply waits for the sweep (a pending call).
n=$(n_kind inventory.reconciled)
is "a supervisor runs an inventory from the console" 200 "$(http POST /api/action/inventory '{}')"
is "inventory.reconciled is ledgered, by V1" "$((n + 1))|V1" \
	"$(n_kind inventory.reconciled)|$(last_actors inventory.reconciled)"
cat "$T/body" >"$T/inv.json"
is "the reply carries the ledgered report's seq" \
	"$(vt_sql "SELECT max(seq) FROM ledger WHERE kind='inventory.reconciled'")" "$(j '$.seq')"
# Deactivating the person ends their session at the next request.
n=$(n_kind session.end)
V person update --id V1 --status inactive
is "a deactivated supervisor's next request is refused" "401 HTTP_SESSION_EXPIRED" \
	"$(reply "$(http GET /api/alerts "")")"
is "and the session ends (session.end deactivated)" "$((n + 1))|V1|deactivated" \
	"$(n_kind session.end)|$(last_actors session.end)|$(last_field session.end '$.why')"

vt_stop
ok "the ledger verifies" "$VAULTCTL" verify

# 9. A non-loopback address needs allow_non_loopback.
vt_config "${WEBCONF[@]}" "bind = 0.0.0.0"
out=$(timeout 20 "$VAULTD" -c "$T/vault.ini" 2>&1); rc=$?
is "vaultd refuses to serve HTTP on 0.0.0.0 without allow_non_loopback" 1 "$rc"
contains "with a clear message" "not a loopback address" "$out"
vt_done
