/*
 * RTP for GB28181 media: RFC 3550 header parsing, RFC 4571 framing over TCP,
 * an SSRC filter and a reordering window of fixed slots with loss counting.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rtp.h"

#define RTP_HDR		12
#define RTP_WINDOW	32	/* default reordering window, packets */
#define RTP_WINDOW_MAX	1024
#define RTP_SLOT	4096	/* room of a held packet */
#define RTP_DROPOUT	3000	/* a jump beyond this may be a sender restart */
#define RTP_HISTORY	64	/* delivered sequence numbers remembered */
#define RTP_FRAME_MAX	65535	/* RFC 4571: a 16-bit length */

struct rtp_slot {
	uint16_t	 seq;
	int		 used;
	size_t		 n;
};

struct rtp_recv {
	rtp_pkt_cb	 cb;
	void		*arg;
	uint32_t	 ssrc;
	int		 locked;	/* ssrc is known */
	unsigned	 window;
	unsigned	 mask;		/* slots - 1, slots a power of two */
	int		 started;
	uint16_t	 next;		/* sequence number to deliver next */
	uint16_t	 highest;	/* highest one received */
	unsigned	 held;
	unsigned	 gap;		/* given up since the last delivery */
	uint64_t	 history;	/* bit i: next - 1 - i was delivered */
	struct rtp_slot	*slots;
	uint8_t		*pool;		/* slots * RTP_SLOT, on first need */
	/* a restart candidate: a packet far from the expected ones */
	int		 probing;
	uint16_t	 probe_seq;
	size_t		 probe_n;
	uint8_t		*probe;		/* RTP_SLOT, with the pool */
	struct rtp_stats stats;
	/* RFC 4571 framing */
	uint8_t		 lenbuf[2];
	size_t		 lenhave;
	size_t		 need;		/* frame length; 0: reading one */
	size_t		 have;
	int		 broken;
	uint8_t		*frame;		/* RTP_FRAME_MAX */
};

static uint16_t
rtp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rtp_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
rtp_parse(const uint8_t *p, size_t n, struct rtp_pkt *pkt)
{
	size_t off = RTP_HDR, pad = 0;

	if (n < RTP_HDR || p[0] >> 6 != 2)
		return EBADMSG;
	off += (size_t)(p[0] & 0x0f) * 4;
	if (off > n)
		return EBADMSG;
	if (p[0] & 0x10) {
		if (off + 4 > n)
			return EBADMSG;
		off += 4 + (size_t)rtp_be16(p + off + 2) * 4;
		if (off > n)
			return EBADMSG;
	}
	if (p[0] & 0x20) {
		/* the count includes itself and covers payload only */
		pad = p[n - 1];
		if (pad == 0 || pad > n - off)
			return EBADMSG;
	}
	pkt->marker = p[1] >> 7;
	pkt->pt = p[1] & 0x7f;
	pkt->seq = rtp_be16(p + 2);
	pkt->ts = rtp_be32(p + 4);
	pkt->ssrc = rtp_be32(p + 8);
	pkt->payload = p + off;
	pkt->len = n - off - pad;
	return 0;
}

/* RFC 5761: RTCP packet types 192-223 sit where RTP has marker + 64-95. */
static int
rtp_is_rtcp(const uint8_t *p, size_t n)
{
	return n >= 8 && p[0] >> 6 == 2 && p[1] >= 192 && p[1] <= 223;
}

int
rtp_recv_alloc(struct rtp_recv **rp, uint32_t ssrc, unsigned window,
    rtp_pkt_cb cb, void *arg)
{
	struct rtp_recv *r;
	unsigned slots = 1;

	*rp = NULL;
	if (window == 0)
		window = RTP_WINDOW;
	if (window > RTP_WINDOW_MAX)
		window = RTP_WINDOW_MAX;
	while (slots < window)
		slots <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ENOMEM;
	r->slots = calloc(slots, sizeof(*r->slots));
	r->frame = malloc(RTP_FRAME_MAX);
	if (r->slots == NULL || r->frame == NULL) {
		rtp_recv_free(r);
		return ENOMEM;
	}
	r->cb = cb;
	r->arg = arg;
	r->ssrc = ssrc;
	r->locked = ssrc != 0;
	r->window = window;
	r->mask = slots - 1;
	*rp = r;
	return 0;
}

