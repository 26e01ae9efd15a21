/*
 * jqbox.c - libjq in a helper process, under a budget (see lq_jqbox.h).
 *
 * Protocol over a socketpair, native byte order (parent and child are the
 * same binary):
 *   start      child -> parent  u32 status (0 ok, 1 compile error)
 *                               [u32 slot, u32 line, u32 n, n bytes msg]
 *   request    parent -> child  u32 k, u32 reclen, u32 skiplen, u32 form,
 *                               k x u32 slot, rec, skip
 *              (form 0: rec is JSON text; 1: a value in binary form)
 *   response   child -> parent  k x (u32 slot, u32 n, n bytes value)
 * A value is a jv in a small binary form (enc/dec below), exact for every
 * number, NaN and infinities included, which JSON text is not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jq.h>

#include "lq_jqbox.h"

#define CHUNK 64		/* slots per jq program */
#define MAX_OUT_DEPTH 512	/* nesting of a result the child sends */
#define EX_MEM 70		/* child exit: out of its memory budget */
#define EX_TIME 71		/* child exit: a C loop ignored jq_halt */
#define EX_IO 72		/* child exit: the parent went away */

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

struct lq_jqbox {
	const char *const *texts;
	int n, nchunks;
	const char *prelude;
	struct lq_jqbox_limits lim;
	unsigned char *need;	/* chunks compiled when the child starts */
	pid_t pid;
	int fd;			/* -1: no child */
	long spawns;
	struct lq_buf io;
};

/* ---- values --------------------------------------------------------------- */

static void
put32(struct lq_buf *b, uint32_t v)
{
	lq_buf_add(b, &v, 4);
}

/* Append jv v (borrowed) in binary form; -1 when nested too deep. */
static int
enc(struct lq_buf *b, jv v, int depth)
{
	double d;

	if (depth > MAX_OUT_DEPTH)
		return -1;
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: lq_buf_addc(b, 'n'); return 0;
	case JV_KIND_TRUE: lq_buf_addc(b, 't'); return 0;
	case JV_KIND_FALSE: lq_buf_addc(b, 'f'); return 0;
	case JV_KIND_NUMBER:
		d = jv_number_value(v);
		lq_buf_addc(b, 'd');
		lq_buf_add(b, &d, 8);
		return 0;
	case JV_KIND_STRING:
		lq_buf_addc(b, 's');
		put32(b, (uint32_t)jv_string_length_bytes(jv_copy(v)));
		lq_buf_add(b, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
		return 0;
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));
		lq_buf_addc(b, 'a');
		put32(b, (uint32_t)n);
		for (int i = 0; i < n; i++) {
			jv x = jv_array_get(jv_copy(v), i);
			int rc = enc(b, x, depth + 1);
			jv_free(x);
			if (rc)
				return -1;
		}
		return 0;
	}
	case JV_KIND_OBJECT: {
		lq_buf_addc(b, 'o');
		put32(b, (uint32_t)jv_object_length(jv_copy(v)));
		int rc = 0;
		jv_object_foreach(v, k, x) {
			if (!rc) {
				put32(b, (uint32_t)jv_string_length_bytes(
				    jv_copy(k)));
				lq_buf_add(b, jv_string_value(k),
				    (size_t)jv_string_length_bytes(jv_copy(k)));
				rc = enc(b, x, depth + 1);
			}
			jv_free(k);
			jv_free(x);
		}
		return rc;
	}
	default:
		lq_buf_addc(b, 'n');
		return 0;
	}
}

