/* Minimal unit-test harness: T_OK(cond, name) counts, T_DONE() reports. */
#ifndef VIGIL_T_H
#define VIGIL_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_passed, t_failed;

#define T_OK(cond, ...) do {						\
	if (cond)							\
		t_passed++;						\
	else {								\
		t_failed++;						\
		printf("not ok %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)
#define T_STREQ(a, b) do {						\
	const char *t_a = (a), *t_b = (b);				\
	T_OK(t_a && t_b && strcmp(t_a, t_b) == 0, "%s: \"%s\" != \"%s\"", \
	    #a, t_a ? t_a : "(null)", t_b ? t_b : "(null)");		\
} while (0)
#define T_DONE() (printf("# passed %d failed %d\n", t_passed, t_failed), \
	t_failed ? 1 : 0)

/*
 * The whole file dir/name (a relative dir is under $srcdir, "." when
 * unset), NUL-terminated and malloc'd, its size in *n; exits when it
 * cannot be read.
 */
static inline char *
t_load(const char *dir, const char *name, size_t *n)
{
	const char *src = getenv("srcdir");
	char path[512];
	FILE *f;
	char *p;
	long len;

	if (dir[0] == '/')
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s/%s/%s", src ? src : ".", dir,
		    name);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (len = ftell(f)) < 0) {
		printf("not ok: cannot open %s\n", path);
		exit(1);
	}
	rewind(f);
	if ((p = malloc((size_t)len + 1)) == NULL ||
	    fread(p, 1, (size_t)len, f) != (size_t)len) {
		printf("not ok: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	p[len] = '\0';
	*n = (size_t)len;
	return p;
}

#endif
