/* Minimal unit-test harness: T_OK(cond, name) counts, T_DONE() reports. */
#ifndef VIGIL_T_H
#define VIGIL_T_H

#include <stdio.h>
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

#endif
