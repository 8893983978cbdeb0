/* Open-addressing pointer hash table (see htab.h). */
#include <errno.h>
#include <stdlib.h>

#include "htab.h"

#define HTAB_MIN	64

uint32_t
htab_hash(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= 16777619u;
	}
	return h;
}

void *
htab_find(const struct htab *t, uint32_t h,
    int (*eq)(const void *p, const void *key), const void *key)
{
	size_t m, i;

	if (t->cap == 0)
		return NULL;
	m = t->cap - 1;
	for (i = h & m; t->e[i].p != NULL; i = (i + 1) & m)
		if (t->e[i].h == h && eq(t->e[i].p, key))
			return t->e[i].p;
	return NULL;
}

static void
htab_put(struct htab_ent *e, size_t cap, uint32_t h, void *p)
{
	size_t m = cap - 1, i;

	for (i = h & m; e[i].p != NULL; i = (i + 1) & m)
		;
	e[i].h = h;
	e[i].p = p;
}

int
htab_add(struct htab *t, uint32_t h, void *p)
{
	/* at most half full: short probe sequences */
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : HTAB_MIN;
		struct htab_ent *e;

		if ((e = calloc(cap, sizeof(*e))) == NULL)
			return ENOMEM;
		for (size_t i = 0; i < t->cap; i++)
			if (t->e[i].p != NULL)
				htab_put(e, cap, t->e[i].h, t->e[i].p);
		free(t->e);
		t->e = e;
		t->cap = cap;
	}
	htab_put(t->e, t->cap, h, p);
	t->n++;
	return 0;
}

int
htab_del(struct htab *t, uint32_t h, const void *p)
{
	size_t m, i, j;

	if (t->cap == 0)
		return ENOENT;
	m = t->cap - 1;
	for (i = h & m; t->e[i].p != p; i = (i + 1) & m)
		if (t->e[i].p == NULL)
			return ENOENT;
	/* shift back the entries whose probe sequence crossed the hole */
	for (j = (i + 1) & m; t->e[j].p != NULL; j = (j + 1) & m) {
		size_t home = t->e[j].h & m;

		if (((j - home) & m) >= ((j - i) & m)) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i].p = NULL;
	t->n--;
	return 0;
}

void
htab_free(struct htab *t)
{
	free(t->e);
	t->e = NULL;
	t->cap = t->n = 0;
}
