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
	struct lq_buf body;
	double retry_after;	/* of the last response, or -1 */
	double next_at;		/* rate limit: earliest next request */
	int toolarge;
	double budget_left;	/* of the current lookup, past its timeout */
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

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct lq_esource *s = arg;
	size_t n = size * nmemb;

	if (s->body.len + n > MAX_ANSWER) {
		s->toolarge = 1;
		return 0;
	}
	lq_buf_add(&s->body, p, n);
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct lq_esource *s = arg;
	size_t n = size * nmemb;
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
			s->retry_after = d;
		} else {
			time_t t = curl_getdate(v + strspn(v, " \t"), NULL);
			if (t != (time_t)-1)
				s->retry_after = fmax(0, (double)t -
				    (double)time(NULL));
		}
	}
	return n;
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
		double now = mono(), left;
		long status = 0;
		CURLcode cc;
		char t[32];

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
		lq_buf_reset(&s->body);
		s->retry_after = -1;
		s->toolarge = 0;
		curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS,
		    (long)ceil(left * 1000));
		cc = curl_easy_perform(s->curl);
		if (cc != CURLE_OK) {
			if (s->toolarge)
				lq_buf_adds(why, "answer longer than 1 MiB");
			else if (cc == CURLE_OPERATION_TIMEDOUT) {
				fmt_secs(t, sizeof(t), s->o.timeout);
				lq_buf_addf(why, "timeout: no answer within %s",
				    t);
			} else
				lq_buf_addf(why, "http: %s",
				    curl_easy_strerror(cc));
			break;
		}
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200) {
			lq_buf_reset(answer);
			lq_buf_add(answer, s->body.buf ? s->body.buf : "",
			    s->body.len);
			if (!answer->buf)
				lq_buf_adds(answer, "");
			rc = 1;
			break;
		}
		if (status == 404 || status == 204) {
			rc = 0;
			break;
		}
		if ((status == 429 || status >= 500) && attempt < (int)s->o.retries) {
			double wait = s->retry_after >= 0 ? s->retry_after :
			    0.25 * pow(2, attempt);
			if (mono() + wait < deadline) {
				sleep_s(wait);
				continue;
			}
			fmt_secs(t, sizeof(t), wait);
			lq_buf_addf(why, "http %ld; a retry in %s would pass "
			    "the timeout", status, t);
			break;
		}
		if (status == 429 || status >= 500)
			lq_buf_addf(why, "http %ld after %d %s", status,
			    attempt + 1, attempt ? "attempts" : "attempt");
		else
			lq_buf_addf(why, "http %ld", status);
		break;
	}
	lq_buf_release(&url);
	return rc;
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
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->hdr);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "lq-enrich");
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(s->curl, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(s->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(s->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	return s;
}

void
lq_esource_free(struct lq_esource *s)
{
	if (!s)
		return;
	cmd_stop(s, 0);
	if (s->curl)
		curl_easy_cleanup(s->curl);
	curl_slist_free_all(s->hdr);
	lq_buf_release(&s->rbuf);
	lq_buf_release(&s->body);
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
