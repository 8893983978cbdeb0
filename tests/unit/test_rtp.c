/*
 * Unit test of mediad/rtp.c: header parsing, the reordering window (loss,
 * duplicates, wrap-around, restarts), SSRC filter and RFC 4571 framing,
 * on hand-made packets, real captures and the clips in tests/data/ps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mediad/rtp.h"
#include "t.h"

#define SSRC	0x0bebc6d2u	/* the clips' (make.py) */
#define MAXGOT	4096

/* What the callback saw. */
struct got {
	unsigned	 n;
	uint16_t	 seq[MAXGOT];
	unsigned	 lost[MAXGOT];
	size_t		 bytes;		/* payload */
	uint32_t	 sum;		/* of the payload bytes, in order */
};

static void
got_cb(void *arg, const struct rtp_pkt *pkt, unsigned lost)
{
	struct got *g = arg;

	if (g->n < MAXGOT) {
		g->seq[g->n] = pkt->seq;
		g->lost[g->n] = lost;
	}
	g->n++;
	g->bytes += pkt->len;
	for (size_t i = 0; i < pkt->len; i++)
		g->sum = g->sum * 31 + pkt->payload[i];
}

static uint8_t *
load(const char *name, size_t *n)
{
	return (uint8_t *)t_load("tests/data/ps", name, n);
}

/* A 12-byte header + 4 bytes of payload. */
static size_t
mk(uint8_t *b, uint16_t seq, uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = 96;
	b[2] = seq >> 8;
	b[3] = seq & 0xff;
	memset(b + 4, 0, 4);
	b[8] = ssrc >> 24;
	b[9] = ssrc >> 16 & 0xff;
	b[10] = ssrc >> 8 & 0xff;
	b[11] = ssrc & 0xff;
	b[12] = 0xaa;
	b[13] = seq >> 8;
	b[14] = seq & 0xff;
	b[15] = 0xbb;
	return 16;
}

static void
send_seq(struct rtp_recv *r, uint16_t seq)
{
	uint8_t b[16];

	T_OK(rtp_recv_packet(r, b, mk(b, seq, SSRC)) == 0, "packet %u", seq);
}

static struct rtp_recv *
recv_new(struct got *g, uint32_t ssrc, unsigned window)
{
	struct rtp_recv *r;

	memset(g, 0, sizeof(*g));
	if (rtp_recv_alloc(&r, ssrc, window, got_cb, g) != 0)
		exit(1);
	return r;
}

static int
seq_is(const struct got *g, const uint16_t *want, unsigned n)
{
	if (g->n != n)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (g->seq[i] != want[i])
			return 0;
	return 1;
}

