/* SPDX-License-Identifier: MIT */
/*
 * Tag buses end to end. Rig "modbus": build/shelf-sim as a separate process, read
 * through the real libmodbus: three shelves and an absent slave on one RTU line (a
 * pty), the kiosk pad, the shredder throat and an absent unit over Modbus TCP.
 * Rig "sim": the same scenario through the in-process sim backend.
 * Checked: exact arrival/departure sets per shelf and antenna, a silent shelf is a
 * FAULT with contents kept and recovers, garbled / oversized / wrong-version replies
 * are refused with their reason and counted, a missing device and a refused TCP
 * connection are bus faults, RS-485 mode on a pty is refused but not fatal.
 */
#include "shelf_regmap.h"
#include "tap.h"
#include "vault/loop.h"
#include "vault/reason.h"
#include "vault/tagreader.h"
#include "vault/tagsim.h"
#include "vault/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define T1 "e28011700000020a00000001"
#define T2 "e28011700000020a00000002"
#define T3 "e28011700000020a00000003"
#define T4 "e28011700000020a00000004"
#define T5 "e28011700000020a00000005"
#define T6 "e28011700000020a00000006"
#define T7 "e28011700000020a00000007"

static struct vault_loop *loop;
static char evlog[512][96];
static int nev;
static int shelf2_health = -1;

/* The rig under test. */
static struct vault_tagbus *buses[2];
static int nbuses;
static struct vault_tagsim *insim; /* rig "sim" */
static char ctl_path[256];
static pid_t sim_pid = -1;

static void on_event(struct vault_tagbus *bus, const struct vault_tag_event *ev, void *ud)
{
	char hex[2 * VAULT_TAG_ID_BYTES + 1];
	char *s = evlog[nev % 512];
	switch (ev->kind) {
	case VAULT_TAGEV_ONLINE:
		snprintf(s, 96, "ONLINE %s", ev->shelf_name);
		break;
	case VAULT_TAGEV_RECOVERED:
		snprintf(s, 96, "RECOVERED %s", ev->shelf_name);
		break;
	case VAULT_TAGEV_FAULT:
		snprintf(s, 96, "FAULT %s %s", ev->shelf_name, vault_reason_id(ev->reason));
		break;
	case VAULT_TAGEV_ARRIVED:
	case VAULT_TAGEV_DEPARTED:
		vault_hex(ev->tag.id, VAULT_TAG_ID_BYTES, hex);
		snprintf(s, 96, "%s %s %u %s%s",
			 ev->kind == VAULT_TAGEV_ARRIVED ? "ARRIVED" : "DEPARTED",
			 ev->shelf_name, ev->tag.antenna, hex, ev->initial ? " initial" : "");
		break;
	case VAULT_TAGEV_HEALTH:
		/* Kept apart: NO_SCAN may clear just after start, depending on timing. */
		if (!strcmp(ev->shelf_name, "shelf-2"))
			shelf2_health = ev->health;
		return;
	}
	nev++;
}

struct wait {
	bool (*pred)(void *);
	void *arg;
	bool met;
	int64_t deadline;
};

static void tick(struct vault_loop *l, uint64_t id, void *ud)
{
	struct wait *w = ud;
	if (insim)
		vault_tagsim_scan(insim); /* the in-process nodes scan on the loop's tick */
	if ((w->met = w->pred(w->arg)) || vault_now_mono_us() > w->deadline) {
		vault_loop_quit(l);
		return;
	}
	vault_loop_timer_in(l, 5000, tick, w, NULL);
}

/* Run the loop until pred holds (true) or 8 s pass (false): a bound, not a timing check. */
static bool run_until(bool (*pred)(void *), void *arg)
{
	struct wait w = {pred, arg, false, vault_now_mono_us() + 8000000};
	vault_loop_timer_in(loop, 1000, tick, &w, NULL);
	vault_loop_run(loop, NULL);
	return w.met;
}

static int find_shelf(const char *name, struct vault_tagbus **ret_bus)
{
	for (int b = 0; b < nbuses; b++) {
		int i = vault_tagbus_shelf_index(buses[b], name);
		if (i >= 0) {
			*ret_bus = buses[b];
			return i;
		}
	}
	return -1;
}

static struct vault_tagbus_stats stats_of(const char *name)
{
	struct vault_tagbus_stats st = {0};
	struct vault_tagbus *b;
	int i = find_shelf(name, &b);
	if (i >= 0)
		vault_tagbus_stats(b, (unsigned)i, &st);
	return st;
}

