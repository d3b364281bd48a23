# SPDX-License-Identifier: MIT
# Web test helpers: vaultd's HTTP service through curl (a cookie jar per
# browser), JSON read with sqlite3's json_extract. Sourced after lib.sh.
command -v curl >/dev/null || skip_all "curl is missing"
WEB_PORT=
CSRF=
JAR=$T/jar
# Wait for vaultd's "http listening on ADDR:PORT" line; sets WEB_PORT.
web_port() {
	for _ in $(seq 200); do
		WEB_PORT=$(sed -n 's/.*http listening on .*:\([0-9][0-9]*\)$/\1/p' "$T/vaultd.log" | tail -1)
		[ -n "$WEB_PORT" ] && return 0
		kill -0 "$VAULTD_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# http METHOD PATH BODY [curl args...]: prints the HTTP status; the reply body
# is in $T/body, its headers in $T/headers. POST sends BODY as JSON with the
# CSRF token (if any); GET ignores BODY.
http() {
	local m=$1 p=$2 b=$3
	shift 3
	local a=(-s -o "$T/body" -D "$T/headers" -w '%{http_code}' -b "$JAR" -c "$JAR" -X "$m")
	[ -n "$CSRF" ] && a+=(-H "X-CSRF-Token: $CSRF")
	[ "$m" = POST ] && a+=(-H 'Content-Type: application/json' --data-binary "$b")
	curl "${a[@]}" "$@" "http://127.0.0.1:$WEB_PORT$p"
}
# A field of the last reply body (JSON path, e.g. '$.code').
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('$T/body') AS TEXT), '$1')"; }
# login KIND PIN: sets S to the status and keeps the CSRF token of a new
# session (not in a subshell: it sets variables).
S=
login() {
	S=$(http POST /api/login "{\"kind\":\"$1\",\"credentials\":{\"pin\":\"$2\"}}")
	CSRF=
	[ "$S" = 200 ] && CSRF=$(j '$.csrf')
	return 0
}
# Length of a JSON array in the last reply body.
jlen() { sqlite3 :memory: "SELECT json_array_length(CAST(readfile('$T/body') AS TEXT), '$1')"; }
# A field of every element of an array in the last reply, comma-separated.
jall() { sqlite3 :memory: "SELECT group_concat(json_extract(value,'$2')) FROM json_each(CAST(readfile('$T/body') AS TEXT),'$1')"; }
# The code of the last reply, "STATUS CODE".
reply() { echo "$1 $(j '$.code')"; }
# Field of the payload of the newest entry of a kind.
last_field() { vt_sql "SELECT json_extract(payload,'$2') FROM ledger WHERE kind='$1' ORDER BY seq DESC LIMIT 1"; }
# Wait until the station reader has stored a badge.arrived for UID (5 s).
wait_badge() { # STATION UID COUNT_BEFORE
	for _ in $(seq 100); do
		[ "$(vt_sql "SELECT count(*) FROM sensor_event WHERE source='$1' AND kind='badge.arrived' AND instr(data,'badge=$2')>0")" -gt "$3" ] && return 0
		sleep 0.05
	done
	return 1
}
n_badge() { vt_sql "SELECT count(*) FROM sensor_event WHERE source='$1' AND kind='badge.arrived' AND instr(data,'badge=$2')>0"; }
# Present UID at STATION and wait until vaultd has read it.
at_station() { # STATION UID
	local n
	n=$(n_badge "$1" "$2")
	present "$1" "$2"
	wait_badge "$1" "$2" "$n"
}
# Approvals need an approver other than the requester, and vaultctl's caller is
# its Unix user: a test approves as Unix user nobody, mapped to a person for
# the call (root and setpriv only).
can_approve() { [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; }
approve_as() { # PERSON APPROVAL
	local rc
	"$VAULTCTL" person update --id "$1" --unix-user nobody >/dev/null
	chmod 666 "$T/vaultd.sock"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VAULTCTL" approval approve --id "$2" \
		>/dev/null
	rc=$?
	"$VAULTCTL" person update --id "$1" --unix-user "" >/dev/null
	return $rc
}