static void
test_parse(void)
{
	static const uint8_t ext[] = { 0xb3, 0xe0, 0x12, 0x34, 0xde, 0xad,
	    0xbe, 0xef, 0x0b, 0xeb, 0xc6, 0x52,
	    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,	/* 3 CSRCs */
	    0xbe, 0xde, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, /* 2-word extension */
	    'p', 'l', 0, 0, 0, 3 };		/* payload + 3 padding */
	uint8_t b[64];
	struct rtp_pkt pkt;

	T_OK(rtp_parse(ext, sizeof(ext), &pkt) == 0, "full header");
	T_OK(pkt.marker == 1 && pkt.pt == 96, "marker %d pt %u", pkt.marker,
	    pkt.pt);
	T_OK(pkt.seq == 0x1234 && pkt.ts == 0xdeadbeef &&
	    pkt.ssrc == 0x0bebc652, "seq/ts/ssrc");
	T_OK(pkt.payload == ext + 12 + 12 + 12 && pkt.len == 3,
	    "payload after CSRCs and extension, less padding: %zu", pkt.len);
	T_OK(pkt.payload[0] == 'p' && pkt.payload[1] == 'l', "payload bytes");

	mk(b, 7, SSRC);
	T_OK(rtp_parse(b, 12, &pkt) == 0 && pkt.len == 0, "empty payload");
	T_OK(rtp_parse(b, 11, &pkt) == EBADMSG, "short header");
	b[0] = 0x40;
	T_OK(rtp_parse(b, 16, &pkt) == EBADMSG, "version 1");
	b[0] = 0x84;		/* 4 CSRCs: 28 bytes */
	T_OK(rtp_parse(b, 16, &pkt) == EBADMSG, "CSRCs past the end");
	b[0] = 0x81;
	T_OK(rtp_parse(b, 16, &pkt) == 0 && pkt.len == 0, "CSRC exactly");
	b[0] = 0x90;		/* extension header only partly there */
	T_OK(rtp_parse(b, 14, &pkt) == EBADMSG, "truncated extension header");
	b[12] = 0xbe;
	b[13] = 0xde;
	b[14] = 0;
	b[15] = 1;		/* one word, absent */
	T_OK(rtp_parse(b, 16, &pkt) == EBADMSG, "extension past the end");
	b[15] = 0;
	T_OK(rtp_parse(b, 16, &pkt) == 0 && pkt.len == 0, "empty extension");
	mk(b, 7, SSRC);
	b[0] = 0xa0;
	b[15] = 0;
	T_OK(rtp_parse(b, 16, &pkt) == EBADMSG, "padding count 0");
	b[15] = 5;
	T_OK(rtp_parse(b, 16, &pkt) == EBADMSG, "padding beyond payload");
	b[15] = 4;
	T_OK(rtp_parse(b, 16, &pkt) == 0 && pkt.len == 0, "all padding");
}

/* Real packets: ossrs/srs issue 2565, a Dahua camera (make.py DAHUA). */
static void
test_dahua(void)
{
	struct rtp_pkt pkt;
	uint8_t *f;
	size_t n, len;

	f = load("dahua.rtp", &n);
	len = (size_t)f[0] << 8 | f[1];
	T_OK(len == 94 && rtp_parse(f + 2, len, &pkt) == 0, "dahua 1");
	T_OK(pkt.seq == 1 && pkt.ts == 3600 && pkt.ssrc == 0x0bebc27d &&
	    pkt.pt == 96 && !pkt.marker && pkt.len == 82, "dahua 1 fields");
	T_OK(memcmp(pkt.payload, "\0\0\1\xba", 4) == 0, "dahua 1 pack");
	T_OK(rtp_parse(f + 4 + len, n - 4 - len, &pkt) == 0 &&
	    pkt.seq == 2 && pkt.len == 36 &&
	    memcmp(pkt.payload, "\0\0\0\1\x67", 5) == 0, "dahua 2");
	free(f);
}

static void
test_order(void)
{
	static const uint16_t in[] = { 10, 12, 11, 13, 16, 14, 15, 17 };
	static const uint16_t want[] = { 10, 11, 12, 13, 14, 15, 16, 17 };
	struct rtp_recv *r;
	struct got g;
	size_t i;

	r = recv_new(&g, SSRC, 0);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		send_seq(r, in[i]);
	T_OK(seq_is(&g, want, 8), "reordered into sequence (%u)", g.n);
	T_OK(rtp_recv_stats(r)->reordered == 3, "reordered %llu",
	    (unsigned long long)rtp_recv_stats(r)->reordered);
	T_OK(rtp_recv_stats(r)->lost == 0 && rtp_recv_stats(r)->packets == 8,
	    "nothing lost");
	T_OK(rtp_recv_stats(r)->bytes == 8 * 16, "bytes");
	for (i = 0; i < 8; i++)
		T_OK(g.lost[i] == 0, "lost 0 at %zu", i);
	rtp_recv_free(r);

	/* a block of 30 in reverse order fits a window of 32 */
	r = recv_new(&g, SSRC, 0);
	send_seq(r, 100);
	for (i = 30; i > 0; i--)
		send_seq(r, (uint16_t)(100 + i));
	T_OK(g.n == 31, "reverse block delivered %u", g.n);
	for (i = 0; i < 31 && i < g.n; i++)
		T_OK(g.seq[i] == 100 + i, "reverse block %zu: %u", i,
		    g.seq[i]);
	T_OK(rtp_recv_stats(r)->lost == 0, "reverse block, none lost");
	rtp_recv_free(r);
}