/* Every shelf on every bus polled at least 2 more times: later events would show. */
static uint64_t settle_base[2][VAULT_TAGBUS_MAX_SHELVES];
static bool settled(void *arg)
{
	for (int b = 0; b < nbuses; b++)
		for (unsigned i = 0; i < VAULT_TAGBUS_MAX_SHELVES; i++) {
			struct vault_tagbus_stats st;
			if (vault_tagbus_stats(buses[b], i, &st) < 0)
				break;
			if (st.polls < settle_base[b][i] + 2)
				return false;
		}
	return true;
}

static void settle(void)
{
	for (int b = 0; b < nbuses; b++)
		for (unsigned i = 0; i < VAULT_TAGBUS_MAX_SHELVES; i++) {
			struct vault_tagbus_stats st;
			if (vault_tagbus_stats(buses[b], i, &st) < 0)
				break;
			settle_base[b][i] = st.polls;
		}
	run_until(settled, NULL);
}

struct expect {
	int from;
	const char **want;
	int n;
};

static bool all_seen(void *arg)
{
	struct expect *x = arg;
	for (int k = 0; k < x->n; k++) {
		bool found = false;
		for (int i = x->from; i < nev && !found; i++)
			found = !strcmp(evlog[i % 512], x->want[k]);
		if (!found)
			return false;
	}
	return true;
}

/* Exactly the events `want` (any order) since index `from`, nothing more. */
static bool expect_exactly(int from, const char **want, int n)
{
	struct expect x = {from, want, n};
	bool seen = run_until(all_seen, &x);
	settle();
	bool exact = seen && nev - from == n;
	if (!exact) {
		printf("# expected %d events, got %d:\n", n, nev - from);
		for (int i = from; i < nev; i++)
			printf("#   %s\n", evlog[i % 512]);
	}
	return exact;
}