void
rtp_recv_free(struct rtp_recv *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r->pool);
	free(r->frame);
	free(r);
}

const struct rtp_stats *
rtp_recv_stats(const struct rtp_recv *r)
{
	return &r->stats;
}

/* Hands a packet to the callback: it is the expected one. */
static void
rtp_deliver(struct rtp_recv *r, const struct rtp_pkt *pkt)
{
	unsigned gap = r->gap;

	r->gap = 0;
	r->next = (uint16_t)(pkt->seq + 1);
	r->history = r->history << 1 | 1;
	r->stats.packets++;
	r->cb(r->arg, pkt, gap);
}

/* Delivers the held packets that follow on from next. */
static void
rtp_drain(struct rtp_recv *r)
{
	struct rtp_slot *s;
	struct rtp_pkt pkt;

	for (;;) {
		s = &r->slots[r->next & r->mask];
		if (!s->used || s->seq != r->next)
			return;
		s->used = 0;
		r->held--;
		/* it parsed when it was held */
		(void)rtp_parse(r->pool + (size_t)(r->next & r->mask) *
		    RTP_SLOT, s->n, &pkt);
		rtp_deliver(r, &pkt);
	}
}

/* Gives up on the packet expected next, then delivers what follows. */
static void
rtp_skip(struct rtp_recv *r)
{
	r->gap++;
	r->stats.lost++;
	r->next++;
	r->history <<= 1;
	rtp_drain(r);
}

static int
rtp_pool(struct rtp_recv *r)
{
	if (r->pool == NULL)
		r->pool = malloc(((size_t)r->mask + 2) * RTP_SLOT);
	if (r->pool == NULL)
		return ENOMEM;
	r->probe = r->pool + ((size_t)r->mask + 1) * RTP_SLOT;
	return 0;
}

/* Holds a packet ahead of next: 0, or ENOSPC when it cannot wait. */
static int
rtp_hold(struct rtp_recv *r, const uint8_t *p, size_t n, uint16_t seq)
{
	struct rtp_slot *s = &r->slots[seq & r->mask];

	if (s->used && s->seq == seq) {
		r->stats.duplicates++;
		return 0;
	}
	if (n > RTP_SLOT || rtp_pool(r) != 0) {
		r->stats.oversize++;
		return ENOSPC;
	}
	memcpy(r->pool + (size_t)(seq & r->mask) * RTP_SLOT, p, n);
	s->seq = seq;
	s->n = n;
	s->used = 1;
	r->held++;
	return 0;
}

/* Delivers everything held, in order, counting the gaps. */
void
rtp_recv_flush(struct rtp_recv *r)
{
	while (r->held > 0)
		rtp_skip(r);
}

/*
 * A packet far from the expected sequence: a stray one, or the first of a
 * sender that restarted. Two in a row that follow each other (RFC 3550
 * A.1's probation) restart the sequence there.
 */
static void
rtp_probe(struct rtp_recv *r, const uint8_t *p, size_t n,
    const struct rtp_pkt *pkt)
{
	struct rtp_pkt prev;

	if (r->probing && pkt->seq == (uint16_t)(r->probe_seq + 1)) {
		r->probing = 0;
		r->stats.late--;	/* counted as stray when it came */
		r->stats.restarts++;
		rtp_recv_flush(r);
		r->history = 0;
		r->highest = pkt->seq;
		if (r->probe_n > 0 &&
		    rtp_parse(r->probe, r->probe_n, &prev) == 0) {
			r->next = prev.seq;
			rtp_deliver(r, &prev);
		}
		r->next = pkt->seq;
		rtp_deliver(r, pkt);
		return;
	}
	r->stats.late++;
	r->probing = 1;
	r->probe_seq = pkt->seq;
	r->probe_n = 0;
	if (n <= RTP_SLOT && rtp_pool(r) == 0) {
		memcpy(r->probe, p, n);
		r->probe_n = n;
	}
}

