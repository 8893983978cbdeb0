/*
 * RTP for GB28181 media: packet parsing, RFC 4571 framing over TCP, SSRC
 * filtering, a small reordering window and loss counting.
 */
#ifndef VIGIL_MEDIAD_RTP_H
#define VIGIL_MEDIAD_RTP_H

#include <stddef.h>
#include <stdint.h>

struct rtp_pkt {
	uint8_t		 pt;
	int		 marker;
	uint16_t	 seq;
	uint32_t	 ts;
	uint32_t	 ssrc;
	const uint8_t	*payload;	/* after CSRCs and extension, less padding */
	size_t		 len;
};

/* Parses an RTP packet: 0, or EBADMSG. */
int	rtp_parse(const uint8_t *p, size_t n, struct rtp_pkt *pkt);

struct rtp_stats {
	uint64_t	 packets;	/* delivered */
	uint64_t	 bytes;		/* all received, headers included */
	uint64_t	 lost;		/* sequence numbers never seen */
	uint64_t	 reordered;	/* arrived late but in the window */
	uint64_t	 duplicates;
	uint64_t	 foreign;	/* another SSRC */
	uint64_t	 malformed;
	uint64_t	 late;		/* arrived after being given up */
	uint64_t	 oversize;	/* out of order, too large to hold */
	uint64_t	 rtcp;		/* RTCP on the same port, ignored */
	uint64_t	 restarts;	/* sender restarted its sequence */
};

/* Called with each packet in sequence order; lost > 0 when packets
 * before this one were given up. pkt is valid during the call only; the
 * callback must not free the receiver or feed it. */
typedef void	(*rtp_pkt_cb)(void *arg, const struct rtp_pkt *pkt,
		    unsigned lost);

struct rtp_recv;

/* A receiver accepting only ssrc (0: the first one seen), reordering
 * within window packets (0: a default of 32). 0 or ENOMEM. */
int	rtp_recv_alloc(struct rtp_recv **rp, uint32_t ssrc, unsigned window,
	    rtp_pkt_cb cb, void *arg);
void	rtp_recv_free(struct rtp_recv *r);
/* One datagram (UDP) or one RFC 4571 frame: 0 or EBADMSG (counted). */
int	rtp_recv_packet(struct rtp_recv *r, const uint8_t *p, size_t n);
/* A TCP byte stream with RFC 4571 framing (2-byte length prefix): 0, or
 * EBADMSG when the stream cannot be framed (close the connection). */
int	rtp_recv_stream(struct rtp_recv *r, const uint8_t *p, size_t n);
/* Delivers what the window holds (end of stream). */
void	rtp_recv_flush(struct rtp_recv *r);
const struct rtp_stats *rtp_recv_stats(const struct rtp_recv *r);

#endif
