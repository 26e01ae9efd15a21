/*
 * enrich_source.c - live sources of lq-enrich (lq-enrich(1), SOURCES): a
 * co-process (one key a line in, one JSON object or null a line out) or an
 * HTTP API through libcurl.  Each lookup has a deadline; the source never
 * blocks past it and never takes the run down: a failure is a message for
 * enrich.errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lq_enrich.h"

#define MAX_ANSWER (1 << 20)	/* bytes of one answer */
#define BACKOFF_MIN 0.05	/* seconds before the first restart */
#define BACKOFF_MAX 30.0

/* what a transfer has received */
struct got {
	struct lq_buf body;
	double retry_after;	/* a Retry-After in seconds, or -1 */
	int toolarge;		/* the body passed MAX_ANSWER */
};

struct lq_esource {
	struct lq_esource_opts o;
	struct lq_buf msg;	/* scratch */
	/* command */
	pid_t pid;
	int to, from;		/* pipes to and from the co-process */
	struct lq_buf rbuf;	/* bytes read, not yet a whole line */
	double restart_at, backoff;
	int fresh;		/* started, no answer yet */
	char last_exit[96];	/* why it went down */
	/* http */
	CURL *curl;
	struct curl_slist *hdr;
	struct got got;		/* of the last response */
	double next_at;		/* rate limit: earliest next request */
	double budget_left;	/* of the current lookup, past its timeout */
	/* http, concurrent: a multi handle and its transfers (kept for
	   connection reuse) */
	CURLM *multi;
	struct xfer *xf;
	long nxf;
	double hold_until;	/* a 429's Retry-After: no request before */
	struct lq_buf wbuf;	/* command: keys written ahead, not yet sent */
};

/* one transfer of lq_esource_lookup_many() */
struct xfer {
	CURL *h;
	struct got got;
	struct lq_buf url;
	long idx;		/* its key, or -1: free */
	int attempt, active;
	double start_at, deadline;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* "2s", "250ms": a duration for messages */
static void
fmt_secs(char *buf, size_t n, double s)
{
	if (s < 1)
		snprintf(buf, n, "%.0fms", s * 1000);
	else
		snprintf(buf, n, "%gs", round(s * 100) / 100);
}

/* Is name an executable file (searched in PATH when it has no slash)? */
static int
executable(const char *name)
{
	const char *path, *p, *e;
	char buf[4096];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	path = getenv("PATH");
	for (p = path ? path : "/usr/bin:/bin"; ; p = e + 1) {
		struct stat sb;
		e = strchr(p, ':');
		int len = e ? (int)(e - p) : (int)strlen(p);
		snprintf(buf, sizeof(buf), "%.*s/%s", len, len ? p : ".", name);
		if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(buf, X_OK) == 0)
			return 1;
		if (!e)
			return 0;
	}
}

/* ---- the co-process --------------------------------------------------- */

static void
cmd_stop(struct lq_esource *s, int kill_it)
{
	int st;

	if (s->pid <= 0)
		return;
	close(s->to);
	close(s->from);
	s->to = s->from = -1;
	if (kill_it)
		kill(s->pid, SIGKILL);
	else {
		/* closed input: give it a moment to finish, then kill */
		for (int i = 0; i < 50; i++) {
			if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
				s->pid = 0;
				return;
			}
			sleep_s(0.01);
		}
		kill(s->pid, SIGKILL);
	}
	while (waitpid(s->pid, &st, 0) == -1 && errno == EINTR)
		;
	s->pid = 0;
}

/* The co-process went down (why): restart after a growing pause. */
static void
cmd_down(struct lq_esource *s, const char *why, int kill_it)
{
	int st = 0;
	pid_t pid = s->pid;

	close(s->to);
	close(s->from);
	s->to = s->from = -1;
	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	s->pid = 0;
	if (why)
		snprintf(s->last_exit, sizeof(s->last_exit), "%s", why);
	else if (WIFEXITED(st))
		snprintf(s->last_exit, sizeof(s->last_exit), "co-process "
		    "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(s->last_exit, sizeof(s->last_exit), "co-process "
		    "killed by signal %d", WTERMSIG(st));
	else
		snprintf(s->last_exit, sizeof(s->last_exit), "co-process "
		    "ended");
	s->backoff = s->backoff ? s->backoff * 2 : BACKOFF_MIN;
	if (s->backoff > BACKOFF_MAX)
		s->backoff = BACKOFF_MAX;
	s->restart_at = mono() + s->backoff;
	lq_buf_reset(&s->rbuf);
}