int
rtp_recv_packet(struct rtp_recv *r, const uint8_t *p, size_t n)
{
	struct rtp_pkt pkt;
	int16_t diff;

	r->stats.bytes += n;
	if (rtp_is_rtcp(p, n)) {
		r->stats.rtcp++;
		return 0;
	}
	if (rtp_parse(p, n, &pkt) != 0) {
		r->stats.malformed++;
		return EBADMSG;
	}
	if (r->locked && pkt.ssrc != r->ssrc) {
		r->stats.foreign++;
		return 0;
	}
	r->ssrc = pkt.ssrc;
	r->locked = 1;
	if (!r->started) {
		r->started = 1;
		r->next = r->highest = pkt.seq;
	}
	diff = (int16_t)(pkt.seq - r->next);
	if (diff < -RTP_HISTORY || diff > RTP_DROPOUT) {
		rtp_probe(r, p, n, &pkt);
		return 0;
	}
	if (diff < 0) {
		if (r->history >> (-diff - 1) & 1)
			r->stats.duplicates++;
		else
			r->stats.late++;
		return 0;
	}
	r->probing = 0;
	if ((int16_t)(pkt.seq - r->highest) < 0)
		r->stats.reordered++;
	else
		r->highest = pkt.seq;
	if (diff >= (int)r->window && r->held == 0) {
		/* nothing waits: the missing ones are simply lost */
		r->gap += (unsigned)diff;
		r->stats.lost += (unsigned)diff;
		r->history = diff >= 64 ? 0 : r->history << diff;
		r->next = pkt.seq;
		diff = 0;
	}
	if (diff >= (int)r->window) {
		/* the stream moved on: give up all that is missing before */
		while ((int16_t)(pkt.seq - r->next) > 0)
			rtp_skip(r);
		diff = (int16_t)(pkt.seq - r->next);
	}
	if (diff == 0) {
		rtp_deliver(r, &pkt);
		rtp_drain(r);
		return 0;
	}
	if (diff < 0) {
		r->stats.duplicates++;	/* the skipping delivered it */
		return 0;
	}
	if (rtp_hold(r, p, n, pkt.seq) != 0)
		return 0;	/* counted; its gap is given up later */
	while (r->held >= r->window - 1 && r->held > 0)
		rtp_skip(r);
	return 0;
}

int
rtp_recv_stream(struct rtp_recv *r, const uint8_t *p, size_t n)
{
	size_t take;

	if (r->broken)
		return EBADMSG;
	while (n > 0) {
		if (r->need == 0) {
			if (r->lenhave == 0 && n >= 2) {
				r->need = rtp_be16(p);
				p += 2;
				n -= 2;
			} else {
				r->lenbuf[r->lenhave++] = *p++;
				n--;
				if (r->lenhave < 2)
					continue;
				r->need = rtp_be16(r->lenbuf);
				r->lenhave = 0;
			}
			if (r->need < RTP_HDR) {
				r->broken = 1;
				return EBADMSG;
			}
			r->have = 0;
			continue;
		}
		if (r->have == 0 && n >= r->need) {
			/* whole in the input: no copy */
			if (p[0] >> 6 != 2)
				goto lost;
			(void)rtp_recv_packet(r, p, r->need);
			p += r->need;
			n -= r->need;
			r->need = 0;
			continue;
		}
		take = r->need - r->have < n ? r->need - r->have : n;
		memcpy(r->frame + r->have, p, take);
		r->have += take;
		p += take;
		n -= take;
		if (r->have == r->need) {
			r->need = 0;
			if (r->frame[0] >> 6 != 2)
				goto lost;
			(void)rtp_recv_packet(r, r->frame, r->have);
		}
	}
	return 0;
lost:
	/* not RTP where a frame starts: the framing is lost */
	r->stats.malformed++;
	r->broken = 1;
	return EBADMSG;
}