static int ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ctl(const char *fmt, ...)
{
	char line[256], reply[512] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (insim)
		return vault_tagsim_command(insim, line, reply, sizeof reply);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(ctl_path) >= sizeof a.sun_path)
		return -ENAMETOOLONG;
	memcpy(a.sun_path, ctl_path, strlen(ctl_path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	strcat(line, "\n");
	if (write(fd, line, strlen(line)) < 0) {
		close(fd);
		return -EIO;
	}
	size_t got = 0;
	while (got < sizeof reply - 1 && !memchr(reply, '\n', got)) {
		ssize_t r = read(fd, reply + got, sizeof reply - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		reply[got] = 0;
	}
	close(fd);
	return strncmp(reply, "ok", 2) ? -EINVAL : 0;
}

static int contents(const char *shelf, char *out, size_t size, enum vault_shelf_state *st)
{
	struct vault_tagbus *b;
	int i = find_shelf(shelf, &b);
	struct vault_tag_entry t[VAULT_TAG_MAX_PER_SHELF];
	int n = i < 0 ? -ENOENT
		      : vault_tagbus_contents(b, (unsigned)i, t, VAULT_TAG_MAX_PER_SHELF, st);
	out[0] = 0;
	for (int k = 0; k < n; k++) {
		char hex[2 * VAULT_TAG_ID_BYTES + 1];
		vault_hex(t[k].id, VAULT_TAG_ID_BYTES, hex);
		size_t l = strlen(out);
		snprintf(out + l, size - l, "%s%u:%s", k ? " " : "", t[k].antenna, hex);
	}
	return n;
}

static bool has_contents(const char *shelf, const char *want, enum vault_shelf_state want_state)
{
	char got[2048];
	enum vault_shelf_state st;
	contents(shelf, got, sizeof got, &st);
	if (strcmp(got, want) || st != want_state)
		printf("# %s: contents \"%s\" state %d\n", shelf, got, st);
	return !strcmp(got, want) && st == want_state;
}

static void scenario(const char *rig, bool modbus)
{
	int m = nev;
	const char *start[] = {"ONLINE shelf-1",
			       "ONLINE shelf-2",
			       "ONLINE shelf-3",
			       "ONLINE kiosk-pad",
			       "ONLINE shredder-throat",
			       "FAULT ghost SHELF_TIMEOUT",
			       "FAULT ghost-tcp SHELF_EXCEPTION"};
	ok(expect_exactly(m, start, modbus ? 7 : 6),
	   "%s: every present shelf comes ONLINE; an absent slave is a FAULT (timeout%s)", rig,
	   modbus ? "; absent TCP unit: gateway exception" : "");

	m = nev;
	ctl("place 1 1 " T1);
	ctl("place 1 2 " T2);
	ctl("place 2 1 " T3);
	ctl("place 3 2 " T4);
	ctl("place 10 1 " T5);
	const char *s1[] = {"ARRIVED shelf-1 1 " T1, "ARRIVED shelf-1 2 " T2,
			    "ARRIVED shelf-2 1 " T3, "ARRIVED shelf-3 2 " T4,
			    "ARRIVED kiosk-pad 1 " T5};
	ok(expect_exactly(m, s1, 5),
	   "%s: 5 tags placed on 4 nodes: exactly 5 arrivals, right shelf and antenna", rig);
	ok(has_contents("shelf-1", "1:" T1 " 2:" T2, VAULT_SHELF_OK) &&
	       has_contents("kiosk-pad", "1:" T5, VAULT_SHELF_OK) &&
	       has_contents("shredder-throat", "", VAULT_SHELF_OK),
	   "%s: the loop's view of shelf contents matches", rig);

	m = nev;
	ctl("remove 1 " T1);
	ctl("place 1 3 " T2);
	ctl("place 3 1 " T3);
	ctl("place 2 2 " T7);
	ctl("place 11 1 " T5); /* kiosk pad -> shredder throat */
	const char *s2[] = {"DEPARTED shelf-1 1 " T1,	"DEPARTED shelf-1 2 " T2,
			    "ARRIVED shelf-1 3 " T2,	"DEPARTED shelf-2 1 " T3,
			    "ARRIVED shelf-3 1 " T3,	"ARRIVED shelf-2 2 " T7,
			    "DEPARTED kiosk-pad 1 " T5, "ARRIVED shredder-throat 1 " T5};
	ok(expect_exactly(m, s2, 8),
	   "%s: removal, antenna move, shelf move, pad->throat: exact departures and arrivals",
	   rig);

	m = nev;
	ctl("silence 2 on");
	ctl("place 1 1 " T6);
	const char *s3[] = {"FAULT shelf-2 SHELF_TIMEOUT", "ARRIVED shelf-1 1 " T6};
	ok(expect_exactly(m, s3, 2),
	   "%s: a silent shelf is a FAULT (timeout); the others keep reporting", rig);
	ok(has_contents("shelf-2", "2:" T7, VAULT_SHELF_FAULT),
	   "%s: the silent shelf keeps its last-known contents, no departures", rig);
	m = nev;
	ctl("remove 2 " T7);
	settle();
	ok(nev == m, "%s: a tag taken from a silent shelf is not reported while it is silent",
	   rig);
	ctl("silence 2 off");
	const char *s4[] = {"RECOVERED shelf-2", "DEPARTED shelf-2 2 " T7};
	ok(expect_exactly(m, s4, 2), "%s: when it answers again: RECOVERED, then the departure",
	   rig);

	struct vault_tagbus_stats before = stats_of("shelf-3");
	m = nev;
	ctl("garble 3 on");
	const char *s5[] = {"FAULT shelf-3 SHELF_BAD_REPLY"};
	ok(expect_exactly(m, s5, 1),
	   "%s: a reply with a corrupt magic is refused by our validation", rig);
	ok(has_contents("shelf-3", "2:" T4 " 1:" T3, VAULT_SHELF_FAULT),
	   "%s: contents kept through the garbled replies", rig);
	m = nev;
	ctl("garble 3 antenna");
	settle();
	ctl("garble 3 count");
	settle();
	ctl("mapver 3 2");
	settle();
	ok(nev == m, "%s: further refusals while in fault raise no more events", rig);
	struct vault_tagbus_stats after = stats_of("shelf-3");
	ok(after.bad_replies >= before.bad_replies + 2 &&
	       after.too_many_tags > before.too_many_tags &&
	       after.map_version > before.map_version && after.faults == before.faults + 1,
	   "%s: bad replies, oversized tag count and wrong map version each counted (%llu %llu "
	   "%llu)",
	   rig, (unsigned long long)(after.bad_replies - before.bad_replies),
	   (unsigned long long)(after.too_many_tags - before.too_many_tags),
	   (unsigned long long)(after.map_version - before.map_version));
	ctl("mapver 3 0");
	ctl("garble 3 off");
	const char *s6[] = {"RECOVERED shelf-3"};
	ok(expect_exactly(m, s6, 1), "%s: recovers with no tag events (contents unchanged)",
	   rig);

	m = nev;
	ctl("garble 3 count");
	const char *s7[] = {"FAULT shelf-3 SHELF_TOO_MANY_TAGS"};
	ok(expect_exactly(m, s7, 1),
	   "%s: TAG_COUNT over MAX_TAGS is a FAULT named SHELF_TOO_MANY_TAGS", rig);
	m = nev;
	ctl("garble 3 off");
	ok(expect_exactly(m, s6, 1), "%s: recovers again", rig);
	m = nev;
	ctl("mapver 3 2");
	const char *s7b[] = {"FAULT shelf-3 SHELF_MAP_VERSION"};
	ok(expect_exactly(m, s7b, 1),
	   "%s: register-map version 2 is refused as SHELF_MAP_VERSION", rig);
	m = nev;
	ctl("mapver 3 0");
	ok(expect_exactly(m, s6, 1), "%s: version 1 again: recovers", rig);

	m = nev;
	ctl("garble 1 crc");
	ctl("garble 10 crc");
	ctl("garble 2 short");
	const char *s8[] = {"FAULT shelf-1 SHELF_BAD_REPLY", "FAULT kiosk-pad SHELF_BAD_REPLY",
			    "FAULT shelf-2 SHELF_BAD_REPLY"};
	ok(expect_exactly(m, s8, 3),
	   "%s: damaged frames (RTU CRC, TCP length) and a short reply are refused as bad "
	   "replies",
	   rig);
	m = nev;
	ctl("garble 1 off");
	ctl("garble 10 off");
	ctl("garble 2 off");
	const char *s9[] = {"RECOVERED shelf-1", "RECOVERED kiosk-pad", "RECOVERED shelf-2"};
	ok(expect_exactly(m, s9, 3), "%s: all recover once the damage stops", rig);
	ok(has_contents("shelf-1", "3:" T2 " 1:" T6, VAULT_SHELF_OK),
	   "%s: shelf-1 holds exactly T2 on antenna 3 and T6 on antenna 1", rig);
	struct vault_tagbus_stats g = stats_of("ghost");
	ok(g.timeouts > 0 && g.ok == 0 && g.faults == 1,
	   "%s: the absent slave's timeouts are counted, one FAULT", rig);
}

static bool all_faulted(void *arg)
{
	for (int b = 0; b < nbuses; b++)
		for (unsigned i = 0; i < VAULT_TAGBUS_MAX_SHELVES; i++) {
			enum vault_shelf_state st;
			struct vault_tag_entry t[1];
			if (vault_tagbus_contents(buses[b], i, t, 0, &st) < 0)
				break;
			if (st != VAULT_SHELF_FAULT)
				return false;
		}
	return true;
}

static void add_shelf(struct vault_tagbus_config *c, int id, const char *name)
{
	c->shelves[c->nshelves].slave_id = id;
	snprintf(c->shelves[c->nshelves].name, sizeof c->shelves[0].name, "%s", name);
	c->nshelves++;
}

static void fast(struct vault_tagbus_config *c)
{
	c->response_timeout_ms = 100;
	c->byte_timeout_ms = 50;
	c->retries = 1;
	c->poll_interval_ms = 10;
	c->reconnect_ms = 50;
}

static pid_t start_sim(const char *dir, int *ret_port)
{
	char exe[512], rtu[300], slaves_arg[] = "1,2,3:2";
	const char *b = getenv("VAULT_BUILD");
	snprintf(exe, sizeof exe, "%s/shelf-sim", b ? b : "build");
	snprintf(rtu, sizeof rtu, "%s/rtu", dir);
	snprintf(ctl_path, sizeof ctl_path, "%s/ctl", dir);
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(exe, exe, "--tcp", "0", "--tcp-slaves", "10:1,11:1", "--rtu-link", rtu,
		      "--slaves", slaves_arg, "--control", ctl_path, "--scan-ms", "5",
		      "--appear", "2", "--vanish", "2", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[1024] = "";
	size_t got = 0;
	while (!strstr(buf, "ready\n") && got < sizeof buf - 1) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		if (poll(&pf, 1, 5000) <= 0)
			break;
		ssize_t r = read(p[0], buf + got, sizeof buf - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = 0;
	}
	close(p[0]);
	char *tp = strstr(buf, "tcp_port=");
	if (!strstr(buf, "ready\n") || !tp || !strstr(buf, "rtu=")) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -1;
	}
	*ret_port = atoi(tp + 9);
	return pid;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (vault_loop_new(&loop) < 0)
		tap_skip_all("no event loop");

	/* ---- rig 1: shelf-sim process, real libmodbus, RTU on a pty + TCP ---- */
	char dir[] = "/tmp/vault-tagbus-XXXXXX";
	if (!mkdtemp(dir))
		tap_skip_all("no temp dir");
	int port = 0;
	sim_pid = start_sim(dir, &port);
	ok(sim_pid > 0 && port > 0, "shelf-sim started: TCP port %d, RTU link %s/rtu", port,
	   dir);
	if (sim_pid <= 0)
		return tap_done();

	struct vault_tagbus_config rtu = {
	    .kind = VAULT_TAGBUS_RTU, .baud = 115200, .parity = 'N', .rs485 = 1};
	snprintf(rtu.device, sizeof rtu.device, "%s/rtu", dir);
	add_shelf(&rtu, 1, "shelf-1");
	add_shelf(&rtu, 2, "shelf-2");
	add_shelf(&rtu, 3, "shelf-3");
	add_shelf(&rtu, 4, "ghost");
	fast(&rtu);
	struct vault_tagbus_config tcp = {.kind = VAULT_TAGBUS_TCP, .port = port};
	snprintf(tcp.host, sizeof tcp.host, "127.0.0.1");
	add_shelf(&tcp, 10, "kiosk-pad");
	add_shelf(&tcp, 11, "shredder-throat");
	add_shelf(&tcp, 12, "ghost-tcp");
	fast(&tcp);
	ok(vault_tagbus_new(&rtu, NULL, loop, on_event, NULL, &buses[0]) == 0 &&
	       vault_tagbus_new(&tcp, NULL, loop, on_event, NULL, &buses[1]) == 0,
	   "an RTU bus (4 slave ids, one line) and a TCP bus (3 unit ids) started");
	nbuses = 2;
	scenario("modbus", true);

	struct vault_tagreader_health h;
	vault_tagbus_health(buses[0], &h);
	ok(h.connected && h.rs485_requested && !h.rs485_active && h.rs485_errno == ENOTTY,
	   "RS-485 mode asked on a pty: refused with ENOTTY, reported, the line works anyway "
	   "(errno %d)",
	   h.rs485_errno);

	/* A full table over the RTU line: 70 tags on shelf-2, capacity 64. */
	int m = nev, placed = 0;
	for (int i = 0; i < 70; i++)
		placed += ctl("place 2 %d e2000000000000000000%04x", 1 + i % 4, 0x100 + i) == 0;
	static char many[64][96];
	const char *manyp[64];
	for (int i = 0; i < 64; i++) {
		snprintf(many[i], sizeof many[i], "ARRIVED shelf-2 %d e2000000000000000000%04x",
			 1 + i % 4, 0x100 + i);
		manyp[i] = many[i];
	}
	ok(placed == 70 && expect_exactly(m, manyp, 64),
	   "70 tags on a 64-entry shelf over RTU: exactly the first 64 arrive (chunked reads)");
	ok(shelf2_health >= 0 && (shelf2_health & SHELF_HEALTH_TABLE_FULL),
	   "the node's TABLE_FULL health flag is reported (health 0x%x)", shelf2_health);

	m = nev;
	ok(ctl("quit") == 0, "simulator told to quit");
	int status = 0;
	waitpid(sim_pid, &status, 0);
	sim_pid = -1;
	ok(run_until(all_faulted, NULL),
	   "simulator gone: every shelf on both buses is in FAULT");
	bool kept = has_contents("shelf-3", "2:" T4 " 1:" T3, VAULT_SHELF_FAULT) &&
		    has_contents("shredder-throat", "1:" T5, VAULT_SHELF_FAULT);
	bool no_departure = true;
	for (int i = m; i < nev; i++)
		no_departure = no_departure && strncmp(evlog[i % 512], "DEPARTED", 8);
	ok(kept && no_departure,
	   "contents kept and no departures when the whole bus goes away");
	vault_tagbus_free(buses[0]);
	vault_tagbus_free(buses[1]);
	buses[0] = buses[1] = NULL;
	rmdir(dir);

	/* ---- missing serial device, refused TCP connection ---- */
	nbuses = 0;
	m = nev;
	struct vault_tagbus_config bad = rtu;
	snprintf(bad.device, sizeof bad.device, "/nonexistent/vault-ttyRS485");
	bad.nshelves = 0;
	add_shelf(&bad, 7, "no-device");
	struct vault_tagbus_config refused = tcp;
	refused.port = port; /* the simulator has exited: nothing listens there */
	refused.nshelves = 0;
	add_shelf(&refused, 1, "no-listener");
	ok(vault_tagbus_new(&bad, NULL, loop, on_event, NULL, &buses[0]) == 0 &&
	       vault_tagbus_new(&refused, NULL, loop, on_event, NULL, &buses[1]) == 0,
	   "buses on a missing device and a closed port still start (faults are events)");
	nbuses = 2;
	const char *sb[] = {"FAULT no-device SHELF_BUS_ERROR",
			    "FAULT no-listener SHELF_BUS_ERROR"};
	struct expect x = {m, sb, 2};
	ok(run_until(all_seen, &x),
	   "missing serial device and refused connection: FAULT SHELF_BUS_ERROR");
	settle();
	struct vault_tagbus_stats st = stats_of("no-device");
	vault_tagbus_health(buses[0], &h);
	ok(st.bus_errors >= 2 && st.faults == 1 && nev == m + 2 && !h.connected &&
	       h.last_errno == ENOENT,
	   "reopen attempts counted as bus errors, one FAULT each, health says ENOENT (%llu, "
	   "errno %d)",
	   (unsigned long long)st.bus_errors, h.last_errno);
	vault_tagbus_free(buses[0]);
	vault_tagbus_free(buses[1]);
	buses[0] = buses[1] = NULL;

	/* Config validation. */
	struct vault_tagbus *nb = NULL;
	struct vault_tagbus_config c = rtu;
	c.shelves[1].slave_id = 1;
	int r1 = vault_tagbus_new(&c, NULL, loop, on_event, NULL, &nb);
	c = rtu;
	c.shelves[0].slave_id = 248;
	int r2 = vault_tagbus_new(&c, NULL, loop, on_event, NULL, &nb);
	c = rtu;
	c.nshelves = 0;
	int r3 = vault_tagbus_new(&c, NULL, loop, on_event, NULL, &nb);
	c = tcp;
	c.host[0] = 0;
	int r4 = vault_tagbus_new(&c, NULL, loop, on_event, NULL, &nb);
	ok(r1 == -EINVAL && r2 == -EINVAL && r3 == -EINVAL && r4 == -EINVAL && nb == NULL,
	   "configs with a duplicate id, id 248, no shelves, no host are refused");
	vault_tagbus_free(NULL);

	/* ---- rig 2: the same scenario through the in-process sim backend ---- */
	if (vault_tagsim_new(2, 2, &insim) < 0)
		return tap_done();
	vault_tagsim_add(insim, 1, 4, 64);
	vault_tagsim_add(insim, 2, 4, 64);
	vault_tagsim_add(insim, 3, 2, 64);
	vault_tagsim_add(insim, 10, 1, 64);
	vault_tagsim_add(insim, 11, 1, 64);
	struct vault_tagbus_config sc = {.kind = VAULT_TAGBUS_SIM, .sim = insim};
	add_shelf(&sc, 1, "shelf-1");
	add_shelf(&sc, 2, "shelf-2");
	add_shelf(&sc, 3, "shelf-3");
	add_shelf(&sc, 4, "ghost");
	add_shelf(&sc, 10, "kiosk-pad");
	add_shelf(&sc, 11, "shredder-throat");
	fast(&sc);
	ok(vault_tagbus_new(&sc, NULL, loop, on_event, NULL, &buses[0]) == 0,
	   "sim bus started");
	nbuses = 1;
	scenario("sim", false);
	vault_tagbus_free(buses[0]);

	/* A bus started on a shelf that already holds tags: its first read reports them
	 * as initial arrivals (start-up inventory, not removals or returns). */
	struct vault_tagbus_config one = sc;
	one.nshelves = 0;
	add_shelf(&one, 1, "shelf-1");
	int m2 = nev;
	ok(vault_tagbus_new(&one, NULL, loop, on_event, NULL, &buses[0]) == 0, "second sim bus started");
	const char *si[] = {"ONLINE shelf-1", "ARRIVED shelf-1 3 " T2 " initial",
			    "ARRIVED shelf-1 1 " T6 " initial"};
	ok(expect_exactly(m2, si, 3), "a shelf's contents at start are ARRIVED events marked initial");
	vault_tagbus_free(buses[0]);
	vault_tagsim_free(insim);
	vault_loop_free(loop);
	return tap_done();
}
