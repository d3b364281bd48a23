# SPDX-License-Identifier: MIT
# The admin socket's refusal budget ([admin] refusal_limit per refusal_window_s,
# per calling Unix user; controller/flood.h). A caller sending refusal after
# refusal gets every one answered, but beyond the limit they are counted into
# admin.refused.batch entries instead of costing a synced entry each. Another
# caller's refusals and every grant are ledgered as before; a clean stop
# ledgers the open batch.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "acting as other Unix users (setpriv) needs root"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
command -v socat >/dev/null || skip_all "socat is missing"
vt_init "[admin]" "refusal_limit = 10" "refusal_window_s = 5"
ok "vaultd starts with [admin] refusal_limit = 10 per 5 s" vt_start
chmod 666 "$T/vaultd.sock"
V() { "$VAULTCTL" "$@" >/dev/null; }
V unit add --id U1 --name "Survey Bureau"
V person add --id S1 --name "Zhang San" --role staff --unit U1 --unix-user nobody
V person add --id SV --name "Wang Supervisor" --role supervisor --unit U1 --unix-user daemon
V project add --id PR1 --name "Coastal survey" --unit U1 --start 2026-01-01 --end 2026-12-31
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"; }
# LINES requests as Unix user U on one connection, back to back; the replies.
burst() { # U N REQUEST
	local i
	for i in $(seq "$2"); do printf '%s\n' "$3"; done |
		as "$1" socat -t 10 - "UNIX-CONNECT:$T/vaultd.sock"
}
since() { # KIND SEQ: entries of KIND after SEQ
	vt_sql "SELECT count(*) FROM ledger WHERE kind='$1' AND seq > $2"
}
sum() { # KIND JSON-PATH SEQ
	vt_sql "SELECT ifnull(sum(json_extract(payload,'$2')),0) FROM ledger WHERE kind='$1' AND seq > $3"
}

# A staff member may not add units: 100 of those and 100 lines of garbage.
before=$(vt_sql "SELECT max(seq) FROM ledger")
out=$(burst nobody 100 '{"action":"unit.add","args":{"id":"UX","name":"X"}}'
	burst nobody 100 'this is not json')
is "all 200 are answered, each with its refusal" "100|100" \
	"$(printf '%s\n' "$out" | grep -c '"code":"ADMIN_ROLE_DENIED"')|$(printf '%s\n' "$out" | grep -c '"code":"BAD_REQUEST"')"
is "the first 10 are ledgered one by one, then one alarm.admin_flood" "10|1" \
	"$(since admin.refused "$before")|$(since alarm.admin_flood "$before")"
is "the alarm names the caller, the limit and the window" "admin/nobody|10|5" \
	"$(vt_sql "SELECT json_extract(payload,'$.source')||'|'||json_extract(payload,'$.refusals')||'|'||json_extract(payload,'$.window_s') FROM ledger WHERE kind='alarm.admin_flood'")"
t0=$(date +%s%N)
ok "vaultd answers another caller at once" timeout 2 "$VAULTCTL" whoami
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# whoami during the flood: $ms ms"

# While nobody is flooded: another user's refusal, and nobody's own grant.
out=$(as daemon "$VAULTCTL" unit add --id UY --name Y 2>&1); rc=$?
is "another user's refusal is refused as usual (exit 1)" 1 "$rc"
is "and ledgered on its own, with its person" "admin.refused|SV|ADMIN_ROLE_DENIED" \
	"$(vt_sql "SELECT kind||'|'||actors||'|'||json_extract(payload,'$.code') FROM ledger ORDER BY seq DESC LIMIT 1")"
ok "the flooded user's grant is served" as nobody "$VAULTCTL" approval add --id A1 --unit U1 \
	--person S1 --purpose "map revision" --scope dataset:coast --project PR1 \
	--valid-from 2026-01-01 --valid-to 2026-12-31
is "and ledgered as usual, not counted" "registry.approval.add|S1" \
	"$(vt_sql "SELECT kind||'|'||actors FROM ledger ORDER BY seq DESC LIMIT 1")"
