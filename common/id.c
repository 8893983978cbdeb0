/* Resource ids: time-ordered 16-digit decimals, unique per slot and ms. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "id.h"
#include "vtime.h"

static int id_own_slot = -1;
static uint64_t id_last_ms;

void
id_set_slot(int slot)
{
	id_own_slot = slot;
}

int
id_slot(void)
{
	return id_own_slot;
}

int
id_next(char out[ID_LEN])
{
	uint64_t ms = vtime_now_ms();

	if (id_own_slot < 0)
		return EAGAIN;
	if (ms <= id_last_ms) {
		/* Never run more than ID_MAX_LEAD_MS ahead of the clock, so a
		 * slot's next holder can start after waiting that long. */
		if (id_last_ms - ms >= ID_MAX_LEAD_MS)
			usleep((useconds_t)(id_last_ms - ms) * 1000);
		ms = id_last_ms + 1;
	}
	id_last_ms = ms;
	snprintf(out, ID_LEN, "%013" PRIu64 "%03d", ms, id_own_slot);
	return 0;
}