/* Read a value from p[*i..n); jv_invalid() when the bytes are not one. */
static jv
dec(const char *p, size_t n, size_t *i, int depth)
{
	uint32_t len;
	double d;

	if (*i >= n || depth > MAX_OUT_DEPTH)
		return jv_invalid();
	switch (p[(*i)++]) {
	case 'n': return jv_null();
	case 't': return jv_true();
	case 'f': return jv_false();
	case 'd':
		if (n - *i < 8)
			return jv_invalid();
		memcpy(&d, p + *i, 8);
		*i += 8;
		return jv_number(d);
	case 's':
		if (n - *i < 4)
			return jv_invalid();
		memcpy(&len, p + *i, 4);
		*i += 4;
		if (n - *i < len)
			return jv_invalid();
		*i += len;
		return jv_string_sized(p + *i - len, (int)len);
	case 'a': {
		if (n - *i < 4)
			return jv_invalid();
		memcpy(&len, p + *i, 4);
		*i += 4;
		jv a = jv_array();
		for (uint32_t k = 0; k < len; k++) {
			jv x = dec(p, n, i, depth + 1);
			if (!jv_is_valid(x)) {
				jv_free(a);
				return x;
			}
			a = jv_array_append(a, x);
		}
		return a;
	}
	case 'o': {
		if (n - *i < 4)
			return jv_invalid();
		memcpy(&len, p + *i, 4);
		*i += 4;
		jv o = jv_object();
		for (uint32_t k = 0; k < len; k++) {
			uint32_t kl;
			if (n - *i < 4) {
				jv_free(o);
				return jv_invalid();
			}
			memcpy(&kl, p + *i, 4);
			*i += 4;
			if (n - *i < kl) {
				jv_free(o);
				return jv_invalid();
			}
			jv key = jv_string_sized(p + *i, (int)kl);
			*i += kl;
			jv x = dec(p, n, i, depth + 1);
			if (!jv_is_valid(x)) {
				jv_free(key);
				jv_free(o);
				return x;
			}
			o = jv_object_set(o, key, x);
		}
		return o;
	}
	}
	return jv_invalid();
}

static jv
error_obj(const char *msg)
{
	return jv_object_set(jv_object(), jv_string("error"), jv_string(msg));
}

/* ---- I/O -------------------------------------------------------------------- */

static int
send_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Read n bytes; wait at most ms milliseconds for each piece (-1: for
 * ever).  -1 end of file or error, -2 timed out.
 */
static int
recv_all(int fd, void *p, size_t n, int ms)
{
	char *s = p;

	while (n) {
		if (ms >= 0) {
			struct pollfd pf = { fd, POLLIN, 0 };
			int r = poll(&pf, 1, ms);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				return -2;
		}
		ssize_t g = recv(fd, s, n, 0);
		if (g < 0 && errno == EINTR)
			continue;
		if (g <= 0)
			return -1;
		s += g;
		n -= (size_t)g;
	}
	return 0;
}

/* ---- the child ---------------------------------------------------------- */

struct prog {
	jq_state *jq;		/* NULL: not compiled (or failed) */
	int tried;
	char *err;		/* jq's message when it failed */
	int bad, line;		/* the slot and line it failed at, or -1 */
};

static struct {
	struct lq_jqbox *b;
	struct prog *p;
	volatile sig_atomic_t ticks;
	jq_state *volatile cur;	/* running, for the timer */
	struct lq_buf first;	/* jq's first compile message */
} C;

static void
on_prof(int sig)
{
	(void)sig;
	if (++C.ticks == 1) {
		jq_state *jq = C.cur;
		/* jq_halt with invalid values only sets three fields: safe
		 * here; jq_next stops at its next instruction */
		if (jq && !jq_halted(jq))
			jq_halt(jq, jv_invalid(), jv_invalid());
	} else {
		_exit(EX_TIME);	/* a C loop that never looks at halted */
	}
}

static void
nomem(void *data)
{
	(void)data;
	_exit(EX_MEM);
}

