/*
 * AAC as GB28181 devices send it (ADTS frames in PES) and as FLV and
 * libavformat take it (raw frames with an AudioSpecificConfig).
 */
#ifndef VIGIL_MEDIAD_AAC_H
#define VIGIL_MEDIAD_AAC_H

#include <stddef.h>
#include <stdint.h>

#define AAC_ADTS_MIN	7	/* header without CRC */
#define AAC_LC		2	/* audio object type */

struct aac_adts {
	unsigned	 object;	/* audio object type (2: LC) */
	unsigned	 rate_index;
	unsigned	 rate;		/* Hz */
	unsigned	 channels;
	size_t		 header;	/* 7, or 9 with CRC */
	size_t		 frame;		/* header included */
};

/*
 * Reads the ADTS header at p: 0, EAGAIN when fewer than the frame's bytes
 * are there, or EBADMSG (no syncword, reserved values).
 */
int	aac_adts_parse(const uint8_t *p, size_t n, struct aac_adts *h);
/* The sampling frequency index of rate in Hz, or -1. */
int	aac_rate_index(unsigned rate);
/* Writes the 2-byte AudioSpecificConfig of object/rate index/channels. */
void	aac_config(uint8_t out[2], unsigned object, unsigned rate_index,
	    unsigned channels);

#endif
