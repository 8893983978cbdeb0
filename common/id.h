/*
 * Resource ids: 16 decimal digits, 13-digit Unix ms + a 3-digit slot held by
 * one process at a time, so ids are time-ordered and unique across workers
 * and nodes without coordination per id.
 */
#ifndef VIGIL_ID_H
#define VIGIL_ID_H

#include <stdint.h>

struct db;

#define ID_LEN		17	/* 16 digits + NUL */
#define ID_SLOTS	1000
#define ID_MAX_LEAD_MS	100	/* a new slot holder waits this long first */

/* Sets this process's slot (0..999); -1 leaves it unset. */
void	id_set_slot(int slot);
int	id_slot(void);
/*
 * Writes the next id. Two ids from one process never share a millisecond:
 * a burst borrows milliseconds ahead of the clock. EAGAIN without a slot.
 */
int	id_next(char out[ID_LEN]);
/*
 * A db connect hook: takes a free slot for the connection's lifetime (a
 * MariaDB GET_LOCK, released when the connection ends). 0 or -1.
 */
int	id_claim_slot(struct db *db);

#endif
