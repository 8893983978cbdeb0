/* Size-class free lists for libosip2's large blocks (see pool.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_port.h>

#include "pool.h"

#define POOL_HDR	16		/* class, usable size; keeps alignment */
#define POOL_MIN_SHIFT	5		/* 32 bytes, header included */
#define POOL_MAX_SHIFT	17		/* above 128 KB: plain malloc */
#define POOL_KEEP_BYTES	(4u << 20)	/* free memory kept per class */

struct pool_free {
	struct pool_free	*next;
};

static struct pool_free	*pool_lists[POOL_MAX_SHIFT + 1];
static unsigned		 pool_kept[POOL_MAX_SHIFT + 1];

static void *
pool_malloc(size_t n)
{
	unsigned s = POOL_MIN_SHIFT;
	size_t *h;

	if (n + POOL_HDR > ((size_t)1 << POOL_MAX_SHIFT)) {
		if ((h = malloc(n + POOL_HDR)) == NULL)
			return NULL;
		h[0] = 0;
		h[1] = n;
		return (char *)h + POOL_HDR;
	}
	while (((size_t)1 << s) < n + POOL_HDR)
		s++;
	if (pool_lists[s] != NULL) {
		h = (size_t *)(void *)pool_lists[s];
		pool_lists[s] = pool_lists[s]->next;
		pool_kept[s]--;
	} else if ((h = malloc((size_t)1 << s)) == NULL)
		return NULL;
	h[0] = s;
	h[1] = ((size_t)1 << s) - POOL_HDR;
	return (char *)h + POOL_HDR;
}

static void
pool_free_block(void *p)
{
	size_t *h;
	unsigned s;

	if (p == NULL)
		return;
	h = (size_t *)(void *)((char *)p - POOL_HDR);
	s = (unsigned)h[0];
	if (s == 0 || pool_kept[s] >= (POOL_KEEP_BYTES >> s)) {
		free(h);
		return;
	}
	((struct pool_free *)(void *)h)->next = pool_lists[s];
	pool_lists[s] = (struct pool_free *)(void *)h;
	pool_kept[s]++;
}

static void *
pool_realloc(void *p, size_t n)
{
	size_t cap;
	void *q;

	if (p == NULL)
		return pool_malloc(n);
	cap = ((size_t *)(void *)((char *)p - POOL_HDR))[1];
	if (n <= cap)
		return p;
	if ((q = pool_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, cap);
	pool_free_block(p);
	return q;
}

void
pool_install(void)
{
	osip_set_allocators(pool_malloc, pool_realloc, pool_free_block);
}