static void
compile_msg(void *data, jv msg)
{
	(void)data;
	if (jv_get_kind(msg) != JV_KIND_STRING)
		msg = jv_dump_string(msg, 0);
	if (!C.first.len)
		lq_buf_adds(&C.first, jv_string_value(msg));
	jv_free(msg);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * The program of slots [lo, hi): the prelude, then a binary search on the
 * slot number $k over "(try [\nTEXT\n] catch {error: .})" leaves.  starts[i]
 * gets the program line where slot lo+i's text begins.
 */
static void
build_tree(struct lq_buf *p, const char *const *texts, int lo, int hi,
    int *line, int *starts, int base)
{
	if (hi - lo == 1) {
		lq_buf_adds(p, "(try [\n");
		(*line)++;
		starts[lo - base] = *line;
		lq_buf_adds(p, texts[lo]);
		*line += count_lines(texts[lo]);
		lq_buf_adds(p, "\n] catch {\"error\": .})");
		(*line)++;
		return;
	}
	int mid = lo + (hi - lo) / 2;
	char t[64];
	snprintf(t, sizeof(t), "(if $k < %d then ", mid);
	lq_buf_adds(p, t);
	build_tree(p, texts, lo, mid, line, starts, base);
	lq_buf_adds(p, " else ");
	build_tree(p, texts, mid, hi, line, starts, base);
	lq_buf_adds(p, " end)");
}

static jq_state *
compile_text(const char *text)
{
	jq_state *jq = jq_init();

	if (!jq)
		_exit(EX_MEM);
	jq_set_error_cb(jq, compile_msg, NULL);
	jq_set_nomem_handler(jq, nomem, NULL);
	lq_buf_reset(&C.first);
	if (!jq_compile(jq, text)) {
		jq_teardown(&jq);
		return NULL;
	}
	return jq;
}

/* "jq: error: MSG at <top-level>, line N:" -> MSG, N (0: none) */
static char *
clean_msg(const char *raw, int *line)
{
	const char *p = raw, *at;
	struct lq_buf m = LQ_BUF_INIT;

	*line = 0;
	if (!strncmp(p, "jq: error: ", 11))
		p += 11;
	at = strstr(p, " at <top-level>, line ");
	if (at) {
		*line = atoi(at + 22);
		lq_buf_add(&m, p, (size_t)(at - p));
	} else {
		const char *nl = strchr(p, '\n');
		lq_buf_add(&m, p, nl ? (size_t)(nl - p) : strlen(p));
	}
	while (m.len && (m.buf[m.len - 1] == '\n' || m.buf[m.len - 1] == ':'))
		m.buf[--m.len] = 0;
	if (!m.buf)
		lq_buf_adds(&m, "compile error");
	return m.buf;
}

static void
compile_chunk(int c)
{
	struct lq_jqbox *b = C.b;
	struct prog *pr = &C.p[c];
	int lo = c * CHUNK, hi = lo + CHUNK < b->n ? lo + CHUNK : b->n;
	int starts[CHUNK], line;
	struct lq_buf p = LQ_BUF_INIT;

	pr->tried = 1;
	pr->bad = -1;
	lq_buf_adds(&p, b->prelude);
	lq_buf_adds(&p, "{} as $ENV | . as [$k, $r] | $r | ");
	line = 1 + count_lines(p.buf);
	build_tree(&p, b->texts, lo, hi, &line, starts, lo);
	pr->jq = compile_text(p.buf);
	lq_buf_release(&p);
	if (pr->jq)
		return;
	int at;
	pr->err = clean_msg(C.first.len ? C.first.buf : "compile error", &at);
	/* the slot whose text holds jq's line */
	for (int i = hi - lo - 1; at && i >= 0; i--) {
		if (at >= starts[i]) {
			pr->bad = lo + i;
			pr->line = at - starts[i] + 1;
			return;
		}
	}
	/* no line: compile the slots one at a time */
	for (int s = lo; s < hi; s++) {
		int l2 = 1, st[1];
		lq_buf_adds(&p, b->prelude);
		lq_buf_adds(&p, "{} as $ENV | . as [$k, $r] | $r | ");
		l2 += count_lines(p.buf);
		build_tree(&p, b->texts, s, s + 1, &l2, st, s);
		jq_state *jq = compile_text(p.buf);
		lq_buf_release(&p);
		if (jq) {
			jq_teardown(&jq);
			continue;
		}
		free(pr->err);
		pr->err = clean_msg(C.first.len ? C.first.buf :
		    "compile error", &at);
		pr->bad = s;
		pr->line = at ? at - st[0] + 1 : 0;
		return;
	}
	pr->bad = lo;
	pr->line = 0;
}

static void
child_send_result(int fd, uint32_t slot, jv v, struct lq_buf *o)
{
	size_t mark;

	lq_buf_reset(o);
	put32(o, slot);
	put32(o, 0);
	mark = o->len;
	if (enc(o, v, 0) < 0) {
		jv e = error_obj("the result is nested deeper than 512 levels");
		o->len = mark;
		enc(o, e, 0);
		jv_free(e);
	}
	uint32_t n = (uint32_t)(o->len - mark);
	memcpy(o->buf + 4, &n, 4);
	if (send_all(fd, o->buf, o->len) < 0)
		_exit(EX_IO);
}

static jv
run_slot(int s, jv rec)
{
	struct lq_jqbox *b = C.b;
	struct prog *pr = &C.p[s / CHUNK];
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	jv r;

	if (!pr->tried)
		compile_chunk(s / CHUNK);
	if (!pr->jq) {
		jv_free(rec);
		char m[1200];
		snprintf(m, sizeof(m), "jq: %s", pr->err);
		return error_obj(m);
	}
	jq_start(pr->jq, JV_ARRAY(jv_number(s), rec), 0);
	if (b->lim.cpu > 0) {
		double c = b->lim.cpu;
		it.it_value.tv_sec = it.it_interval.tv_sec = (time_t)c;
		it.it_value.tv_usec = it.it_interval.tv_usec =
		    (suseconds_t)((c - floor(c)) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = it.it_interval.tv_usec = 1;
	}
	C.ticks = 0;
	C.cur = pr->jq;
	setitimer(ITIMER_PROF, &it, NULL);
	r = jq_next(pr->jq);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_PROF, &it, NULL);
	C.cur = NULL;
	if (jq_halted(pr->jq)) {
		char m[200];
		jv_free(r);
		snprintf(m, sizeof(m), "stopped after %g s of CPU time, the "
		    "budget of an expression on one record (limits: time)",
		    b->lim.cpu);
		r = error_obj(m);
	} else if (!jv_is_valid(r)) {
		jv m = jv_invalid_get_msg(r);
		r = jv_get_kind(m) == JV_KIND_STRING ? error_obj(jv_string_value(
		    m)) : error_obj("no result");
		jv_free(m);
	}
	return r;
}

static void
child_main(struct lq_jqbox *b, int fd)
{
	struct lq_buf in = LQ_BUF_INIT, o = LQ_BUF_INIT;
	struct sigaction sa;
	struct rlimit rl;

	C.b = b;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* the helper reads and writes its socket only */
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	close_range(4, ~0U, 0);	/* input files, the ledger, ... */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prof;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPROF, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGINT, SIG_IGN);	/* the tool decides about ^C */
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
	/* room for libjq's recursion over deep values (jv_free, dump) */
	if (!getrlimit(RLIMIT_STACK, &rl)) {
		rlim_t want = 96UL << 20;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
			want = rl.rlim_max;
		if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur < want) {
			rl.rlim_cur = want;
			setrlimit(RLIMIT_STACK, &rl);
		}
	}
	if (b->lim.memory && !SANITIZED) {
		/* the address space the tool had, plus the budget */
		long pages = 0, page = sysconf(_SC_PAGESIZE);
		FILE *f = fopen("/proc/self/statm", "r");
		if (f) {
			if (fscanf(f, "%ld", &pages) != 1)
				pages = 0;
			fclose(f);
		}
		rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)page +
		    b->lim.memory;
		setrlimit(RLIMIT_AS, &rl);
	}
	C.p = calloc((size_t)b->nchunks, sizeof(*C.p));
	if (!C.p)
		_exit(EX_MEM);

	/* compile what the tool needs at once, within the compile budget */
	if (b->lim.compile > 0)
		alarm((unsigned)ceil(b->lim.compile));
	uint32_t st = 0, bad = 0, line = 0;
	const char *msg = NULL;
	for (int c = 0; c < b->nchunks && !msg; c++) {
		if (!b->need[c])
			continue;
		compile_chunk(c);
		if (!C.p[c].jq) {
			msg = C.p[c].err;
			bad = (uint32_t)C.p[c].bad;
			line = (uint32_t)C.p[c].line;
			st = 1;
		}
	}
	alarm(0);
	lq_buf_reset(&o);
	put32(&o, st);
	if (st) {
		put32(&o, bad);
		put32(&o, line);
		put32(&o, (uint32_t)strlen(msg));
		lq_buf_adds(&o, msg);
	}
	if (send_all(fd, o.buf, o.len) < 0)
		_exit(EX_IO);

	for (;;) {
		uint32_t h[4];
		if (recv_all(fd, h, sizeof(h), -1) < 0)
			_exit(0);	/* the tool is done */
		size_t need = (size_t)h[0] * 4 + h[1] + h[2];
		lq_buf_reset(&in);
		lq_buf_grow(&in, need + 1);
		if (recv_all(fd, in.buf, need, -1) < 0)
			_exit(0);
		in.len = need;
		const uint32_t *slots = (const uint32_t *)in.buf;
		const char *rec = in.buf + (size_t)h[0] * 4;
		jv r;
		if (h[3]) {
			size_t at = 0;
			r = dec(rec, h[1], &at, 0);
		} else {
			r = jv_parse_sized(rec, (int)h[1]);
		}
		if (h[2] && jv_get_kind(r) == JV_KIND_OBJECT)
			r = jv_object_delete(r, jv_string_sized(rec + h[1],
			    (int)h[2]));
		for (uint32_t i = 0; i < h[0]; i++) {
			uint32_t s;
			memcpy(&s, slots + i, 4);
			jv v;
			if (!jv_is_valid(r)) {
				jv m = jv_invalid_get_msg(jv_copy(r));
				v = error_obj(jv_get_kind(m) == JV_KIND_STRING ?
				    jv_string_value(m) : "cannot parse record");
				jv_free(m);
			} else if ((int)s >= b->n) {
				v = error_obj("no such expression");
			} else {
				v = run_slot((int)s, jv_copy(r));
			}
			child_send_result(fd, s, v, &o);
			jv_free(v);
		}
		jv_free(r);
	}
}

