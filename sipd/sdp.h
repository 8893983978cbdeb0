/*
 * The SDP of GB28181 media sessions: the offer sipd sends in INVITE (the
 * receiving mediad's address, PS over RTP/UDP or passive TCP, the SSRC in
 * "y=") and what it needs from the device's answer.
 */
#ifndef VIGIL_SIPD_SDP_H
#define VIGIL_SIPD_SDP_H

#include <stddef.h>
#include <stdint.h>

#define SDP_SSRC_LEN	11	/* 10 digits + NUL */

struct sdp_offer {
	const char	*origin;	/* o= user: the space's GbId */
	const char	*ip;		/* where mediad receives */
	int		 port;
	int		 tcp;		/* TCP/RTP/AVP, mediad passive */
	const char	*ssrc;
	const char	*channel;	/* playback: u=<channel>:0 */
	int		 playback;
	int64_t		 start, end;	/* playback: t=, Unix seconds */
};

struct sdp_answer {
	char		 ip[64];	/* c= (media level wins) */
	int		 port;		/* m=video */
	int		 tcp;		/* TCP/RTP/AVP */
	char		 setup[16];	/* a=setup: (TCP), or "" */
	char		 ssrc[SDP_SSRC_LEN];	/* y=, or "" */
};

/* Writes the offer into out[outsz]; its length, or -1 when it does not
 * fit. */
int	sdp_offer_build(char *out, size_t outsz, const struct sdp_offer *o);
/* Parses a device's answer; 0, or EBADMSG without a video port. */
int	sdp_answer_parse(const char *body, size_t len, struct sdp_answer *a);

#endif
