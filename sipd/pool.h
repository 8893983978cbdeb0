/*
 * libosip2's allocator in sipd: free lists by power of two (32 bytes to
 * 128 KB). libosip2 makes a hundred small allocations per message and a
 * 15 KB one per transaction; through glibc (which consolidates its free
 * chunks before each large one) that cost more than the SIP work itself.
 * One thread only.
 */
#ifndef VIGIL_SIPD_POOL_H
#define VIGIL_SIPD_POOL_H

/* Makes libosip2 allocate through the pool; before any osip call. */
void	pool_install(void);

#endif