static int
cmd_start(struct lq_esource *s, struct lq_buf *why)
{
	int in[2], out[2], ep[2], e = 0;
	ssize_t r;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(ep, O_CLOEXEC)) {
		lq_buf_addf(why, "cannot start the co-process: %s",
		    strerror(errno));
		return -1;
	}
	s->pid = fork();
	if (s->pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		execvp(s->o.argv[0], s->o.argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(ep[1]);
	if (s->pid < 0) {
		e = errno;
		close(in[1]);
		close(out[0]);
		close(ep[0]);
		s->pid = 0;
		lq_buf_addf(why, "cannot start the co-process: %s",
		    strerror(e));
		return -1;
	}
	while ((r = read(ep[0], &e, sizeof(e))) == -1 && errno == EINTR)
		;
	close(ep[0]);
	s->to = in[1];
	s->from = out[0];
	fcntl(s->to, F_SETFL, O_NONBLOCK);
	fcntl(s->from, F_SETFL, O_NONBLOCK);
	if (r == (ssize_t)sizeof(e)) {
		char m[96];
		snprintf(m, sizeof(m), "cannot run %s: %s", s->o.argv[0],
		    strerror(e));
		cmd_down(s, m, 0);
		lq_buf_adds(why, m);
		return -1;
	}
	lq_buf_reset(&s->rbuf);
	s->fresh = 1;
	return 0;
}

/* Wait for fd to be ready for ev until the monotonic time deadline. */
static int
wait_fd(int fd, short ev, double deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };

	for (;;) {
		double left = deadline - mono();
		int r;
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)ceil(left * 1000));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int
cmd_lookup(struct lq_esource *s, const char *k, size_t n, double deadline,
    struct lq_buf *answer, struct lq_buf *why)
{
	size_t off = 0;
	char *nl;

	if (s->pid <= 0) {
		double now = mono();
		if (s->restart_at > now) {
			char t[32];
			if (s->restart_at > deadline) {
				fmt_secs(t, sizeof(t), s->restart_at - now);
				lq_buf_addf(why, "%s; restart in %s",
				    s->last_exit, t);
				return -1;
			}
			sleep_s(s->restart_at - now);
		}
		if (cmd_start(s, why))
			return -1;
	}
	/* the first answer after a start may take the start-up time too */
	if (s->fresh && s->o.startup > s->o.timeout)
		deadline += fmin(s->o.startup - s->o.timeout, s->budget_left);
	/* the key and a newline */
	lq_buf_reset(&s->msg);
	lq_buf_add(&s->msg, k, n);
	lq_buf_addc(&s->msg, '\n');
	while (off < s->msg.len) {
		ssize_t w = write(s->to, s->msg.buf + off, s->msg.len - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			int r = wait_fd(s->to, POLLOUT, deadline);
			if (r > 0)
				continue;
			if (r == 0) {
				cmd_down(s, "co-process did not read its "
				    "input in time (killed)", 1);
				lq_buf_adds(why, "timeout: the co-process did "
				    "not read the key (killed, restarted)");
				return -1;
			}
		}
		cmd_down(s, NULL, 1);
		lq_buf_adds(why, s->last_exit);
		return -1;
	}
	/* one line back */
	while (!(nl = s->rbuf.len ? memchr(s->rbuf.buf, '\n', s->rbuf.len) :
	    NULL)) {
		char chunk[65536];
		ssize_t r = read(s->from, chunk, sizeof(chunk));
		if (r > 0) {
			lq_buf_add(&s->rbuf, chunk, (size_t)r);
			if (s->rbuf.len > MAX_ANSWER) {
				cmd_down(s, "co-process answer too long "
				    "(killed)", 1);
				lq_buf_adds(why, "answer longer than 1 MiB "
				    "(co-process killed, restarted)");
				return -1;
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			int w = wait_fd(s->from, POLLIN, deadline);
			if (w > 0)
				continue;
			if (w == 0) {
				char t[32];
				fmt_secs(t, sizeof(t), s->fresh ?
				    fmax(s->o.timeout, s->o.startup) :
				    s->o.timeout);
				cmd_down(s, "co-process did not answer in time "
				    "(killed)", 1);
				lq_buf_addf(why, "timeout: no answer within %s "
				    "(co-process killed, restarted)", t);
				return -1;
			}
		}
		cmd_down(s, NULL, 0);
		lq_buf_adds(why, s->last_exit);
		return -1;
	}
	lq_buf_reset(answer);
	lq_buf_add(answer, s->rbuf.buf, (size_t)(nl - s->rbuf.buf));
	if (answer->len && answer->buf[answer->len - 1] == '\r')
		answer->buf[--answer->len] = 0;
	memmove(s->rbuf.buf, nl + 1, s->rbuf.len - (size_t)(nl + 1 -
	    s->rbuf.buf));
	s->rbuf.len -= (size_t)(nl + 1 - s->rbuf.buf);
	s->backoff = 0;
	s->fresh = 0;
	return 1;
}

/* ---- http ------------------------------------------------------------- */

/* curl's write callback: the body into the struct got arg */
static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct got *g = arg;
	size_t n = size * nmemb;

