# SPDX-License-Identifier: MIT
# The kiosk and console pages as a person uses them: headless Debian Chromium
# driven by playwright-core (tests/browser/drive.mjs) against vaultd with
# [http] enabled, badges read by libnfc from PN532 emulators at the kiosk and
# console readers, the kiosk pad served by shelf-sim over Modbus TCP. The
# driver checks what the pages show and the ledger rows the clicks produced;
# its TAP lines continue this script's numbering.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-web.sh"
PW=$VAULT_SRC/tests/browser/node_modules/playwright-core
[ -x /usr/bin/chromium ] || skip_all "no /usr/bin/chromium (Debian's chromium: tools/browser-deps.sh)"
command -v node >/dev/null || skip_all "node is missing (tools/browser-deps.sh)"
[ -f "$PW/package.json" ] || skip_all "playwright-core is not installed (tools/browser-deps.sh: npm ci in tests/browser)"
need=$(node -e 'const e = require(process.argv[1]).engines.node.match(/\d+/)[0];
	console.log(+process.versions.node.split(".")[0] >= +e ? "" : `node ${process.versions.node}, playwright-core needs >= ${e}`)' \
	"$PW/package.json")
[ -z "$need" ] || skip_all "$need"
command -v socat >/dev/null || skip_all "socat is missing"
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
"$B/shelf-sim" --tcp 0 --tcp-slaves 10:1 --control "$T/shelf.ctl" --scan-ms 10 --appear 1 \
	--vanish 1 >"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
trap 'vt_stop; emu_stop_all; kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
vt_init "[reader]" "kiosk = pn532_uart:$T/kiosk-pty" "console = pn532_uart:$T/console-pty" \
	"[pin]" "lockout_after = 3" "lockout_seconds = 600" "[custody]" "station_window_s = 1" \
	"[bus.kiosk]" "kind = tcp" "host = 127.0.0.1" "port = $(sed -n 's/^tcp_port=//p' "$T/sim.out")" \
	"shelves = 10:kiosk-pad" "response_timeout_ms = 100" "poll_interval_ms = 20" \
	"[http]" "enabled = 1" "port = 0" "static_root = $VAULT_SRC/web" \
	"[mqtt]" "enabled = 1" "broker = tcp://127.0.0.1:9" "reconnect_ms = 60000" \
	"verifier_key = $(printf '%064d' 7)"
# As if the central verifier had acknowledged seq 2 (t-verifier tests that
# path with a real verifier; here the broker is unreachable): the console says so.
sqlite3 "$T/vault.db" "UPDATE mqtt_cursor SET verified_seq = 2, verified_utc = 1795600000000000"
emu_start kiosk && emu_start console && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
ok "vaultd starts with [http] enabled" vt_start
ok "and logs the port it listens on" web_port

V() { "$VAULTCTL" "$@" >/dev/null; }
V unit add --id U1 --name "Survey Institute" --first-time no
for p in S1:staff:1357:04B10000000001 V1:supervisor:3579:04B10000000003; do
	IFS=: read -r id role pin uid <<<"$p"
	V person add --id "$id" --name "Person $id" --role "$role" --unit U1
	V cert add --id "CERT-$id" --person "$id" --issued "$((year - 1))-01-10"
	V training add --id "TR-$id" --person "$id" --date "$today"
	printf '%s\n%s\n' "$pin" "9$pin" | "$VAULTCTL" pin set --id "$id" --with-duress >/dev/null
	enrol "$id" "$uid" || echo "# enrol $id failed: $(tail -1 "$T/enrol.log")"
done
is "two badges were personalised and registered" 2 "$(vt_sql "SELECT count(*) FROM badge")"
V medium add --id M1 --tag E20000000000000000000001 --title "Sheet 1" --classification secret \
	--home-shelf SH-1
XSS='<img src=x onerror="window.__xss=1">Sheet 2'
ok "a medium whose title is HTML is registered" \
	"$VAULTCTL" medium add --id M2 --tag E20000000000000000000002 --title "$XSS" \
	--classification confidential --home-shelf SH-1
active=false
if can_approve; then
	V approval add --id A1 --unit U1 --person S1 --purpose "field survey" --scope M1 \
		--valid-from "$today" --valid-to "$((year + 1))-12-31"
	approve_as V1 A1
	is "A1 is approved for S1" active "$(vt_sql "SELECT state FROM approval WHERE id='A1'")"
	active=true
fi
V approval add --id A-REQ --unit U1 --person S1 --purpose "later" --scope M1 \
	--valid-from "$today" --valid-to "$((year + 1))-12-31"

cat >"$T/browser.json" <<EOF
{"base": "http://127.0.0.1:$WEB_PORT", "dir": "$T", "db": "$T/vault.db", "active": $active,
 "keys": {"04B10000000001": "$KEY_04B10000000001", "04B10000000003": "$KEY_04B10000000003"},
 "xss": $(node -p 'JSON.stringify(process.argv[1])' "$XSS"), "n": $_n, "state": "$T/browser.state"}
EOF
node "$VAULT_SRC/tests/browser/drive.mjs" "$T/browser.json"
rc=$?
if read -r _n f <"$T/browser.state" 2>/dev/null; then
	_failed=$((_failed + f))
else
	is "the browser driver ran to its end" "its TAP state" "none (node exited $rc)"
fi

vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
