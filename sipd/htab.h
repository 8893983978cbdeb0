/*
 * An open-addressing hash table of pointers (linear probing, backward-shift
 * deletion): O(1) lookups with no allocation per entry. The caller hashes
 * its keys and compares them; the table stores the pointer and its hash.
 */
#ifndef VIGIL_SIPD_HTAB_H
#define VIGIL_SIPD_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab_ent {
	uint32_t	 h;
	void		*p;
};

struct htab {
	struct htab_ent	*e;
	size_t		 cap;	/* a power of two, or 0 */
	size_t		 n;
};

/* FNV-1a of n bytes, continuing from h (start with HTAB_SEED). */
#define HTAB_SEED	2166136261u
uint32_t htab_hash(uint32_t h, const void *p, size_t n);
/* The entry with hash h for which eq(entry, key) is true, or NULL. */
void	*htab_find(const struct htab *t, uint32_t h,
	    int (*eq)(const void *p, const void *key), const void *key);
/* Adds p (duplicates are the caller's concern); 0 or ENOMEM. */
int	 htab_add(struct htab *t, uint32_t h, void *p);
/* Removes the entry p with hash h; 0 or ENOENT. */
int	 htab_del(struct htab *t, uint32_t h, const void *p);
void	 htab_free(struct htab *t);

#endif