	if (g->body.len + n > MAX_ANSWER) {
		g->toolarge = 1;
		return 0;
	}
	lq_buf_add(&g->body, p, n);
	return n;
}

/* a Retry-After header line p[0..n): its seconds in *ra */
static void
retry_after(const char *p, size_t n, double *ra)
{
	char v[128];

	if (n > 12 && !strncasecmp(p, "retry-after:", 12)) {
		size_t vn = n - 12;
		char *end;
		double d;
		if (vn >= sizeof(v))
			vn = sizeof(v) - 1;
		memcpy(v, p + 12, vn);
		v[vn] = 0;
		v[strcspn(v, "\r\n")] = 0;
		d = strtod(v, &end);
		if (end != v && d >= 0 && isfinite(d)) {
			*ra = d;
		} else {
			time_t t = curl_getdate(v + strspn(v, " \t"), NULL);
			if (t != (time_t)-1)
				*ra = fmax(0, (double)t - (double)time(NULL));
		}
	}
}

/* curl's header callback: a Retry-After into the struct got arg */
static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct got *g = arg;

	retry_after(p, size * nmemb, &g->retry_after);
	return size * nmemb;
}

/* Ready g for a new request of h with left seconds to go. */
static void
got_reset(struct got *g, CURL *h, double left)
{
	lq_buf_reset(&g->body);
	g->retry_after = -1;
	g->toolarge = 0;
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ceil(left * 1000));
}

#define HTTP_RETRY 2	/* http_end(): ask again */

/*
 * The end of attempt (0: the first) of a request of h that finished with
 * cc at now, g what it received: 1 an answer (in answer), 0 none (404,
 * 204), -1 failed (why says why), or HTTP_RETRY: ask again in *wait
 * seconds, which ends before deadline.
 */
static int
http_end(struct lq_esource *s, CURL *h, CURLcode cc, const struct got *g,
    int attempt, double now, double deadline, double *wait,
    struct lq_buf *answer, struct lq_buf *why)
{
	long status = 0;
	char t[32];

