/*
 * PS timestamps (33-bit, 90 kHz, from the device's clock) to the
 * milliseconds of FLV and libavformat: unwrapped, from 0 at the first
 * frame, and a device clock that jumps continues where it was.
 */
#ifndef VIGIL_MEDIAD_TSMAP_H
#define VIGIL_MEDIAD_TSMAP_H

#include <stdint.h>

/* Steps beyond these are a clock reset (audio may trail video a little). */
#define TSMAP_JUMP	(10LL * 90000)
#define TSMAP_BACK	(2LL * 90000)

struct tsmap {
	int		 started;
	int64_t		 last;		/* last 33-bit value */
	int64_t		 acc;		/* 90 kHz since the first */
};

/* Milliseconds of ts90 (may be negative just after the start). */
int64_t	tsmap_ms(struct tsmap *m, int64_t ts90);

#endif
