/*
 * replay.c - run saved inputs through a harness without libFuzzer: the
 * main() of the replay programs that `make check` builds with the
 * ordinary compiler (build/test/fuzz_NAME, a TAP test each).
 *
 * usage: fuzz_NAME [FILE|DIR ...]
 * Without operands: every file of test/fuzz/regress/NAME/ (the crashes,
 * timeouts and broken invariants found so far) and test/fuzz/corpus/NAME/
 * (the seeds), relative to the current directory (the top of the tree).
 * Each input runs in a child process under an alarm (LQ_FUZZ_TIMEOUT
 * seconds, default 60), so a crash, a sanitizer report, a leak or a hang
 * is one failed test.  An input listed in test/fuzz/known-failures
 * ("NAME/FILE reason") is a TAP TODO: a known bug in code that someone
 * else is fixing, reported but not failing the suite; it runs with a
 * 10 s alarm.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "define FUZZ_NAME, the harness name"
#endif

static int ntests, nfailed;
static unsigned timeout = 60;

/* the reason path is a known failure, or NULL (a static buffer) */
static const char *
known(const char *path)
{
	static char line[1024];
	char want[512];
	const char *base = strrchr(path, '/');
	FILE *f = fopen("test/fuzz/known-failures", "r");

	if (!f)
		return NULL;
	snprintf(want, sizeof(want), "%s/%s", FUZZ_NAME, base ? base + 1 :
	    path);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(want);
		line[strcspn(line, "\n")] = 0;
		if (line[0] != '#' && !strncmp(line, want, n) &&
		    (line[n] == ' ' || line[n] == '\t' || !line[n])) {
			fclose(f);
			return line[n] ? line + n + 1 : "known failure";
		}
	}
	fclose(f);
	return NULL;
}

/* run one input in a child; returns a description of the failure or NULL */
static const char *
run(const char *path, char *why, size_t whysz)
{
	/* a known failure may be a known hang: fail it sooner */
	unsigned t = known(path) && timeout > 10 ? 10 : timeout;
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		return why;
	}
	if (pid == 0) {
		FILE *f = fopen(path, "rb");

		char *buf = NULL;
		size_t n = 0, cap = 0, got;

		if (!f) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			_exit(120);
		}
		do {
			if (n == cap && !(buf = realloc(buf, cap = cap * 2 +
			    4096)))
				abort();
			got = fread(buf + n, 1, cap - n, f);
			n += got;
		} while (got);
		fclose(f);
		alarm(t);
		/* a copy of exactly n bytes, as libFuzzer passes it */
		char *data = malloc(n ? n : 1);
		if (!data)
			abort();
		memcpy(data, buf, n);
		free(buf);
		LLVMFuzzerTestOneInput((const uint8_t *)data, n);
		free(data);
		exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whysz, "waitpid: %s", strerror(errno));
			return why;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return NULL;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(why, whysz, "timed out (over %u s)", t);
	else if (WIFSIGNALED(st))
		snprintf(why, whysz, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(why, whysz, "exit status %d", WEXITSTATUS(st));
	return why;
}

static void
one(const char *path)
{
	char why[128];
	const char *bad = run(path, why, sizeof(why)), *todo = known(path);

	ntests++;
	if (bad && !todo)
		nfailed++;
	printf("%sok %d - %s %s%s%s%s%s\n", bad ? "not " : "", ntests,
	    FUZZ_NAME, path, bad ? ": " : "", bad ? bad : "",
	    todo ? " # TODO " : "", todo ? todo : "");
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* every regular file of dir (sorted; dot files and README skipped) */
static void
dir(const char *d)
{
	struct dirent **e;
	char path[4096];
	struct stat st;
	int n = scandir(d, &e, NULL, by_name);

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", d, e[i]->d_name);
		if (e[i]->d_name[0] != '.' && strcmp(e[i]->d_name, "README") &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			one(path);
		free(e[i]);
	}
	if (n >= 0)
		free(e);
}

int
main(int argc, char **argv)
{
	const char *t = getenv("LQ_FUZZ_TIMEOUT");
	struct stat st;

	if (t && atoi(t) > 0)
		timeout = (unsigned)atoi(t);
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
				dir(argv[i]);
			else
				one(argv[i]);
		}
	} else {
		dir("test/fuzz/regress/" FUZZ_NAME);
		dir("test/fuzz/corpus/" FUZZ_NAME);
	}
	if (ntests == 0)
		printf("1..0 # SKIP no inputs for %s\n", FUZZ_NAME);
	else
		printf("1..%d\n", ntests);
	return nfailed ? 1 : 0;
}