	if (cc != CURLE_OK) {
		if (g->toolarge)
			lq_buf_adds(why, "answer longer than 1 MiB");
		else if (cc == CURLE_OPERATION_TIMEDOUT) {
			fmt_secs(t, sizeof(t), s->o.timeout);
			lq_buf_addf(why, "timeout: no answer within %s", t);
		} else
			lq_buf_addf(why, "http: %s", curl_easy_strerror(cc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		lq_buf_reset(answer);
		lq_buf_add(answer, g->body.buf ? g->body.buf : "",
		    g->body.len);
		if (!answer->buf)
			lq_buf_adds(answer, "");
		return 1;
	}
	if (status == 404 || status == 204)
		return 0;
	if ((status == 429 || status >= 500) && attempt < (int)s->o.retries) {
		*wait = g->retry_after >= 0 ? g->retry_after :
		    0.25 * pow(2, attempt);
		if (now + *wait < deadline)
			return HTTP_RETRY;
		fmt_secs(t, sizeof(t), *wait);
		lq_buf_addf(why, "http %ld; a retry in %s would pass the "
		    "timeout", status, t);
		return -1;
	}
	if (status == 429 || status >= 500)
		lq_buf_addf(why, "http %ld after %d %s", status, attempt + 1,
		    attempt ? "attempts" : "attempt");
	else
		lq_buf_addf(why, "http %ld", status);
	return -1;
}

/* the URL: the template with {key} replaced by the URL-encoded key */
static void
make_url(struct lq_esource *s, const char *k, size_t n, struct lq_buf *url)
{
	const char *t = s->o.url, *m;
	char *enc = curl_easy_escape(s->curl, k, (int)n);

	lq_buf_reset(url);
	while ((m = strstr(t, "{key}"))) {
		lq_buf_add(url, t, (size_t)(m - t));
		lq_buf_adds(url, enc ? enc : "");
		t = m + 5;
	}
	lq_buf_adds(url, t);
	curl_free(enc);
}

static int
http_lookup(struct lq_esource *s, const char *k, size_t n, double deadline,
    struct lq_buf *answer, struct lq_buf *why)
{
	struct lq_buf url = LQ_BUF_INIT;
	int rc = -1;

	make_url(s, k, n, &url);
	curl_easy_setopt(s->curl, CURLOPT_URL, url.buf);
	for (int attempt = 0; ; attempt++) {
		double now = mono(), left, wait;
		CURLcode cc;

		if (s->o.rate > 0 && s->next_at > now) {
			if (s->next_at >= deadline) {
				lq_buf_adds(why, "timeout: waiting for the "
				    "rate limit");
				break;
			}
			sleep_s(s->next_at - now);
			now = mono();
		}
		if (s->o.rate > 0)
			s->next_at = now + 1.0 / s->o.rate;
		left = deadline - now;
		if (left <= 0.001) {
			lq_buf_adds(why, "timeout");
			break;
		}
		got_reset(&s->got, s->curl, left);
		cc = curl_easy_perform(s->curl);
		rc = http_end(s, s->curl, cc, &s->got, attempt, mono(),
		    deadline, &wait, answer, why);
		if (rc != HTTP_RETRY)
			break;
		rc = -1;
		sleep_s(wait);
	}
	lq_buf_release(&url);
	return rc;
}

/* the options every transfer of source s has */
static void
setup_easy(struct lq_esource *s, CURL *h, struct got *arg)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, arg);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, arg);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "lq-enrich");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
}

/* ---- many lookups at once --------------------------------------------- */

static void
res_fail(struct lq_eresult *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
res_fail(struct lq_eresult *r, const char *fmt, ...)
{
	va_list ap;
	char m[256];

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	r->rc = -1;
	lq_buf_reset(&r->why);
	lq_buf_adds(&r->why, m);
}

/* The transfer x ended with cc: its key's outcome, or a retry. */
static int
http_done(struct lq_esource *s, struct xfer *x, CURLcode cc,
    struct lq_eresult *r)
{
	long status = 0;
	double now = mono(), wait;

	lq_buf_reset(&r->why);
	r->rc = http_end(s, x->h, cc, &x->got, x->attempt, now, x->deadline,
	    &wait, &r->answer, &r->why);
	if (r->rc != HTTP_RETRY)
		return 1;
	r->rc = -1;
	x->attempt++;
	x->start_at = now + wait;
	/* a server that says when to come back: nobody asks it before then */
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 429 && x->got.retry_after >= 0 &&
	    now + wait > s->hold_until)
		s->hold_until = now + wait;
	return 0;
}