static void
test_loss(void)
{
	struct rtp_recv *r;
	struct got g;
	unsigned i;

	/* a gap is given up when the window fills: 31 held */
	r = recv_new(&g, SSRC, 0);
	send_seq(r, 0);
	send_seq(r, 1);
	for (i = 3; i < 3 + 30; i++)
		send_seq(r, (uint16_t)i);
	T_OK(g.n == 2, "30 held behind the gap (%u)", g.n);
	send_seq(r, 33);
	T_OK(g.n == 33 && g.seq[2] == 3 && g.lost[2] == 1 &&
	    g.seq[32] == 33 && g.lost[32] == 0, "window full: gap given up");
	T_OK(rtp_recv_stats(r)->lost == 1, "lost 1");
	send_seq(r, 2);
	T_OK(g.n == 33 && rtp_recv_stats(r)->late == 1, "late after give-up");
	rtp_recv_free(r);

	/* a packet more than the window ahead, nothing held */
	r = recv_new(&g, SSRC, 0);
	send_seq(r, 0);
	send_seq(r, 100);
	T_OK(g.n == 2 && g.seq[1] == 100 && g.lost[1] == 99,
	    "jump of 100: lost 99 (%u)", g.n > 1 ? g.lost[1] : 0);
	rtp_recv_free(r);

	/* ... and with packets held */
	r = recv_new(&g, SSRC, 8);
	send_seq(r, 0);
	send_seq(r, 2);
	send_seq(r, 3);
	send_seq(r, 20);
	T_OK(g.n == 4 && g.seq[1] == 2 && g.lost[1] == 1 && g.seq[2] == 3 &&
	    g.seq[3] == 20 && g.lost[3] == 16, "jump past held packets");
	T_OK(rtp_recv_stats(r)->lost == 17, "lost 17: %llu",
	    (unsigned long long)rtp_recv_stats(r)->lost);
	rtp_recv_free(r);

	/* flush gives up the gaps at the end */
	r = recv_new(&g, SSRC, 0);
	send_seq(r, 0);
	send_seq(r, 2);
	send_seq(r, 5);
	T_OK(g.n == 1, "held");
	rtp_recv_flush(r);
	T_OK(g.n == 3 && g.seq[1] == 2 && g.lost[1] == 1 && g.seq[2] == 5 &&
	    g.lost[2] == 2, "flushed");
	rtp_recv_free(r);
}

/* Out of order and larger than a slot: cannot wait, its gap is lost. */
static void
test_oversize(void)
{
	static uint8_t big[5000];
	struct rtp_recv *r;
	struct got g;

	r = recv_new(&g, SSRC, 0);
	send_seq(r, 0);
	mk(big, 2, SSRC);
	T_OK(rtp_recv_packet(r, big, sizeof(big)) == 0, "big packet");
	send_seq(r, 3);
	send_seq(r, 1);
	T_OK(g.n == 2 && g.seq[1] == 1 && rtp_recv_stats(r)->oversize == 1,
	    "too large to hold");
	rtp_recv_flush(r);
	T_OK(g.n == 3 && g.seq[2] == 3 && g.lost[2] == 1, "then lost");
	mk(big, 4, SSRC);
	T_OK(rtp_recv_packet(r, big, sizeof(big)) == 0 && g.n == 4 &&
	    g.bytes == 3 * 4 + sizeof(big) - 12, "in order: no slot needed");
	rtp_recv_free(r);
}

