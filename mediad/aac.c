/* ADTS headers and AudioSpecificConfig (ISO/IEC 14496-3). */
#include <errno.h>

#include "aac.h"

static const unsigned aac_rates[] = { 96000, 88200, 64000, 48000, 44100,
    32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350 };

int
aac_adts_parse(const uint8_t *p, size_t n, struct aac_adts *h)
{
	if (n < AAC_ADTS_MIN)
		return EAGAIN;
	if (p[0] != 0xff || (p[1] & 0xf6) != 0xf0)
		return EBADMSG;
	h->object = (unsigned)(p[2] >> 6) + 1;
	h->rate_index = (p[2] >> 2) & 0xf;
	h->channels = (unsigned)((p[2] & 1) << 2 | p[3] >> 6);
	h->header = (p[1] & 1) ? 7 : 9;
	h->frame = (size_t)(p[3] & 3) << 11 | (size_t)p[4] << 3 | p[5] >> 5;
	if (h->rate_index >= sizeof(aac_rates) / sizeof(aac_rates[0]) ||
	    h->frame <= h->header)
		return EBADMSG;
	h->rate = aac_rates[h->rate_index];
	return n < h->frame ? EAGAIN : 0;
}

int
aac_rate_index(unsigned rate)
{
	for (unsigned i = 0; i < sizeof(aac_rates) / sizeof(aac_rates[0]); i++)
		if (aac_rates[i] == rate)
			return (int)i;
	return -1;
}

void
aac_config(uint8_t out[2], unsigned object, unsigned rate_index,
    unsigned channels)
{
	out[0] = (uint8_t)((object & 0x1f) << 3 | (rate_index & 0xf) >> 1);
	out[1] = (uint8_t)((rate_index & 1) << 7 | (channels & 0xf) << 3);
}