static void
http_many(struct lq_esource *s, size_t n, const char *const *k,
    const size_t *kn, double budget_end, struct lq_eresult *res)
{
	size_t next = 0, done = 0;

	if (!s->multi) {
		if (!(s->multi = curl_multi_init()))
			abort();
		s->nxf = s->o.concurrency > 0 ? s->o.concurrency : 1;
		if (!(s->xf = calloc((size_t)s->nxf, sizeof(*s->xf))))
			abort();
		curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
		    s->nxf);
		for (long i = 0; i < s->nxf; i++) {
			struct xfer *x = &s->xf[i];
			if (!(x->h = curl_easy_init()))
				abort();
			setup_easy(s, x->h, &x->got);
			x->idx = -1;
		}
	}
	while (done < n) {
		double now = mono(), wake = now + 0.2;
		int running = 0, left;
		CURLMsg *msg;

		for (long i = 0; i < s->nxf; i++) {
			struct xfer *x = &s->xf[i];
			double lim;
			if (x->idx < 0 && next < n) {
				x->idx = (long)next++;
				x->attempt = 0;
				x->start_at = now;
				lim = fmin(s->o.timeout, budget_end - now);
				x->deadline = now + lim;
				make_url(s, k[x->idx], kn[x->idx], &x->url);
			}
			if (x->idx < 0 || x->active)
				continue;
			if (x->start_at > now || s->hold_until > now ||
			    (s->o.rate > 0 && s->next_at > now)) {
				double at = fmax(x->start_at, fmax(s->hold_until,
				    s->o.rate > 0 ? s->next_at : 0));
				if (at >= x->deadline) {
					res_fail(&res[x->idx], s->o.rate > 0 &&
					    s->next_at >= x->deadline ?
					    "timeout: waiting for the rate limit" :
					    "timeout");
					x->idx = -1;
					done++;
					i--;	/* the slot takes the next key */
					continue;
				}
				wake = fmin(wake, at);
				continue;
			}
			if (s->o.rate > 0)
				s->next_at = now + 1.0 / s->o.rate;
			if (x->deadline - now <= 0.001) {
				res_fail(&res[x->idx], "timeout");
				x->idx = -1;
				done++;
				i--;
				continue;
			}
			got_reset(&x->got, x->h, x->deadline - now);
			curl_easy_setopt(x->h, CURLOPT_URL, x->url.buf);
			curl_multi_add_handle(s->multi, x->h);
			x->active = 1;
		}
		if (done >= n)
			break;
		curl_multi_perform(s->multi, &running);
		while ((msg = curl_multi_info_read(s->multi, &left))) {
			struct xfer *x = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			for (long i = 0; i < s->nxf; i++)
				if (s->xf[i].h == msg->easy_handle)
					x = &s->xf[i];
			if (!x)
				continue;
			CURLcode cc = msg->data.result;
			curl_multi_remove_handle(s->multi, x->h);
			x->active = 0;
			if (http_done(s, x, cc, &res[x->idx])) {
				x->idx = -1;
				done++;
			}
		}
		if (done >= n)
			break;
		now = mono();
		int ms = (int)ceil((wake - now) * 1000);
		if (ms < 0)
			ms = 0;
		/* a finished transfer frees its slot at once */
		for (long i = 0; i < s->nxf; i++)
			if (s->xf[i].idx < 0 && next < n)
				ms = 0;
		if (running || ms > 0)
			curl_multi_poll(s->multi, NULL, 0, ms, NULL);
	}
}

/*
 * The co-process, pipelined: up to the concurrency keys written ahead,
 * answers read in order; each answer has the timeout from when it could
 * first come (its key written, the answer before it read).  When the
 * co-process goes down, the keys written after the one it failed are
 * asked again of the restarted one.
 */