static void
test_dup(void)
{
	static const uint16_t want[] = { 0, 1, 2, 3 };
	struct rtp_recv *r;
	struct got g;

	r = recv_new(&g, SSRC, 0);
	send_seq(r, 0);
	send_seq(r, 1);
	send_seq(r, 1);		/* delivered already */
	send_seq(r, 3);
	send_seq(r, 3);		/* held already */
	send_seq(r, 2);
	send_seq(r, 0);
	T_OK(seq_is(&g, want, 4), "duplicates dropped (%u)", g.n);
	T_OK(rtp_recv_stats(r)->duplicates == 3, "duplicates %llu",
	    (unsigned long long)rtp_recv_stats(r)->duplicates);
	T_OK(rtp_recv_stats(r)->reordered == 1, "reordered 1");
	rtp_recv_free(r);
}

static void
test_wrap(void)
{
	static const uint16_t in[] = { 65533, 65535, 65534, 1, 0, 2, 4, 3 };
	static const uint16_t want[] = { 65533, 65534, 65535, 0, 1, 2, 3, 4 };
	struct rtp_recv *r;
	struct got g;
	unsigned i;

	r = recv_new(&g, SSRC, 0);
	for (i = 0; i < 8; i++)
		send_seq(r, in[i]);
	T_OK(seq_is(&g, want, 8), "reordered across the wrap (%u)", g.n);
	T_OK(rtp_recv_stats(r)->lost == 0, "nothing lost across the wrap");
	rtp_recv_free(r);

	/* a gap across the wrap is counted exactly, window not a power of 2 */
	r = recv_new(&g, SSRC, 5);
	send_seq(r, 65534);
	send_seq(r, 1);
	send_seq(r, 2);
	send_seq(r, 3);
	send_seq(r, 4);
	T_OK(g.n == 5 && g.seq[1] == 1 && g.lost[1] == 2 && g.seq[4] == 4,
	    "gap across the wrap (%u)", g.n);
	rtp_recv_free(r);
}

static void
test_restart(void)
{
	struct rtp_recv *r;
	struct got g;
	unsigned i;

	r = recv_new(&g, SSRC, 0);
	for (i = 100; i < 110; i++)
		send_seq(r, (uint16_t)i);
	send_seq(r, 30000);	/* one stray packet */
	send_seq(r, 110);
	T_OK(g.n == 11 && g.seq[10] == 110, "a stray packet is dropped");
	T_OK(rtp_recv_stats(r)->late == 1 && rtp_recv_stats(r)->restarts == 0,
	    "stray counted late");
	send_seq(r, 40000);	/* the sender restarted */
	send_seq(r, 40001);
	send_seq(r, 40002);
	T_OK(g.n == 14 && g.seq[11] == 40000 && g.seq[12] == 40001 &&
	    g.seq[13] == 40002 && g.lost[11] == 0, "restart followed (%u)",
	    g.n);
	T_OK(rtp_recv_stats(r)->restarts == 1 &&
	    rtp_recv_stats(r)->late == 1 && rtp_recv_stats(r)->lost == 0,
	    "restart counted");
	/* a restart backwards, below the history */
	send_seq(r, 5);
	send_seq(r, 6);
	T_OK(g.n == 16 && g.seq[14] == 5 && g.seq[15] == 6,
	    "restart backwards");
	rtp_recv_free(r);
}

static void
test_ssrc(void)
{
	uint8_t b[16];
	struct rtp_recv *r;
	struct got g;

	r = recv_new(&g, SSRC, 0);
	T_OK(rtp_recv_packet(r, b, mk(b, 1, 0x12345678)) == 0, "foreign ok");
	send_seq(r, 2);
	T_OK(g.n == 1 && g.seq[0] == 2, "foreign SSRC not delivered");
	T_OK(rtp_recv_stats(r)->foreign == 1, "foreign counted");
	rtp_recv_free(r);

	r = recv_new(&g, 0, 0);
	T_OK(rtp_recv_packet(r, b, mk(b, 1, 0x12345678)) == 0, "first");
	T_OK(rtp_recv_packet(r, b, mk(b, 2, SSRC)) == 0, "second");
	T_OK(rtp_recv_packet(r, b, mk(b, 2, 0x12345678)) == 0, "third");
	T_OK(g.n == 2 && rtp_recv_stats(r)->foreign == 1,
	    "locked on the first SSRC");
	rtp_recv_free(r);
}

