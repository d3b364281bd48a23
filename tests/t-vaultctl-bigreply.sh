# SPDX-License-Identifier: MIT
# vaultctl reads vaultd's reply, one JSON line, whatever its length: a list
# verb's reply grows with its rows. 150 persons with long names and neither a
# certificate nor a training make 300 open alerts, a reply to `vaultctl alert
# list` of more than 64 KiB; it comes whole, every alert in it. A peer that
# sends a line longer than vaultctl's cap (64 MiB) gets a clear error, not a
# crash or a cut reply; a reply of some MiB from it is read whole.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || skip_all "socat is missing"
vt_init
ok "vaultd starts" vt_start
"$VAULTCTL" unit add --id U1 --name "Survey Bureau" --first-time no >/dev/null
# 120 characters: the name is in the text of both of the person's alerts
long=$(printf 'Surveyor of the bureau with a long name %.0s' $(seq 3))
for i in $(seq 150); do
	"$VAULTCTL" person add --id "BIG-$i" --name "$long $i" --role staff --unit U1 \
		>/dev/null || break
done
is "150 persons added" 150 "$(vt_sql "SELECT count(*) FROM person WHERE id LIKE 'BIG-%'")"
raised() {
	vt_sql "SELECT count(*) FROM ledger WHERE kind='alert.raised' AND
		json_extract(payload,'$.subject') LIKE 'BIG-%' AND
		json_extract(payload,'$.code') IN ('CERT_MISSING','TRAINING_MISSING')"
}
wait_raised() { for _ in $(seq 200); do [ "$(raised)" = 300 ] && return 0; sleep 0.05; done; return 1; }
ok "their 300 alerts (certificate and training missing) are ledgered" wait_raised

"$VAULTCTL" alert list >"$T/alerts.json" 2>"$T/alerts.err"
is "vaultctl alert list succeeds (exit 0)" 0 "$?"
is "and says nothing on stderr" "" "$(cat "$T/alerts.err")"
n=$(wc -c <"$T/alerts.json")
echo "# show: alert list reply of $n bytes"
ok "the reply is larger than 64 KiB ($n bytes)" test "$n" -gt 65536
js() { # SELECT WHERE: over the listed alerts
	sqlite3 :memory: "SELECT $1 FROM json_each(CAST(readfile('$T/alerts.json') AS TEXT),'$.alerts') ${2:-}"
}
is "it is JSON with ok true" 1 \
	"$(sqlite3 :memory: "SELECT json_extract(CAST(readfile('$T/alerts.json') AS TEXT),'$.ok')")"
is "every one of the 300 alerts is in it" 300 \
	"$(js "count(*)" "WHERE json_extract(value,'$.subject') LIKE 'BIG-%'")"
is "down to the last: the latest raised alert, with the last person's name" \
	"$(vt_sql "SELECT max(seq) FROM ledger WHERE kind='alert.raised'")|1" \
	"$(js "json_extract(value,'$.seq')||'|'||(json_extract(value,'$.text') LIKE '%$long 150%')" |
		tail -n 1)"
vt_stop

# A peer in vaultd's place (socat on the socket) answers with a line of its own.
fake() { # SCRIPT: serve one connection with the script's output
	rm -f "$T/vaultd.sock"
	socat UNIX-LISTEN:"$T/vaultd.sock" EXEC:"$1" 2>/dev/null &
	fake_pid=$!
	for _ in $(seq 100); do [ -S "$T/vaultd.sock" ] && return 0; sleep 0.05; done
	return 1
}
cat >"$T/mib.sh" <<'EOF'
#!/bin/sh
# {"ok":true,"big":"xxx..."} of 5 MiB and more, then the newline
printf '{"ok":true,"big":"'; head -c 5242880 /dev/zero | tr '\0' x; printf '"}\n'
EOF
cat >"$T/endless.sh" <<'EOF'
#!/bin/sh
# 80 MiB and no newline
printf '{"ok":true,"big":"'; head -c 83886080 /dev/zero | tr '\0' x
EOF
chmod +x "$T/mib.sh" "$T/endless.sh"
ok "a peer serves a reply of 5 MiB" fake "$T/mib.sh"
"$VAULTCTL" alert list >"$T/fake.json" 2>/dev/null
is "vaultctl reads it (exit 0)" 0 "$?"
is "whole: 5 MiB of the string" 5242880 \
	"$(sqlite3 :memory: "SELECT length(json_extract(CAST(readfile('$T/fake.json') AS TEXT),'$.big'))")"
wait "$fake_pid" 2>/dev/null
ok "a peer sends a line of 80 MiB" fake "$T/endless.sh"
out=$("$VAULTCTL" alert list 2>&1 >/dev/null); rc=$?
is "vaultctl stops at its cap: a socket error (exit 4), no crash" 4 "$rc"
contains "and says why" "the reply from vaultd is longer than 64 MiB" "$out"
kill "$fake_pid" 2>/dev/null
wait "$fake_pid" 2>/dev/null
vt_done