static void
cmd_many(struct lq_esource *s, size_t n, const char *const *k,
    const size_t *kn, double budget_end, struct lq_eresult *res)
{
	size_t next = 0, done = 0, woff = 0;
	long limit = s->o.concurrency > 0 ? s->o.concurrency : 1;
	double since = 0;	/* when the next answer could first come */

	while (done < n) {
		double now = mono(), deadline;
		char *nl;

		if (s->pid <= 0 || next == done) {
			/* nothing in flight: one lookup the plain way, which
			   (re)starts the co-process as it must */
			if (s->pid <= 0) {
				double t = fmin(s->o.timeout, budget_end - now);
				struct lq_eresult *r = &res[done];
				if (t <= 0) {
					res_fail(r, "timeout");
					done++;
					continue;
				}
				s->budget_left = budget_end - now - t;
				lq_buf_reset(&r->why);
				r->rc = cmd_lookup(s, k[done], kn[done], now + t,
				    &r->answer, &r->why);
				done++;
				next = done;
				lq_buf_reset(&s->wbuf);
				woff = 0;
				since = mono();
				continue;
			}
			since = now;
		}
		/* write ahead */
		while (next < n && (long)(next - done) < limit) {
			lq_buf_add(&s->wbuf, k[next], kn[next]);
			lq_buf_addc(&s->wbuf, '\n');
			next++;
		}
		while (woff < s->wbuf.len) {
			ssize_t w = write(s->to, s->wbuf.buf + woff,
			    s->wbuf.len - woff);
			if (w > 0)
				woff += (size_t)w;
			else
				break;
		}
		if (woff == s->wbuf.len) {
			lq_buf_reset(&s->wbuf);
			woff = 0;
		}
		/* the answer to key done */
		if ((nl = s->rbuf.len ? memchr(s->rbuf.buf, '\n', s->rbuf.len) :
		    NULL)) {
			struct lq_eresult *r = &res[done];
			size_t ln = (size_t)(nl - s->rbuf.buf);
			r->rc = 1;
			lq_buf_reset(&r->answer);
			lq_buf_add(&r->answer, s->rbuf.buf, ln);
			if (!r->answer.buf)
				lq_buf_adds(&r->answer, "");
			if (r->answer.len &&
			    r->answer.buf[r->answer.len - 1] == '\r')
				r->answer.buf[--r->answer.len] = 0;
			memmove(s->rbuf.buf, nl + 1, s->rbuf.len - ln - 1);
			s->rbuf.len -= ln + 1;
			s->backoff = 0;
			s->fresh = 0;
			done++;
			since = mono();
			continue;
		}
		deadline = since + fmin(s->o.timeout, budget_end - since);
		if (s->fresh && s->o.startup > s->o.timeout)
			deadline += fmin(s->o.startup - s->o.timeout,
			    fmax(0, budget_end - deadline));
		struct pollfd p[2] = {
			{ .fd = s->from, .events = POLLIN },
			{ .fd = s->to, .events = POLLOUT },
		};
		double left = deadline - now;
		int pr = 0;
		if (left > 0)
			pr = poll(p, woff < s->wbuf.len ? 2 : 1,
			    (int)ceil(left * 1000));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			char t[32];
			fmt_secs(t, sizeof(t), s->fresh ?
			    fmax(s->o.timeout, s->o.startup) : s->o.timeout);
			cmd_down(s, "co-process did not answer in time "
			    "(killed)", 1);
			res_fail(&res[done], "timeout: no answer within %s "
			    "(co-process killed, restarted)", t);
			done++;
			next = done;
			continue;
		}
		if (p[0].revents) {
			char chunk[65536];
			ssize_t r = read(s->from, chunk, sizeof(chunk));
			if (r > 0) {
				lq_buf_add(&s->rbuf, chunk, (size_t)r);
				if (s->rbuf.len > MAX_ANSWER &&
				    !memchr(s->rbuf.buf, '\n', s->rbuf.len)) {
					cmd_down(s, "co-process answer too long "
					    "(killed)", 1);
					res_fail(&res[done], "answer longer than "
					    "1 MiB (co-process killed, "
					    "restarted)");
					done++;
					next = done;
				}
				continue;
			}
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			cmd_down(s, NULL, 0);
			res_fail(&res[done], "%s", s->last_exit);
			done++;
			next = done;
			continue;
		}
		if (p[1].revents & (POLLERR | POLLHUP)) {
			cmd_down(s, NULL, 1);
			res_fail(&res[done], "%s", s->last_exit);
			done++;
			next = done;
		}
	}
	lq_buf_reset(&s->wbuf);
}

void
lq_esource_lookup_many(struct lq_esource *s, size_t n, const char *const *k,
    const size_t *kn, double budget_left, struct lq_eresult *res)
{
	double budget_end = mono() + budget_left;
	const char **ok = malloc((n + 1) * sizeof(*ok));
	size_t *okn = malloc((n + 1) * sizeof(*okn)), m = 0;
	struct lq_eresult **okr = malloc((n + 1) * sizeof(*okr));
	struct lq_eresult *tmp;

	if (!ok || !okn || !okr)
		abort();
	for (size_t i = 0; i < n; i++) {
		lq_buf_reset(&res[i].why);
		res[i].rc = -1;
		if (memchr(k[i], '\n', kn[i]) || memchr(k[i], '\r', kn[i]) ||
		    memchr(k[i], 0, kn[i])) {
			lq_buf_adds(&res[i].why, "the key holds a line break "
			    "or NUL");
			continue;
		}
		ok[m] = k[i];
		okn[m] = kn[i];
		okr[m++] = &res[i];
	}
	if (!(tmp = calloc(m + 1, sizeof(*tmp))))
		abort();
	if (s->o.argv)
		cmd_many(s, m, ok, okn, budget_end, tmp);
	else
		http_many(s, m, ok, okn, budget_end, tmp);
	for (size_t i = 0; i < m; i++) {
		struct lq_eresult *r = okr[i];
		r->rc = tmp[i].rc;
		lq_buf_reset(&r->answer);
		lq_buf_reset(&r->why);
		if (tmp[i].answer.buf)
			lq_buf_add(&r->answer, tmp[i].answer.buf,
			    tmp[i].answer.len);
		if (tmp[i].why.buf)
			lq_buf_add(&r->why, tmp[i].why.buf, tmp[i].why.len);
		lq_buf_release(&tmp[i].answer);
		lq_buf_release(&tmp[i].why);
	}
	free(tmp);
	free(ok);
	free(okn);
	free(okr);
}