static void
test_bad(void)
{
	static const uint8_t sr[] = { 0x80, 200, 0, 6, 0x0b, 0xeb, 0xc6, 0x52,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t b[16];
	struct rtp_recv *r;
	struct got g;

	r = recv_new(&g, SSRC, 0);
	T_OK(rtp_recv_packet(r, sr, sizeof(sr)) == 0, "RTCP accepted");
	mk(b, 1, SSRC);
	b[0] = 0;
	T_OK(rtp_recv_packet(r, b, 16) == EBADMSG, "version 0 refused");
	T_OK(rtp_recv_packet(r, b, 3) == EBADMSG, "3 bytes refused");
	T_OK(g.n == 0 && rtp_recv_stats(r)->rtcp == 1 &&
	    rtp_recv_stats(r)->malformed == 2, "counted, not delivered");
	rtp_recv_free(r);
}

/* The RFC 4571 packets of a file, in order. */
static unsigned
frames(const uint8_t *f, size_t n, const uint8_t **pkt, size_t *len,
    unsigned max)
{
	unsigned k = 0;
	size_t i = 0, l;

	while (i + 2 <= n && k < max) {
		l = (size_t)f[i] << 8 | f[i + 1];
		pkt[k] = f + i + 2;
		len[k++] = l;
		i += 2 + l;
	}
	return k;
}

static void
test_tcp(const char *name, unsigned want_n, uint16_t seq0)
{
	static const uint8_t *pkt[512];
	static size_t len[512];
	struct rtp_recv *r;
	struct got ref, g;
	uint8_t *f;
	size_t n, cut, head, i;
	unsigned k, bad = 0;

	f = load(name, &n);
	k = frames(f, n, pkt, len, 512);
	T_OK(k == want_n, "%s: %u packets", name, k);

	/* the reference: each packet as a datagram */
	r = recv_new(&ref, SSRC, 0);
	for (i = 0; i < k; i++)
		T_OK(rtp_recv_packet(r, pkt[i], len[i]) == 0, "%s: %zu", name,
		    i);
	T_OK(ref.n == k && ref.seq[0] == seq0 &&
	    ref.seq[k - 1] == (uint16_t)(seq0 + k - 1), "%s: all delivered",
	    name);
	T_OK(rtp_recv_stats(r)->lost == 0, "%s: none lost", name);
	rtp_recv_free(r);

	/* whole, then a byte at a time */
	r = recv_new(&g, SSRC, 0);
	T_OK(rtp_recv_stream(r, f, n) == 0, "%s: whole stream", name);
	T_OK(g.n == ref.n && g.sum == ref.sum && g.bytes == ref.bytes,
	    "%s: whole stream delivers the same", name);
	rtp_recv_free(r);
	r = recv_new(&g, SSRC, 0);
	for (i = 0; i < n; i++)
		if (rtp_recv_stream(r, f + i, 1) != 0)
			bad++;
	T_OK(bad == 0 && g.n == ref.n && g.sum == ref.sum,
	    "%s: a byte at a time delivers the same", name);
	rtp_recv_free(r);

	/* the first 4 packets split in two at every position */
	head = 0;
	for (i = 0; i < 4; i++)
		head += 2 + len[i];
	for (cut = 0; cut <= head; cut++) {
		r = recv_new(&g, SSRC, 0);
		if (rtp_recv_stream(r, f, cut) != 0 ||
		    rtp_recv_stream(r, f + cut, head - cut) != 0 ||
		    g.n != 4 || g.seq[0] != seq0 || g.seq[3] != seq0 + 3)
			bad++;
		rtp_recv_free(r);
	}
	T_OK(bad == 0, "%s: split at each of %zu positions", name, head + 1);
	free(f);
}

static void
test_tcp_bad(void)
{
	static const uint8_t short_len[] = { 0, 11, 0x80, 96, 0, 1, 0, 0, 0,
	    0, 0, 0, 0, 0 };
	static const uint8_t zero_len[] = { 0, 0 };
	static const uint8_t not_rtp[] = { 0, 12, 0x40, 96, 0, 1, 0, 0, 0, 0,
	    0, 0, 0, 0 };
	uint8_t ok[18] = { 0, 16 };
	struct rtp_recv *r;
	struct got g;

	mk(ok + 2, 1, SSRC);
	r = recv_new(&g, SSRC, 0);
	T_OK(rtp_recv_stream(r, short_len, sizeof(short_len)) == EBADMSG,
	    "length 11 breaks the framing");
	T_OK(rtp_recv_stream(r, ok, sizeof(ok)) == EBADMSG && g.n == 0,
	    "broken for good");
	rtp_recv_free(r);

	r = recv_new(&g, SSRC, 0);
	T_OK(rtp_recv_stream(r, zero_len, 1) == 0, "half a length");
	T_OK(rtp_recv_stream(r, zero_len + 1, 1) == EBADMSG, "length 0");
	rtp_recv_free(r);

	r = recv_new(&g, SSRC, 0);
	T_OK(rtp_recv_stream(r, ok, sizeof(ok)) == 0 && g.n == 1, "one ok");
	T_OK(rtp_recv_stream(r, not_rtp, 5) == 0, "part of a non-RTP frame");
	T_OK(rtp_recv_stream(r, not_rtp + 5, sizeof(not_rtp) - 5) == EBADMSG,
	    "a frame that is not RTP: framing lost");
	rtp_recv_free(r);

	r = recv_new(&g, SSRC, 0);
	T_OK(rtp_recv_stream(r, not_rtp, sizeof(not_rtp)) == EBADMSG,
	    "a whole frame that is not RTP");
	rtp_recv_free(r);

	/* a malformed packet inside good framing is counted, not fatal */
	r = recv_new(&g, SSRC, 0);
	ok[2] = 0xa0;		/* padding count 0xbb > payload */
	T_OK(rtp_recv_stream(r, ok, sizeof(ok)) == 0, "bad padding framed");
	T_OK(rtp_recv_stats(r)->malformed == 1 && g.n == 0, "counted");
	rtp_recv_free(r);
}

/*
 * ossrs/srs utest packets of a Hikvision-like camera (make.py srs_hik):
 * seq 0, 1 and seven copies of 1, then 9-13; 2-8 never come.
 */
static void
test_srs(void)
{
	static const uint16_t want[] = { 0, 1, 9, 10, 11, 12, 13 };
	struct rtp_recv *r;
	struct got g;
	uint8_t *f;
	size_t n;

	f = load("srs_hik.rtp", &n);
	r = recv_new(&g, 0, 0);
	T_OK(rtp_recv_stream(r, f, n) == 0, "srs capture framed");
	T_OK(g.n == 2, "9-13 wait for 2-8 (%u)", g.n);
	rtp_recv_flush(r);
	T_OK(seq_is(&g, want, 7) && g.lost[2] == 7, "srs: delivered");
	T_OK(rtp_recv_stats(r)->duplicates == 7 &&
	    rtp_recv_stats(r)->lost == 7, "srs: 7 duplicates, 7 lost");
	rtp_recv_free(r);
	free(f);
}

int
main(void)
{
	test_parse();
	test_dahua();
	test_order();
	test_loss();
	test_dup();
	test_oversize();
	test_wrap();
	test_restart();
	test_ssrc();
	test_bad();
	test_tcp("h264.rtp", 104, 65500);
	test_tcp("h265.rtp", 57, 1000);
	test_tcp_bad();
	test_srs();
	return T_DONE();
}
