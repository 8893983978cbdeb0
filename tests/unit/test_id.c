/* Resource ids: format, order, bounded lead and uniqueness across processes. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/id.h"
#include "common/vtime.h"
#include "t.h"

#define ID_CHILDREN	4
#define ID_PER_CHILD	1500

static int
id_wellformed(const char *s)
{
	if (strlen(s) != ID_LEN - 1)
		return 0;
	for (const char *p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* The millisecond part of an id. */
static uint64_t
id_ms(const char *s)
{
	char ms[14];

	memcpy(ms, s, 13);
	ms[13] = '\0';
	return strtoull(ms, NULL, 10);
}

static void
test_no_slot(void)
{
	char out[ID_LEN];

	id_set_slot(-1);
	T_OK(id_slot() == -1, "unset");
	T_OK(id_next(out) == EAGAIN, "EAGAIN without a slot");
}

static void
test_format(void)
{
	char out[ID_LEN];
	uint64_t now;

	id_set_slot(7);
	T_OK(id_slot() == 7, "slot 7");
	now = vtime_now_ms();
	T_OK(id_next(out) == 0, "id_next");
	T_OK(id_wellformed(out), "16 digits: %s", out);
	T_STREQ(out + 13, "007");
	T_OK(id_ms(out) >= now && id_ms(out) <= now + ID_MAX_LEAD_MS + 1,
	    "ms part %s near the clock %" PRIu64, out, now);
	id_set_slot(999);
	T_OK(id_next(out) == 0 && strcmp(out + 13, "999") == 0, "slot 999: %s",
	    out);
	id_set_slot(0);
	T_OK(id_next(out) == 0 && strcmp(out + 13, "000") == 0, "slot 0: %s",
	    out);
}

/* Ids of one process increase strictly, even in a tight loop. */
static void
test_increasing(void)
{
	char prev[ID_LEN], cur[ID_LEN];
	int bad = 0, errs = 0;

	id_set_slot(42);
	if (id_next(prev) != 0)
		errs++;
	for (int i = 1; i < 2000; i++) {
		if (id_next(cur) != 0)
			errs++;
		if (!id_wellformed(cur) || strcmp(cur, prev) <= 0 ||
		    id_ms(cur) <= id_ms(prev)) {
			if (bad++ == 0)
				printf("# %s after %s\n", cur, prev);
		}
		memcpy(prev, cur, ID_LEN);
	}
	T_OK(errs == 0, "%d errors", errs);
	T_OK(bad == 0, "%d of 2000 ids not increasing", bad);
}

/* A burst borrows milliseconds ahead of the clock, but only so many. */
static void
test_lead(void)
{
	char out[ID_LEN];
	int64_t lead, worst = INT64_MIN;

	id_set_slot(43);
	for (int i = 0; i < 1000; i++) {
		if (id_next(out) != 0)
			break;
		lead = (int64_t)id_ms(out) - (int64_t)vtime_now_ms();
		if (lead > worst)
			worst = lead;
	}
	T_OK(worst <= ID_MAX_LEAD_MS + 2, "ran %" PRId64 " ms ahead", worst);
	/* the burst did run ahead, or the test proves nothing */
	T_OK(worst >= ID_MAX_LEAD_MS / 2, "lead only %" PRId64 " ms", worst);
}

/* Writes ID_PER_CHILD ids of the given slot to f and exits. */
static void
id_child(int slot, FILE *f)
{
	char out[ID_LEN];

	id_set_slot(slot);
	for (int i = 0; i < ID_PER_CHILD; i++) {
		if (id_next(out) != 0)
			_exit(2);
		fprintf(f, "%s\n", out);
	}
	_exit(fflush(f) == 0 ? 0 : 3);
}

static int
id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reads a child's ids into v; returns how many were well-formed. */
static size_t
id_collect(FILE *f, int slot, uint64_t *v)
{
	char line[64], suffix[4];
	size_t n = 0;

	snprintf(suffix, sizeof(suffix), "%03d", slot);
	rewind(f);
	while (n < ID_PER_CHILD && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (!id_wellformed(line) || strcmp(line + 13, suffix) != 0)
			break;
		v[n++] = strtoull(line, NULL, 10);
	}
	return n;
}

static void
test_processes(void)
{
	static uint64_t all[ID_CHILDREN * ID_PER_CHILD];
	FILE *f[ID_CHILDREN];
	pid_t pid[ID_CHILDREN];
	size_t n = 0, dups = 0;
	int status;

	for (int i = 0; i < ID_CHILDREN; i++) {
		if ((f[i] = tmpfile()) == NULL) {
			T_OK(0, "tmpfile");
			return;
		}
		fflush(stdout);
		if ((pid[i] = fork()) == 0)
			id_child(100 + i, f[i]);
		T_OK(pid[i] > 0, "fork");
	}
	for (int i = 0; i < ID_CHILDREN; i++) {
		size_t got;

		if (pid[i] <= 0)
			continue;
		T_OK(waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child %d status %d", i, status);
		got = id_collect(f[i], 100 + i, all + n);
		T_OK(got == ID_PER_CHILD, "child %d: %zu good ids", i, got);
		n += got;
		fclose(f[i]);
	}
	qsort(all, n, sizeof(all[0]), id_cmp);
	for (size_t i = 1; i < n; i++)
		if (all[i] == all[i - 1])
			dups++;
	T_OK(n == ID_CHILDREN * ID_PER_CHILD, "%zu ids collected", n);
	T_OK(dups == 0, "%zu duplicate ids across processes", dups);
}

int
main(void)
{
	test_no_slot();
	test_format();
	test_processes();
	test_increasing();
	test_lead();
	return T_DONE();
}