/* ---- the interface ---------------------------------------------------- */

/* Append to out the value of header h with ${VAR} from the environment. */
static int
expand_env(const char *h, struct lq_buf *out, struct lq_err *err)
{
	const char *p = h, *d;

	while ((d = strstr(p, "${"))) {
		const char *e = strchr(d, '}');
		char name[128];
		const char *v;
		if (!e || e - d - 2 <= 0 || e - d - 2 >= (long)sizeof(name))
			return lq_err_set(err, LQ_EXIT_USAGE, "header: bad "
			    "${VARIABLE} reference");
		memcpy(name, d + 2, (size_t)(e - d - 2));
		name[e - d - 2] = 0;
		if (!(v = getenv(name)))
			return lq_err_set(err, LQ_EXIT_USAGE, "header: the "
			    "environment variable %s is not set", name);
		lq_buf_add(out, p, (size_t)(d - p));
		lq_buf_adds(out, v);
		p = e + 1;
	}
	lq_buf_adds(out, p);
	return 0;
}

struct lq_esource *
lq_esource_new(const struct lq_esource_opts *o, struct lq_err *err)
{
	static int curl_ready;
	struct lq_esource *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	s->o = *o;
	s->to = s->from = -1;
	if (o->argv) {
		if (!o->argv[0] || !executable(o->argv[0])) {
			lq_err_set(err, LQ_EXIT_USAGE, "command: %s: not an "
			    "executable file", o->argv[0] ? o->argv[0] : "");
			free(s);
			return NULL;
		}
		return s;
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			lq_err_set(err, LQ_EXIT_IO, "cannot initialise "
			    "libcurl");
			free(s);
			return NULL;
		}
		curl_ready = 1;
	}
	if (!(s->curl = curl_easy_init())) {
		lq_err_set(err, LQ_EXIT_IO, "cannot initialise libcurl");
		free(s);
		return NULL;
	}
	for (int i = 0; i < o->nheaders; i++) {
		struct lq_buf h = LQ_BUF_INIT;
		lq_buf_adds(&h, o->headers[2 * i]);
		lq_buf_adds(&h, ": ");
		if (expand_env(o->headers[2 * i + 1], &h, err)) {
			lq_buf_release(&h);
			lq_esource_free(s);
			return NULL;
		}
		s->hdr = curl_slist_append(s->hdr, h.buf);
		/* the value may hold a secret: wipe our copy */
		memset(h.buf, 0, h.len);
		lq_buf_release(&h);
	}
	setup_easy(s, s->curl, &s->got);
	return s;
}

void
lq_esource_free(struct lq_esource *s)
{
	if (!s)
		return;
	cmd_stop(s, 0);
	for (long i = 0; i < s->nxf; i++) {
		if (s->xf[i].active)
			curl_multi_remove_handle(s->multi, s->xf[i].h);
		curl_easy_cleanup(s->xf[i].h);
		lq_buf_release(&s->xf[i].got.body);
		lq_buf_release(&s->xf[i].url);
	}
	free(s->xf);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	if (s->curl)
		curl_easy_cleanup(s->curl);
	lq_buf_release(&s->wbuf);
	curl_slist_free_all(s->hdr);
	lq_buf_release(&s->rbuf);
	lq_buf_release(&s->got.body);
	lq_buf_release(&s->msg);
	free(s);
}

int
lq_esource_lookup(struct lq_esource *s, const char *k, size_t n,
    double budget_left, struct lq_buf *answer, struct lq_buf *why)
{
	double t = s->o.timeout < budget_left ? s->o.timeout : budget_left;
	double deadline = mono() + t;

	s->budget_left = budget_left - t;
	lq_buf_reset(why);
	if (memchr(k, '\n', n) || memchr(k, '\r', n) || memchr(k, 0, n)) {
		lq_buf_adds(why, "the key holds a line break or NUL");
		return -1;
	}
	return s->o.argv ? cmd_lookup(s, k, n, deadline, answer, why) :
	    http_lookup(s, k, n, deadline, answer, why);
}

double
lq_esource_clock(void)
{
	return mono();
}
