# SPDX-License-Identifier: MIT
# vaultd as the only writer: registry changes through the socket, the caller
# identified by SO_PEERCRED and checked against the role table; refusals ledgered.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "acting as other Unix users (setpriv) needs root"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
vt_init
ok "vaultd starts on an initialised database" vt_start
out=$("$VAULTCTL" whoami)
contains "whoami maps the Unix user to the first admin" "person: admin" "$out"
ok "admin adds a unit" "$VAULTCTL" unit add --id U1 --name "Survey Bureau"
ok "admin adds a staff person mapped to Unix user nobody" \
	"$VAULTCTL" person add --id S1 --name "Zhang San" --role staff --unit U1 --unix-user nobody
is "the person row exists with its role" "staff" "$(vt_sql "SELECT role FROM person WHERE id='S1'")"
seq=$(vt_sql "SELECT seq FROM person WHERE id='S1'")
is "the registry row records the ledger seq that wrote it" "registry.person.add" \
	"$(vt_sql "SELECT kind FROM ledger WHERE seq=$seq")"

chmod 666 "$T/vaultd.sock"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
before=$(vt_count)
out=$(as_nobody "$VAULTCTL" person add --id X1 --name X --role admin 2>&1); rc=$?
is "a staff member may not add persons (exit 1)" 1 "$rc"
contains "the refusal names the reason" "ADMIN_ROLE_DENIED" "$out"
is "no person row was written" 0 "$(vt_sql "SELECT count(*) FROM person WHERE id='X1'")"
is "the refusal is ledgered with the staff person as actor" "admin.refused|S1" \
	"$(vt_sql "SELECT kind||'|'||actors FROM ledger ORDER BY seq DESC LIMIT 1")"
contains "the ledgered refusal carries the code" '"code":"ADMIN_ROLE_DENIED"' \
	"$(vt_sql "SELECT payload FROM ledger ORDER BY seq DESC LIMIT 1")"

ok "admin unmaps nobody (person update)" "$VAULTCTL" person update --id S1 --unix-user ""
out=$(as_nobody "$VAULTCTL" unit add --id U9 --name Y 2>&1); rc=$?
is "an unmapped Unix user is refused (exit 1)" 1 "$rc"
contains "the refusal says the user is not mapped" "ADMIN_UNKNOWN_USER" "$out"
contains "the ledgered refusal names the Unix user" '"unix_user":"nobody"' \
	"$(vt_sql "SELECT payload FROM ledger ORDER BY seq DESC LIMIT 1")"
is "no unit row was written" 0 "$(vt_sql "SELECT count(*) FROM unit WHERE id='U9'")"

"$VAULTCTL" person update --id S1 --unix-user nobody >/dev/null
"$VAULTCTL" project add --id PR1 --name "Coastal survey" --unit U1 --start 2026-01-01 --end 2026-12-31 >/dev/null
ok "staff may request an approval" as_nobody "$VAULTCTL" approval add --id A1 --unit U1 \
	--person S1 --purpose "map revision" --scope dataset:coast --project PR1 \
	--valid-from 2026-01-01 --valid-to 2026-12-31
is "the requester is recorded by vaultd, not the caller's claim" "S1|requested" \
	"$(vt_sql "SELECT requester||'|'||state FROM approval WHERE id='A1'")"
out=$(as_nobody "$VAULTCTL" approval approve --id A1 2>&1)
contains "staff may not approve" "ADMIN_ROLE_DENIED" "$out"
"$VAULTCTL" person add --id SV --name "Wang Supervisor" --role supervisor --unit U1 --unix-user daemon >/dev/null
out=$(setpriv --reuid=daemon --regid=daemon --clear-groups "$VAULTCTL" person update --id SV --name Z 2>&1)
contains "a supervisor may not edit persons" "ADMIN_ROLE_DENIED" "$out"
ok "admin approves; first-time unit waits for on-site verification" "$VAULTCTL" approval approve --id A1
is "approval is approved but not active before on-site verification" "approved" \
	"$(vt_sql "SELECT state FROM approval WHERE id='A1'")"
ok "a supervisor records the on-site verification" \
	setpriv --reuid=daemon --regid=daemon --clear-groups "$VAULTCTL" approval verify-onsite --id A1
is "the approval becomes active" "active" "$(vt_sql "SELECT state FROM approval WHERE id='A1'")"

# An inactive person's Unix user is refused whatever the role allows.
ok "admin sets the staff person inactive" "$VAULTCTL" person update --id S1 --status inactive
before=$(vt_count)
out=$(as_nobody "$VAULTCTL" whoami 2>&1); rc=$?
is "an inactive person is refused even whoami (exit 1)" 1 "$rc"
contains "the refusal names the reason" "ADMIN_PERSON_INACTIVE" "$out"
is "the refusal is ledgered, one entry, with the person as actor and the code" \
	"$((before + 1))|admin.refused|S1|ADMIN_PERSON_INACTIVE|nobody" \
	"$(vt_sql "SELECT seq||'|'||kind||'|'||actors||'|'||json_extract(payload,'\$.code')||'|'||json_extract(payload,'\$.unix_user') FROM ledger ORDER BY seq DESC LIMIT 1")"
approval2() { as_nobody "$VAULTCTL" approval add --id A2 --unit U1 --person S1 \
	--purpose "map revision" --scope dataset:coast --project PR1 \
	--valid-from 2026-01-01 --valid-to 2026-12-31; }
out=$(approval2 2>&1); rc=$?
is "nor may they request an approval, which staff may (exit 1)" 1 "$rc"
contains "with the same reason" "ADMIN_PERSON_INACTIVE" "$out"
is "no approval row was written" 0 "$(vt_sql "SELECT count(*) FROM approval WHERE id='A2'")"
ok "admin reactivates the person" "$VAULTCTL" person update --id S1 --status active
ok "reactivated, whoami works again" as_nobody "$VAULTCTL" whoami
ok "and the approval request is served" approval2
is "requested by S1" "S1|requested" "$(vt_sql "SELECT requester||'|'||state FROM approval WHERE id='A2'")"

out=$("$VAULTCTL" badge add --id 04A1B2C3D4E5F6 --person admin 2>&1)
contains "nobody enrols their own badge" "SELF_ENROL" "$out"
ok "the admin enrols another person's badge" "$VAULTCTL" badge add --id 04A1B2C3D4E5F6 --person S1
is "the badge records who enrolled it" "admin" "$(vt_sql "SELECT enrolled_by FROM badge")"

ok "a PIN is set (argon2id off the loop)" sh -c "echo 482913 | '$VAULTCTL' pin set --id S1"
h=$(vt_sql "SELECT hash FROM pin WHERE id='S1'")
contains "the stored PIN hash is argon2id" '$argon2id$' "$h"
contains "the ledger carries only the PIN row's digest" '"digest"' \
	"$(vt_sql "SELECT payload FROM ledger WHERE kind='registry.pin.set'")"
is "the PIN hash itself is not in the ledger" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE instr(payload, '$h') > 0")"
out=$(echo 12 | "$VAULTCTL" pin set --id S1 2>&1)
contains "a too-short PIN is refused" "INVALID_VALUE" "$out"

ok "the database verifies after all of it" "$VAULTCTL" verify
vt_stop
is "vaultd stopped cleanly and ledgered it" "vaultd.stop" \
	"$(vt_sql "SELECT kind FROM ledger ORDER BY seq DESC LIMIT 1")"
vt_done
