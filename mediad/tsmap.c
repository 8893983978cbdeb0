/* PS timestamps to milliseconds (see tsmap.h). */
#include "tsmap.h"

#define TSMAP_MASK	((1LL << 33) - 1)

int64_t
tsmap_ms(struct tsmap *m, int64_t ts90)
{
	int64_t d;

	ts90 &= TSMAP_MASK;
	if (!m->started) {
		m->started = 1;
		m->last = ts90;
		m->acc = 0;
		return 0;
	}
	/* the signed distance modulo 2^33: a wrap is a small step */
	d = (ts90 - m->last) & TSMAP_MASK;
	if (d >= 1LL << 32)
		d -= 1LL << 33;
	if (d > TSMAP_JUMP || d < -TSMAP_BACK)
		d = 0;
	m->last = ts90;
	m->acc += d;
	return m->acc >= 0 ? m->acc / 90 : -((-m->acc + 89) / 90);
}
