#!/bin/bash
# SPDX-License-Identifier: MIT
# The pn532-emu program: control protocol on its UNIX socket, pty link, quit.
set -u
emu="$VAULT_BUILD/pn532-emu"
[ -x "$emu" ] || { echo "skip: $emu not built"; exit 77; }
command -v socat >/dev/null || { echo "skip: socat missing"; exit 77; }
d=$(mktemp -d /tmp/vault-emu-XXXXXX)
n=0 failed=0
check() { n=$((n+1)); if eval "$1"; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
ctl() { printf '%s\n' "$@" | socat -t 2 - UNIX-CONNECT:"$d/ctl"; }

"$emu" --link "$d/pn532" --control "$d/ctl" >"$d/out" 2>&1 &
pid=$!
for i in $(seq 100); do [ -S "$d/ctl" ] && break; sleep 0.05; done
check '[ -L "$d/pn532" ] && [ -c "$(readlink "$d/pn532")" ]' "link points at a pty character device"
r=$(ctl "place desfire 04112233445566 00112233445566778899aabbccddeeff 2" "status")
check '[ "$(echo "$r" | head -1)" = ok ]' "place desfire answers ok"
check 'echo "$r" | tail -1 | grep -q "card=desfire uid=04112233445566"' "status shows the placed card"
r=$(ctl "place desfire 0411 00 1")
check 'echo "$r" | grep -q "^err "' "bad UID answers err <reason>"
r=$(ctl "bogus")
check 'echo "$r" | grep -q "^err unknown command"' "unknown command answers err"
r=$(ctl "getkey 564c54 0")
check '[ "$r" = "ok 00112233445566778899aabbccddeeff 2" ]' "getkey reads the application key and version"
r=$(ctl "remove" "status")
check 'echo "$r" | tail -1 | grep -q "card=none"' "remove empties the field"
r=$(ctl "quit")
check '[ "$r" = "ok bye" ]' "quit answers ok bye"
wait $pid; rc=$?
check '[ $rc -eq 0 ]' "emulator exits 0 after quit"
check '[ ! -e "$d/pn532" ] && [ ! -e "$d/ctl" ]' "link and socket removed on exit"
"$emu" --link "$d/pn532" 2>/dev/null; rc=$?
check '[ $rc -eq 2 ]' "missing --control is a usage error (exit 2)"
rm -rf "$d"
exit $failed
