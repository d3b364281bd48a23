# SPDX-License-Identifier: MIT
# For the SIGKILL tests. Sourced after lib.sh.
# FILE holds "seq kind medium" lines: entries vaultd acknowledged. Prints those
# that are not in the ledger with that kind and medium (one query), or why the
# check itself failed; nothing when all are there.
acks_gone() {
	[ -s "$1" ] || return 0
	local vals out
	vals=$(awk '{ printf "%s(%d,\x27%s\x27,\x27%s\x27)", (NR > 1 ? "," : ""), $1, $2, $3 }' "$1")
	out=$(vt_sql "WITH a(seq,kind,medium) AS (VALUES $vals) SELECT group_concat(a.seq||' '||a.kind||' '||a.medium, '; ') FROM a WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.seq=a.seq AND l.kind=a.kind AND l.medium=a.medium)" 2>&1) ||
		out="(the check itself failed: $out)"
	echo "$out"
}