/* ---- the parent ------------------------------------------------------------ */

struct lq_jqbox *
lq_jqbox_new(const char *const *texts, int n, const char *prelude,
    const struct lq_jqbox_limits *lim)
{
	struct lq_jqbox *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->texts = texts;
	b->n = n;
	b->nchunks = (n + CHUNK - 1) / CHUNK;
	b->prelude = prelude;
	b->lim = *lim;
	b->fd = -1;
	b->pid = -1;
	b->need = calloc((size_t)b->nchunks + 1, 1);
	if (!b->need) {
		free(b);
		return NULL;
	}
	return b;
}

static void
stop(struct lq_jqbox *b, int *status)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	if (b->pid > 0) {
		int st = 0;
		if (!status)
			kill(b->pid, SIGKILL);
		while (waitpid(b->pid, &st, 0) < 0 && errno == EINTR)
			;
		if (status)
			*status = st;
	}
	b->pid = -1;
}

void
lq_jqbox_free(struct lq_jqbox *b)
{
	if (!b)
		return;
	stop(b, NULL);
	free(b->need);
	lq_buf_release(&b->io);
	free(b);
}

/* Why the child ended (status from waitpid), for a message. */
static void
death(const struct lq_jqbox *b, int st, char *m, size_t n)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == EX_MEM)
		snprintf(m, n, "stopped when it needed more than %zu MiB of "
		    "memory, the budget (limits: memory)", b->lim.memory >> 20);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == EX_TIME)
		snprintf(m, n, "stopped after %g s of CPU time, the budget of "
		    "an expression on one record (limits: time)", 2 *
		    b->lim.cpu);
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		snprintf(m, n, "stopped: no answer from jq in time (limits: "
		    "time)");
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(m, n, "jq took more than %g s to compile the "
		    "expressions (limits: compile)", b->lim.compile);
	else if (WIFSIGNALED(st))
		snprintf(m, n, "jq crashed (%s; a stack overflow on a deeply "
		    "nested value?)", strsignal(WTERMSIG(st)));
	else
		snprintf(m, n, "jq's helper process failed (exit status %d)",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* wait for the child's answers: generous, the budget is CPU time */
static int
wall_ms(const struct lq_jqbox *b, double secs)
{
	double ms = 30000 + 10000 * secs;

	return ms > 3600000 ? 3600000 : (int)ms;
}

static int
spawn(struct lq_jqbox *b, int *bad, int *line, struct lq_buf *msg,
    struct lq_err *err)
{
	int sv[2];
	uint32_t st;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return lq_err_set(err, LQ_EXIT_IO, "jq helper: %s",
		    strerror(errno));
	fflush(NULL);	/* nothing buffered is written twice */
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return lq_err_set(err, LQ_EXIT_IO, "jq helper: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(b, sv[1]);
		_exit(0);
	}
	close(sv[1]);
	b->pid = pid;
	b->fd = sv[0];
	b->spawns++;
	int rc = recv_all(b->fd, &st, 4, wall_ms(b, b->lim.compile));
	if (rc < 0) {
		int ws = 0;
		char m[300];
		if (rc == -2)
			kill(b->pid, SIGKILL);
		stop(b, &ws);
		death(b, ws, m, sizeof(m));
		return lq_err_set(err, LQ_EXIT_USAGE, "jq: %s", m);
	}
	if (st) {
		uint32_t h[3];
		if (recv_all(b->fd, h, sizeof(h), wall_ms(b, 0)) < 0) {
			stop(b, NULL);
			return lq_err_set(err, LQ_EXIT_USAGE, "jq: compile error");
		}
		lq_buf_reset(msg);
		lq_buf_grow(msg, h[2] + 1);
		if (recv_all(b->fd, msg->buf, h[2], wall_ms(b, 0)) < 0) {
			stop(b, NULL);
			return lq_err_set(err, LQ_EXIT_USAGE, "jq: compile error");
		}
		msg->len = h[2];
		msg->buf[msg->len] = 0;
		*bad = (int)h[0];
		*line = (int)h[1];
		stop(b, NULL);
		return lq_err_set(err, LQ_EXIT_USAGE, "jq: %s", msg->buf);
	}
	return 0;
}

int
lq_jqbox_start(struct lq_jqbox *b, const unsigned char *need, int *bad,
    int *line, struct lq_buf *msg, struct lq_err *err)
{
	*bad = -1;
	*line = 0;
	for (int i = 0; i < b->n; i++)
		if (need[i])
			b->need[i / CHUNK] = 1;
	stop(b, NULL);
	return spawn(b, bad, line, msg, err);
}

static int run(struct lq_jqbox *b, const char *rec, size_t len, int form,
    const char *skipkey, const int *slots, int k, jv *out,
    struct lq_err *err);

int
lq_jqbox_run(struct lq_jqbox *b, const char *rec, size_t len,
    const char *skipkey, const int *slots, int k, jv *out,
    struct lq_err *err)
{
	return run(b, rec, len, 0, skipkey, slots, k, out, err);
}

int
lq_jqbox_run_jv(struct lq_jqbox *b, jv rec, const int *slots, int k,
    jv *out, struct lq_err *err)
{
	struct lq_buf e = LQ_BUF_INIT;
	int rc;

	if (enc(&e, rec, 0) < 0) {
		lq_buf_release(&e);
		return lq_err_set(err, LQ_EXIT_RECORDS, "record nested deeper "
		    "than %d levels", MAX_OUT_DEPTH);
	}
	rc = run(b, e.buf, e.len, 1, NULL, slots, k, out, err);
	lq_buf_release(&e);
	return rc;
}

static int
run(struct lq_jqbox *b, const char *rec, size_t len, int form,
    const char *skipkey, const int *slots, int k, jv *out,
    struct lq_err *err)
{
	size_t skl = skipkey ? strlen(skipkey) : 0;
	int done = 0;

	if (len > UINT32_MAX / 2)
		return lq_err_set(err, LQ_EXIT_RECORDS, "record too long for "
		    "jq (%zu bytes)", len);
	while (done < k) {
		int bad, line;
		if (b->fd < 0) {
			/* compile errors were reported at start: only a
			 * failure to start can stop us here */
			struct lq_buf m = LQ_BUF_INIT;
			int rc = spawn(b, &bad, &line, &m, err);
			lq_buf_release(&m);
			if (rc < 0) {
				for (int i = 0; i < done; i++)
					jv_free(out[i]);
				return -1;
			}
		}
		struct lq_buf *o = &b->io;
		lq_buf_reset(o);
		put32(o, (uint32_t)(k - done));
		put32(o, (uint32_t)len);
		put32(o, (uint32_t)skl);
		put32(o, (uint32_t)form);
		for (int i = done; i < k; i++)
			put32(o, (uint32_t)slots[i]);
		lq_buf_add(o, rec, len);
		if (skl)
			lq_buf_add(o, skipkey, skl);
		int ok = send_all(b->fd, o->buf, o->len) == 0;
		while (ok && done < k) {
			uint32_t h[2];
			int rc = recv_all(b->fd, h, sizeof(h),
			    wall_ms(b, b->lim.cpu));
			if (rc == 0) {
				lq_buf_reset(o);
				lq_buf_grow(o, h[1] + 1);
				rc = recv_all(b->fd, o->buf, h[1],
				    wall_ms(b, b->lim.cpu));
			}
			if (rc < 0) {
				if (rc == -2)
					kill(b->pid, SIGKILL);
				ok = 0;
				break;
			}
			size_t i = 0;
			jv v = dec(o->buf, h[1], &i, 0);
			if (!jv_is_valid(v) || (int)h[0] != slots[done])
				v = error_obj("jq's helper sent a bad answer");
			out[done++] = v;
		}
		if (!ok) {
			/* the child died on slots[done]: say why, and go on
			 * with the others in a new one */
			int st = 0;
			char m[300];
			stop(b, &st);
			death(b, st, m, sizeof(m));
			out[done++] = error_obj(m);
		}
	}
	return 0;
}
