#!/bin/bash
# SPDX-License-Identifier: MIT
# shelf-sim as an operator sees it: start-up lines, the control protocol's replies,
# refusals, and a clean quit that removes its socket and pty link.
set -u
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
command -v socat >/dev/null || { echo "skip: socat not installed"; exit 77; }
SIM="$VAULT_BUILD/shelf-sim"
[ -x "$SIM" ] || { echo "skip: $SIM not built"; exit 77; }
D=$(mktemp -d /tmp/vault-shelfsim-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT

"$SIM" --slaves 1,1 --rtu-link "$D/x" >/dev/null 2>&1
ok $([ $? = 2 ] && echo 0 || echo 1) "the same slave id twice is a usage error (exit 2)"
"$SIM" --tcp 0 >/dev/null 2>&1
ok $([ $? = 2 ] && echo 0 || echo 1) "no nodes at all is a usage error"

"$SIM" --tcp 0 --tcp-slaves 10:1 --rtu-link "$D/rtu" --slaves 1,2:2 --control "$D/ctl" \
	--scan-ms 5 --appear 1 --vanish 1 >"$D/out" 2>"$D/err" &
pid=$!
for _ in $(seq 100); do grep -q '^ready$' "$D/out" 2>/dev/null && break; sleep 0.05; done
grep -Eq '^tcp_port=[0-9]+$' "$D/out"; ok $? "prints tcp_port=N"
grep -q "^rtu=$D/rtu\$" "$D/out" && [ -L "$D/rtu" ] && [ -c "$(readlink "$D/rtu")" ]
ok $? "prints rtu=PATH and PATH links to a pty"

c() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$D/ctl"; }
[ "$(c ping)" = ok ]; ok $? "ping -> ok"
[ "$(c 'place 1 3 e2001')" = ok ]; ok $? "place on shelf 1 antenna 3 -> ok"
[ "$(c 'place 2 3 e2002')" = "err invalid" ]; ok $? "antenna 3 on a 2-antenna shelf -> err invalid"
[ "$(c 'place 9 1 e2002')" = "err no-such-shelf-or-tag" ]; ok $? "unknown shelf -> err"
[ "$(c 'place 1 1 xyz')" = "err invalid" ]; ok $? "a tag id that is not hex -> err invalid"
[ "$(c 'place 1 1 0')" = "err invalid" ]; ok $? "an all-zero tag id -> err invalid"
c scan >/dev/null
[ "$(c 'list 1')" = "ok 1 0000000000000000000e2001@3" ]; ok $? "list shows the debounced tag and its antenna"
[ "$(c 'place 10 1 e2001')" = ok ] && c scan >/dev/null && c scan >/dev/null
[ "$(c 'list 1')" = "ok 0" ] && [ "$(c 'list 10')" = "ok 1 0000000000000000000e2001@1" ]
ok $? "placing a tag elsewhere moves it (one tag, one place)"
[ "$(c 'remove 1 e2001')" = "err no-such-shelf-or-tag" ]; ok $? "removing a tag that is not there -> err"
[ "$(c 'silence 1 maybe')" = "err invalid" ] && [ "$(c 'silence 1 on')" = ok ]; ok $? "silence on|off only"
[ "$(c 'garble 2 sideways')" = "err invalid" ] && [ "$(c 'garble 2 crc')" = ok ]; ok $? "garble kinds checked"
[ "$(c 'frobnicate')" = "err unknown-command" ]; ok $? "unknown command -> err unknown-command"
[ "$(c quit)" = ok ]; ok $? "quit -> ok"
wait "$pid"; rc=$?; pid=
ok $([ $rc = 0 ] && [ ! -e "$D/ctl" ] && [ ! -L "$D/rtu" ] && echo 0 || echo 1) \
	"exits 0 and removes its control socket and pty link"
exit $failed