out=$(burst nobody 5 '{"action":"unit.add","args":{"id":"UX","name":"X"}}')
is "5 more refusals are answered" 5 "$(printf '%s\n' "$out" | grep -c '"code":"ADMIN_ROLE_DENIED"')"

for _ in $(seq 200); do [ "$(since admin.flood_ended "$before")" = 1 ] && break; sleep 0.1; done
is "a quiet window ends the flood: admin.flood_ended with the 195 counted" "1|195|admin/nobody" \
	"$(since admin.flood_ended "$before")|$(vt_sql "SELECT json_extract(payload,'$.counted')||'|'||json_extract(payload,'$.source') FROM ledger WHERE kind='admin.flood_ended'")"
nb=$(since admin.refused.batch "$before")
ok "the counted ones are in one batch entry per window ($nb)" test "$nb" -ge 1 -a "$nb" -le 3
is "the batches count all 195, by reason and by action" "195|95|100|95|100" \
	"$(sum admin.refused.batch '$.refused' "$before")|$(sum admin.refused.batch '$.reasons.ADMIN_ROLE_DENIED' "$before")|$(sum admin.refused.batch '$.reasons.BAD_REQUEST' "$before")|$(sum admin.refused.batch '$.actions."unit.add"' "$before")|$(sum admin.refused.batch '$.actions."?"' "$before")"
is "each batch names the caller" "$nb" \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE kind='admin.refused.batch' AND json_extract(payload,'$.source')='admin/nobody'")"
is "205 refusals by one user cost a handful of entries" "$((10 + 1 + nb + 1))" \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE seq > $before AND (kind IN ('alarm.admin_flood','admin.refused.batch','admin.flood_ended') OR (kind='admin.refused' AND actors='S1'))")"
is "no unit was added by any of it" 1 "$(vt_sql "SELECT count(*) FROM unit")"
ok "the ledger verifies" "$VAULTCTL" verify
vt_stop

# A clean stop ledgers the open batch before vaultd.stop.
vt_config "[admin]" "refusal_limit = 10" "refusal_window_s = 60"
vt_start
chmod 666 "$T/vaultd.sock"
before=$(vt_sql "SELECT max(seq) FROM ledger")
burst nobody 30 '{"action":"unit.add","args":{"id":"UX","name":"X"}}' >/dev/null
vt_stop
is "a clean stop: 10 alone, the alarm, then the batch of 20 just before vaultd.stop" \
	"10|1|admin.refused.batch:20,vaultd.stop:" \
	"$(since admin.refused "$before")|$(since alarm.admin_flood "$before")|$(vt_sql "SELECT group_concat(k, ',') FROM (SELECT seq, kind||':'||ifnull(json_extract(payload,'$.refused'),'') AS k FROM (SELECT * FROM ledger ORDER BY seq DESC LIMIT 2) ORDER BY seq)")"

# A hard flood: 4 connections of 60000 empty lines (each a BAD_REQUEST), as
# fast as vaultd takes them. Other callers are still served at once: a
# connection gets a few requests handled per turn of the loop.
vt_start
chmod 666 "$T/vaultd.sock"
before=$(vt_sql "SELECT max(seq) FROM ledger")
(for _ in 1 2 3 4; do
	head -c 60000 /dev/zero | tr '\0' '\n' |
		as nobody socat -t 30 - "UNIX-CONNECT:$T/vaultd.sock" | grep -c BAD_REQUEST
done) >"$T/answered" &
flood=$!
for _ in $(seq 50); do [ "$(since alarm.admin_flood "$before")" = 1 ] && break; sleep 0.05; done
t0=$(date +%s%N)
ok "during the flood, root's whoami is answered within 2 s" timeout 2 "$VAULTCTL" whoami
echo "# show: whoami during a flood of 240000 admin-socket refusals: $((($(date +%s%N) - t0) / 1000000)) ms"
wait "$flood"
is "every one of the 240000 was answered" "60000 60000 60000 60000" "$(echo $(cat "$T/answered"))"
vt_stop
is "and every one is in the ledger: 10 alone, the rest counted in batches" "10|239990" \
	"$(since admin.refused "$before")|$(sum admin.refused.batch '$.refused' "$before")"
vt_done
