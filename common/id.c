/* Resource ids: time-ordered 16-digit decimals, unique per slot and ms. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "id.h"
#include "log.h"
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

int
id_claim_slot(struct db *db)
{
	static const char sql[] = "SELECT GET_LOCK(?, 0)";
	int start = (int)(getpid() % ID_SLOTS);

	for (int i = 0; i < ID_SLOTS; i++) {
		int slot = (start + i) % ID_SLOTS;
		struct db_res *res;
		char name[32];
		const char *v;
		int got;

		snprintf(name, sizeof(name), "vigil.id.%03d", slot);
		if (db_query(db, &res, sql, "s", name) != 0)
			return -1;
		v = db_res_get(res, 0, 0, NULL);
		got = v != NULL && strcmp(v, "1") == 0;
		db_res_free(res);
		if (got) {
			/* the slot's last holder may have run ahead */
			usleep((ID_MAX_LEAD_MS + 1) * 1000);
			id_set_slot(slot);
			return 0;
		}
	}
	log_warnx("no free id slot");
	return -1;
}
