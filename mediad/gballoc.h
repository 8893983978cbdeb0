/*
 * What mediad hands out per GB28181 media session: an RTP port of
 * media.rtp_port_min..max (round robin, so a port just closed is the last
 * to be reused) and the 10-digit SSRC of the SDP y= line.
 */
#ifndef VIGIL_MEDIAD_GBALLOC_H
#define VIGIL_MEDIAD_GBALLOC_H

#include <stdint.h>

#define GBALLOC_SSRC_LEN	11	/* 10 digits + NUL */

struct gballoc_ports {
	int		 min, max;
	int		 next;		/* where the search starts */
	uint8_t		*used;		/* one bit per port */
};

/* Covers min..max (1..65535, min <= max); 0, EINVAL or ENOMEM. */
int	gballoc_ports_init(struct gballoc_ports *pp, int min, int max);
void	gballoc_ports_free(struct gballoc_ports *pp);
/* Takes the next free port after the last one taken; 0 or ENOSPC. */
int	gballoc_port_take(struct gballoc_ports *pp, int *port);
/* Gives a port back (ignored when outside the range or not taken). */
void	gballoc_port_put(struct gballoc_ports *pp, int port);
/*
 * Writes the SSRC "<0 live|1 playback><digits 4-8 of domain><serial mod
 * 10000, 4 digits>"; a domain shorter than 8 digits is padded with 0.
 */
void	gballoc_ssrc(char out[GBALLOC_SSRC_LEN], int playback,
	    const char *domain, unsigned serial);

#endif
