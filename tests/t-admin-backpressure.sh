# SPDX-License-Identifier: MIT
# The admin socket and a caller that is slow to read its replies. vaultd
# queues a reply the socket does not take at once and writes it as the caller
# reads; meanwhile that connection's next requests wait, so no reply is lost or
# cut, and the loop never blocks: other callers are answered at once. A caller
# that takes nothing for [admin] reply_stall_s is dropped.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || skip_all "socat is missing"
vt_init
ok "vaultd starts" vt_start
# N whoami requests on one connection; the reader waits S seconds before it
# reads anything, so the pipe and the socket fill up behind it.
slow() { # N S: the replies that arrived
	local i
	for i in $(seq "$1"); do printf '%s\n' '{"action":"whoami"}'; done |
		socat -t 60 - "UNIX-CONNECT:$T/vaultd.sock" | { sleep "$2"; grep -c '"ok":true'; }
}
slow 5000 3 >"$T/answered" &
reader=$!
sleep 1
t0=$(date +%s%N)
ok "while one caller does not read, another is answered within 2 s" timeout 2 "$VAULTCTL" whoami
echo "# show: whoami beside a caller that is not reading: $((($(date +%s%N) - t0) / 1000000)) ms"
wait "$reader"
is "the slow reader gets every one of its 5000 replies" 5000 "$(cat "$T/answered")"
is "no reply was dropped" 0 "$(grep -c 'not delivered\|dropping client' "$T/vaultd.log")"
vt_stop

vt_config "[admin]" "reply_stall_s = 2"
ok "vaultd starts with [admin] reply_stall_s = 2" vt_start
slow 5000 8 >"$T/answered" &
reader=$!
for _ in $(seq 100); do grep -q "has not read its reply in 2 s; dropping client" "$T/vaultd.log" && break; sleep 0.1; done
ok "a caller that takes no reply for 2 s is dropped, and the log says so" \
	grep -q "root has not read its reply in 2 s; dropping client" "$T/vaultd.log"
ok "and vaultd answers the next caller" timeout 2 "$VAULTCTL" whoami
wait "$reader"
n=$(cat "$T/answered")
ok "the dropped caller got only what was written before ($n of 5000)" [ "$n" -lt 5000 ]
vt_stop
vt_done
