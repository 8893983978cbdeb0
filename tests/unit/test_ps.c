/*
 * Unit test of mediad/ps.c: real captures (Hikvision, Dahua), the H.264 and
 * H.265 clips with G.711A of tests/data/ps (make.py) through mediad/rtp.c,
 * chunking, loss, and malformed or unusual streams made here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mediad/ps.h"
#include "mediad/rtp.h"
#include "t.h"

#define MAXF	128
#define WRAP	(INT64_C(1) << 33)
#define H264_BASE	(WRAP - 10 * 3600)	/* make.py: wraps at frame 10 */
#define H265_BASE	90000

struct fr {
	enum ps_codec	 codec;
	int		 key;
	int64_t		 pts;
	int64_t		 dts;
	size_t		 off;		/* in the concatenation */
	size_t		 len;
};

/* What the callback saw: frames and the concatenation of their data. */
struct out {
	unsigned	 nv;
	unsigned	 na;
	struct fr	 v[MAXF];
	struct fr	 a[MAXF];
	uint8_t		*vd;
	size_t		 vlen;
	uint8_t		*ad;
	size_t		 alen;
	unsigned	 badmsg;	/* feeds answered EBADMSG */
};

static void
add(uint8_t **d, size_t *len, const uint8_t *p, size_t n)
{
	if ((*d = realloc(*d, *len + n + 1)) == NULL)
		exit(1);
	memcpy(*d + *len, p, n);
	*len += n;
}

static void
out_cb(void *arg, const struct ps_frame *f)
{
	struct out *o = arg;
	struct fr *r;

	if (f->video) {
		r = o->nv < MAXF ? &o->v[o->nv] : NULL;
		o->nv++;
		if (r != NULL)
			r->off = o->vlen;
		add(&o->vd, &o->vlen, f->data, f->len);
	} else {
		r = o->na < MAXF ? &o->a[o->na] : NULL;
		o->na++;
		if (r != NULL)
			r->off = o->alen;
		add(&o->ad, &o->alen, f->data, f->len);
	}
	if (r == NULL)
		return;
	r->codec = f->codec;
	r->key = f->key;
	r->pts = f->pts;
	r->dts = f->dts;
	r->len = f->len;
}

static void
out_free(struct out *o)
{
	free(o->vd);
	free(o->ad);
	memset(o, 0, sizeof(*o));
}

static struct ps_demux *
demux_new(struct out *o)
{
	struct ps_demux *d;

	memset(o, 0, sizeof(*o));
	if (ps_demux_alloc(&d, out_cb, o) != 0)
		exit(1);
	return d;
}

static void
feed(struct ps_demux *d, struct out *o, const uint8_t *p, size_t n)
{
	if (ps_demux_feed(d, p, n) == EBADMSG)
		o->badmsg++;
}

static void
feed_chunks(struct ps_demux *d, struct out *o, const uint8_t *p, size_t n,
    size_t chunk)
{
	for (size_t i = 0; i < n; i += chunk)
		feed(d, o, p + i, n - i < chunk ? n - i : chunk);
}

static uint8_t *
load(const char *name, size_t *n)
{
	return (uint8_t *)t_load("tests/data/ps", name, n);
}

/* The RFC 4571 packets of a file. */
static unsigned
packets(const uint8_t *f, size_t n, const uint8_t **pkt, size_t *len,
    unsigned max)
{
	unsigned k = 0;
	size_t i = 0;

	while (i + 2 <= n && k < max) {
		len[k] = (size_t)f[i] << 8 | f[i + 1];
		pkt[k++] = f + i + 2;
		i += 2 + len[k - 1];
	}
	return k;
}

/* The PS carried by a file of RTP packets. */
static uint8_t *
ps_of(const char *name, size_t *psn)
{
	static const uint8_t *pkt[512];
	static size_t len[512];
	struct rtp_pkt rp;
	uint8_t *f, *ps = NULL;
	size_t n;
	unsigned k;

	*psn = 0;
	f = load(name, &n);
	k = packets(f, n, pkt, len, 512);
	for (unsigned i = 0; i < k; i++)
		if (rtp_parse(pkt[i], len[i], &rp) == 0)
			add(&ps, psn, rp.payload, rp.len);
	free(f);
	return ps;
}

/* RTP in, PS out, as mediad's ingest does it. */
struct chain {
	struct ps_demux	*d;
	struct out	*o;
};

static void
chain_cb(void *arg, const struct rtp_pkt *pkt, unsigned lost)
{
	struct chain *c = arg;

	if (lost > 0)
		ps_demux_loss(c->d);
	feed(c->d, c->o, pkt->payload, pkt->len);
	if (pkt->marker)
		ps_demux_flush(c->d);	/* the clips mark frame ends */
}

/*
 * Feeds the packets of a file in the order given by perm (NULL: as
 * stored; -1 entries are lost), through a receiver and the demuxer.
 */
static void
run_rtp(const char *name, const int *perm, unsigned np, struct out *o,
    struct ps_demux **dp)
{
	static const uint8_t *pkt[512];
	static size_t len[512];
	struct rtp_recv *r;
	struct chain c;
	uint8_t *f;
	size_t n;
	unsigned k;

	f = load(name, &n);
	k = packets(f, n, pkt, len, 512);
	c.d = demux_new(o);
	c.o = o;
	if (rtp_recv_alloc(&r, 0, 0, chain_cb, &c) != 0)
		exit(1);
	if (perm == NULL)
		T_OK(rtp_recv_stream(r, f, n) == 0, "%s framed", name);
	else
		for (unsigned i = 0; i < np; i++)
			if (perm[i] >= 0 && (unsigned)perm[i] < k)
				(void)rtp_recv_packet(r, pkt[perm[i]],
				    len[perm[i]]);
	rtp_recv_flush(r);
	ps_demux_flush(c.d);
	rtp_recv_free(r);
	free(f);
	*dp = c.d;
}

/* The clips: every frame, its codec, PTS and key flag, and the bytes. */
static void
test_clip(const char *rtp, const char *esname, enum ps_codec codec,
    int64_t base, int hevc)
{
	const struct ps_stats *st;
	struct ps_demux *d;
	struct out o;
	uint8_t *es, *al;
	size_t esn, aln;
	unsigned i, bad = 0;

	es = load(esname, &esn);
	al = load("g711a.al", &aln);
	run_rtp(rtp, NULL, 0, &o, &d);
	st = ps_demux_stats(d);
	T_OK(o.nv == 50 && o.na == 50, "%s: 50 + 50 frames (%u, %u)", rtp,
	    o.nv, o.na);
	T_OK(o.vlen == esn && memcmp(o.vd, es, esn) == 0,
	    "%s: video frames are the Annex B clip", rtp);
	T_OK(o.alen == aln && memcmp(o.ad, al, aln) == 0,
	    "%s: audio frames are the G.711A source", rtp);
	for (i = 0; i < o.nv && i < 50; i++) {
		if (o.v[i].codec != codec || o.v[i].key != (i % 25 == 0) ||
		    o.v[i].pts != base + 3600 * (int64_t)i ||
		    o.v[i].dts != (hevc ? o.v[i].pts : -1)) {
			printf("# %s frame %u: codec %d key %d pts %lld\n",
			    rtp, i, o.v[i].codec, o.v[i].key,
			    (long long)o.v[i].pts);
			bad++;
		}
		if (o.a[i].codec != PS_CODEC_G711A || o.a[i].len != 320 ||
		    o.a[i].pts != base + 3600 * (int64_t)i || o.a[i].dts != -1)
			bad++;
	}
	T_OK(bad == 0, "%s: codecs, keyframes at 0 and 25, PTS", rtp);
	T_OK(o.badmsg == 0 && st->skipped == 0 && st->dropped == 0 &&
	    st->waitkey == 0, "%s: nothing skipped or dropped", rtp);
	T_OK(st->maps == 2 && st->packs == (hevc ? 50u : 100u) &&
	    st->video_frames == 50 && st->audio_frames == 50,
	    "%s: 2 maps, %u packs", rtp, (unsigned)st->packs);
	T_OK(st->video == codec && st->audio == PS_CODEC_G711A,
	    "%s: codecs in the stats", rtp);
	ps_demux_free(d);
	out_free(&o);
	free(es);
	free(al);
}

/* The PS of a clip fed in chunks of every size gives the same frames. */
static void
test_chunks(void)
{
	static const size_t sizes[] = { 1, 2, 3, 5, 13, 188, 1000, 4096,
	    1 << 20 };
	struct ps_demux *d;
	struct out o;
	uint8_t *ps, *es;
	size_t psn, esn;
	unsigned i, bad = 0;

	ps = ps_of("h264.rtp", &psn);
	es = load("h264.es", &esn);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		d = demux_new(&o);
		feed_chunks(d, &o, ps, psn, sizes[i]);
		ps_demux_flush(d);
		if (o.nv != 50 || o.na != 50 || o.vlen != esn ||
		    memcmp(o.vd, es, esn) != 0 || o.badmsg != 0 ||
		    o.v[49].pts != H264_BASE + 49 * 3600) {
			printf("# chunks of %zu: %u %u\n", sizes[i], o.nv,
			    o.na);
			bad++;
		}
		ps_demux_free(d);
		out_free(&o);
	}
	T_OK(bad == 0, "chunks of 1 byte to 1 MB");
	free(ps);
	free(es);
}

/* Reordered and duplicated packets are put back in order by rtp.c. */
static void
test_reorder(void)
{
	int perm[200];
	struct ps_demux *d;
	struct out o, ref;
	unsigned i, n = 0;

	run_rtp("h264.rtp", NULL, 0, &ref, &d);
	ps_demux_free(d);
	perm[n++] = 0;		/* the first packet sets the start */
	for (i = 1; i < 104; i += 8) {	/* blocks of 8 reversed */
		for (unsigned j = 8; j > 0; j--)
			if (i + j - 1 < 104)
				perm[n++] = (int)(i + j - 1);
		if (i % 16 == 1)
			perm[n++] = (int)i;	/* a duplicate */
	}
	run_rtp("h264.rtp", perm, n, &o, &d);
	T_OK(o.nv == 50 && o.na == 50 && o.vlen == ref.vlen &&
	    memcmp(o.vd, ref.vd, ref.vlen) == 0 && o.alen == ref.alen,
	    "reordered and duplicated packets: same frames");
	ps_demux_free(d);
	out_free(&o);
	out_free(&ref);
}

static int
has(const uint8_t *p, size_t n, const char *pat, size_t pn)
{
	for (size_t i = 0; i + pn <= n; i++)
		if (memcmp(p + i, pat, pn) == 0)
			return 1;
	return 0;
}

/*
 * One packet lost: the frame it was in is dropped (an audio packet's video
 * frame went out on its marker), video waits for the next keyframe (25),
 * the frames delivered are the clip's.
 */
static void
test_loss(unsigned drop)
{
	static const uint8_t *pkt[512];
	static size_t len[512];
	int perm[200];
	struct rtp_pkt rp;
	struct ps_demux *d;
	struct out o, ref;
	uint8_t *f;
	size_t n;
	unsigned i, k, want = 0, bad = 0, audio;

	f = load("h264.rtp", &n);
	(void)packets(f, n, pkt, len, 512);
	if (rtp_parse(pkt[drop], len[drop], &rp) != 0)
		exit(1);
	/* the frame of the lost packet, from its RTP timestamp */
	k = (rp.ts - (uint32_t)H264_BASE) / 3600;
	audio = has(rp.payload, rp.len, "\0\0\1\xc0", 4);
	run_rtp("h264.rtp", NULL, 0, &ref, &d);
	ps_demux_free(d);
	for (i = 0; i < 104; i++)
		perm[i] = i == drop ? -1 : (int)i;
	run_rtp("h264.rtp", perm, 104, &o, &d);
	for (i = 0; i < 50; i++)
		if (i < k || (audio && i == k) || (k < 25 && i >= 25))
			want++;
	T_OK(o.nv == want, "loss of packet %u (frame %u%s): %u video frames,"
	    " want %u", drop, k, audio ? ", audio" : "", o.nv, want);
	for (i = 0; i < o.nv && i < MAXF; i++) {
		unsigned j = (unsigned)((o.v[i].pts - H264_BASE) / 3600);

		if (j >= 50 || o.v[i].len != ref.v[j].len ||
		    memcmp(o.vd + o.v[i].off, ref.vd + ref.v[j].off,
		    o.v[i].len) != 0 || o.v[i].key != ref.v[j].key)
			bad++;
	}
	T_OK(bad == 0, "loss of packet %u: the frames left are whole", drop);
	T_OK(o.na == (audio ? 49u : 50u), "loss of packet %u: %u audio",
	    drop, o.na);
	T_OK(o.badmsg == 0, "loss of packet %u: skipping after it is quiet",
	    drop);
	/* the lost frame is counted if its start came */
	T_OK(ps_demux_stats(d)->dropped <= 1 &&
	    ps_demux_stats(d)->waitkey == (k < 25 ? 24 : 49) - k,
	    "loss of packet %u: dropped %u, waitkey %u", drop,
	    (unsigned)ps_demux_stats(d)->dropped,
	    (unsigned)ps_demux_stats(d)->waitkey);
	ps_demux_free(d);
	out_free(&o);
	out_free(&ref);
	free(f);
}

/*
 * A Hikvision-like camera (ossrs/srs utest packets, make.py srs_hik): a
 * keyframe of SPS, PPS, SEI and a 13 kB IDR in four PES over ten RTP
 * packets, a private 0xbd PES, two AAC PES, a P-frame.
 */
static void
test_srs(void)
{
	static const uint8_t *pkt[32];
	static size_t len[32];
	const struct ps_stats *st;
	struct rtp_pkt rp;
	struct ps_demux *d;
	struct out o;
	uint8_t *f;
	size_t n;
	unsigned i, k;

	f = load("srs_hik.rtp", &n);
	k = packets(f, n, pkt, len, 32);
	T_OK(k == 14, "srs: 14 packets");
	d = demux_new(&o);
	for (i = 0; i < k; i++)
		if (rtp_parse(pkt[i], len[i], &rp) == 0)
			feed(d, &o, rp.payload, rp.len);
	T_OK(o.nv == 1 && o.na == 2, "srs: keyframe out when the next starts");
	T_OK(o.v[0].codec == PS_CODEC_H264 && o.v[0].key &&
	    o.v[0].pts == 109496722 && o.v[0].dts == -1 &&
	    o.v[0].len == 28 + 8 + 9 + 13661,
	    "srs: keyframe of 4 PES (%zu)", o.v[0].len);
	T_OK(o.vlen >= 12 &&
	    memcmp(o.vd, "\0\0\0\1\x67\x4d\0\x1e", 8) == 0 &&
	    memcmp(o.vd + 28, "\0\0\0\1\x68\xee\x3c\x80", 8) == 0 &&
	    memcmp(o.vd + 36, "\0\0\0\1\x06\xe5\x01\xba\x80", 9) == 0 &&
	    memcmp(o.vd + 45, "\0\0\0\1\x65", 5) == 0,
	    "srs: SPS, PPS, SEI, IDR");
	T_OK(o.a[0].codec == PS_CODEC_AAC && o.a[0].len == 118 &&
	    o.a[0].pts == 109498792 && o.a[1].len == 126 &&
	    o.a[1].pts == 109500862 &&
	    memcmp(o.ad, "\xff\xf9\x50\x40\x0e", 5) == 0 &&
	    memcmp(o.ad + 118, "\xff\xf9\x50\x40\x0f", 5) == 0,
	    "srs: two ADTS frames");
	ps_demux_flush(d);
	T_OK(o.nv == 2 && !o.v[1].key && o.v[1].pts == 109500322 &&
	    o.v[1].len == 831 &&
	    memcmp(o.vd + o.v[1].off, "\0\0\0\1\x61\xe0", 6) == 0,
	    "srs: P-frame on flush");
	st = ps_demux_stats(d);
	T_OK(o.badmsg == 0 && st->skipped == 0 && st->dropped == 0 &&
	    st->maps == 1 && st->packs == 2, "srs: clean");
	T_OK(st->video == PS_CODEC_H264 && st->audio == PS_CODEC_AAC,
	    "srs: H.264 and AAC");
	ps_demux_free(d);
	out_free(&o);
	free(f);
}

/* ossrs/srs issue 2565: Dahua, a map without audio, a 32 kB PES begun. */
static void
test_dahua(void)
{
	static const uint8_t *pkt[4];
	static size_t len[4];
	const struct ps_stats *st;
	struct rtp_pkt rp;
	struct ps_demux *d;
	struct out o;
	uint8_t *f;
	size_t n;
	unsigned k;

	f = load("dahua.rtp", &n);
	k = packets(f, n, pkt, len, 4);
	d = demux_new(&o);
	for (unsigned i = 0; i < k; i++)
		if (rtp_parse(pkt[i], len[i], &rp) == 0)
			feed(d, &o, rp.payload, rp.len);
	ps_demux_flush(d);
	st = ps_demux_stats(d);
	T_OK(k == 2 && o.badmsg == 0 && o.nv == 0 && o.na == 0,
	    "dahua: parsed, the PES is not complete");
	T_OK(st->maps == 1 && st->packs == 1 && st->skipped == 0 &&
	    st->video == PS_CODEC_H264 && st->audio == PS_CODEC_NONE,
	    "dahua: H.264, no audio");
	ps_demux_loss(d);
	T_OK(st->dropped == 1, "dahua: the frame begun is dropped on loss");
	ps_demux_free(d);
	free(f);
}

/* Hikvision with G.711U in the map (make.py HIK_G711U). */
static void
test_hik(void)
{
	const struct ps_stats *st;
	struct ps_demux *d;
	struct out o;
	uint8_t *f;
	size_t n;

	f = load("hik_g711u.ps", &n);
	d = demux_new(&o);
	feed_chunks(d, &o, f, n, 1);
	st = ps_demux_stats(d);
	T_OK(o.badmsg == 0 && st->skipped == 0 && st->maps == 1 &&
	    st->packs == 1, "hik g711u: parsed byte by byte");
	T_OK(st->video == PS_CODEC_H264 && st->audio == PS_CODEC_G711U,
	    "hik g711u: H.264 and G.711U");
	ps_demux_loss(d);
	T_OK(o.nv == 0 && st->dropped == 1, "hik g711u: IDR incomplete");
	ps_demux_free(d);
	free(f);

	f = load("hik_psm_aac.ps", &n);
	d = demux_new(&o);
	feed(d, &o, f, n);
	st = ps_demux_stats(d);
	T_OK(o.badmsg == 0 && st->maps == 1 && st->video == PS_CODEC_H264 &&
	    st->audio == PS_CODEC_AAC, "hik psm: H.264 and AAC");
	ps_demux_free(d);
	free(f);
}

/* The units of a PS without its maps. */
static size_t
strip_psm(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0, u;

	while (i + 6 <= n) {
		if (p[i + 3] == 0xba)
			u = 14 + (p[i + 13] & 7);
		else if (p[i + 3] == 0xb9)
			u = 4;
		else
			u = 6 + ((size_t)p[i + 4] << 8 | p[i + 5]);
		if (p[i + 3] != 0xbc) {
			memcpy(out + o, p + i, u);
			o += u;
		}
		i += u;
	}
	return o;
}

/* No map: the codec is inferred from the NAL headers, audio is G.711A. */
static void
test_nomap(const char *rtp, const char *esname, enum ps_codec codec)
{
	struct ps_demux *d;
	struct out o;
	uint8_t *ps, *bare, *es;
	size_t psn, n, esn;
	unsigned keys = 0;

	ps = ps_of(rtp, &psn);
	es = load(esname, &esn);
	bare = malloc(psn);
	n = strip_psm(ps, psn, bare);
	d = demux_new(&o);
	feed_chunks(d, &o, bare, n, 1400);
	ps_demux_flush(d);
	for (unsigned i = 0; i < o.nv && i < MAXF; i++)
		keys += o.v[i].key;
	T_OK(n < psn && ps_demux_stats(d)->maps == 0, "%s: no map", rtp);
	T_OK(o.nv == 50 && o.v[0].codec == codec && o.v[49].codec == codec &&
	    keys == 2 && o.vlen == esn && memcmp(o.vd, es, esn) == 0,
	    "%s: codec inferred", rtp);
	T_OK(o.na == 50 && o.a[0].codec == PS_CODEC_G711A &&
	    ps_demux_stats(d)->audio == PS_CODEC_G711A,
	    "%s: audio taken for G.711A", rtp);
	ps_demux_free(d);
	out_free(&o);
	free(ps);
	free(bare);
	free(es);
}

/* Builders of small PS streams. */
static uint8_t syn[3 << 20];
static size_t sn;

static void
put(const void *p, size_t n)
{
	memcpy(syn + sn, p, n);
	sn += n;
}

static void
put_ts(int prefix, int64_t t)
{
	uint8_t b[5];

	b[0] = (uint8_t)(prefix << 4 | (t >> 29 & 0x0e) | 1);
	b[1] = (uint8_t)(t >> 22);
	b[2] = (uint8_t)((t >> 14 & 0xfe) | 1);
	b[3] = (uint8_t)(t >> 7);
	b[4] = (uint8_t)((t << 1 & 0xfe) | 1);
	put(b, 5);
}

static void
put_pack(void)
{
	/* the Dahua camera's pack header (ossrs/srs issue 2565) */
	put("\0\0\1\xba\x44\x00\x04\x00\x04\x01\x00\x5f\x6b\xf8", 14);
}

/* An MPEG-2 PES; pts/dts -1 for none. */
static void
put_pes(uint8_t id, int64_t pts, int64_t dts, const void *data, size_t n)
{
	size_t hl = pts < 0 ? 0 : dts < 0 ? 5 : 10, len = 3 + hl + n;
	uint8_t h[9] = { 0, 0, 1, id, (uint8_t)(len >> 8), (uint8_t)len,
	    0x80, 0, (uint8_t)hl };

	h[7] = pts < 0 ? 0 : dts < 0 ? 0x80 : 0xc0;
	put(h, 9);
	if (pts >= 0)
		put_ts(dts < 0 ? 2 : 3, pts);
	if (dts >= 0)
		put_ts(1, dts);
	put(data, n);
}

static const uint8_t idr[] = { 0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0x95,
    0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21 };
static const uint8_t pfr[] = { 0, 0, 0, 1, 0x41, 0x9a, 0x02, 0x03 };
static const uint8_t hevc_irap[] = { 0, 0, 0, 1, 0x40, 0x01, 0x0c,
    0, 0, 0, 1, 0x42, 0x01, 0x01, 0, 0, 0, 1, 0x44, 0x01, 0xc1,
    0, 0, 0, 1, 0x26, 0x01, 0xaf, 0x00 };
static const uint8_t hevc_p[] = { 0, 0, 0, 1, 0x02, 0x01, 0xd0, 0x11 };

static void
syn_run(struct out *o, struct ps_demux **dp)
{
	*dp = demux_new(o);
	feed(*dp, o, syn, sn);
	ps_demux_flush(*dp);
}

static void
test_mpeg1(void)
{
	static const uint8_t pack1[] = { 0, 0, 1, 0xba, 0x21, 0x00, 0x01,
	    0x00, 0x01, 0x80, 0x00, 0x01 };
	static const uint8_t audio[] = { 0, 0, 1, 0xc0, 0, 6, 0x40, 0x20,
	    0x0f, 0xd5, 0xd5, 0x55 };
	uint8_t h[6 + 2 + 5];
	struct ps_demux *d;
	struct out o;

	sn = 0;
	put(pack1, sizeof(pack1));
	/* stuffing, PTS */
	memcpy(h, "\0\0\1\xe0", 4);
	h[4] = 0;
	h[5] = (uint8_t)(2 + 5 + sizeof(idr));
	h[6] = h[7] = 0xff;
	put(h, 8);
	put_ts(2, 3600);
	put(idr, sizeof(idr));
	put(pack1, sizeof(pack1));
	/* STD buffer, PTS and DTS */
	h[5] = (uint8_t)(2 + 10 + sizeof(pfr));
	h[6] = 0x60;
	h[7] = 0x10;
	put(h, 8);
	put_ts(3, 10800);
	put_ts(1, 7200);
	put(pfr, sizeof(pfr));
	put(pack1, sizeof(pack1));
	put(audio, sizeof(audio));	/* STD buffer, no PTS */
	syn_run(&o, &d);
	T_OK(o.badmsg == 0 && ps_demux_stats(d)->packs == 3,
	    "MPEG-1 packs and PES");
	T_OK(o.nv == 2 && o.v[0].key && o.v[0].pts == 3600 &&
	    o.v[0].dts == -1 && o.v[0].len == sizeof(idr) &&
	    o.v[0].codec == PS_CODEC_H264 && o.v[1].pts == 10800 &&
	    o.v[1].dts == 7200 && !o.v[1].key, "MPEG-1 PTS and DTS");
	T_OK(o.na == 1 && o.a[0].len == 3 && o.a[0].pts == -1 &&
	    memcmp(o.ad, "\xd5\xd5\x55", 3) == 0, "MPEG-1 audio, no PTS");
	ps_demux_free(d);
	out_free(&o);
}

/* Frames split over packs, PTS repeated, no PTS at all, flush. */
static void
test_framing(void)
{
	struct ps_demux *d;
	struct out o;

	/* FFmpeg-style: a pack every few kB, PTS on a frame's first PES */
	sn = 0;
	put_pack();
	put_pes(0xe0, 900, -1, idr, 12);
	put_pack();
	put_pes(0xe0, -1, -1, idr + 12, sizeof(idr) - 12);
	put_pack();
	put_pes(0xe0, 4500, -1, pfr, sizeof(pfr));
	syn_run(&o, &d);
	T_OK(o.nv == 2 && o.v[0].len == sizeof(idr) &&
	    memcmp(o.vd, idr, sizeof(idr)) == 0 && o.v[0].key &&
	    o.v[1].pts == 4500, "a frame over two packs");
	ps_demux_free(d);
	out_free(&o);

	/* a device that repeats one PTS: the packs tell the frames apart */
	sn = 0;
	put_pack();
	put_pes(0xe0, 5, -1, idr, sizeof(idr));
	put_pack();
	put_pes(0xe0, 5, -1, pfr, sizeof(pfr));
	syn_run(&o, &d);
	T_OK(o.nv == 2 && o.v[0].len == sizeof(idr) && o.v[1].pts == 5 &&
	    o.v[1].len == sizeof(pfr), "PTS repeated in new packs");
	ps_demux_free(d);
	out_free(&o);

	/* a device without PTS */
	sn = 0;
	put_pack();
	put_pes(0xe0, -1, -1, idr, sizeof(idr));
	put_pack();
	put_pes(0xe0, -1, -1, pfr, sizeof(pfr));
	syn_run(&o, &d);
	T_OK(o.nv == 2 && o.v[0].pts == -1 && o.v[0].key &&
	    o.v[1].len == sizeof(pfr), "no PTS: frames by pack");
	ps_demux_free(d);
	out_free(&o);

	/* flush: a whole frame goes out at once, a partial one waits */
	sn = 0;
	put_pack();
	put_pes(0xe0, 900, -1, idr, sizeof(idr));
	d = demux_new(&o);
	feed(d, &o, syn, sn);
	T_OK(o.nv == 0, "a frame waits for the next");
	ps_demux_flush(d);
	T_OK(o.nv == 1, "flush delivers it");
	sn = 0;
	put_pack();
	put_pes(0xe0, 4500, -1, pfr, sizeof(pfr));
	feed(d, &o, syn, sn - 3);
	ps_demux_flush(d);
	T_OK(o.nv == 1, "flush waits for the end of a PES");
	feed(d, &o, syn + sn - 3, 3);
	ps_demux_flush(d);
	T_OK(o.nv == 2 && o.v[1].pts == 4500, "then delivers");
	ps_demux_free(d);
	out_free(&o);

	/* a joined stream: frames before the first keyframe are dropped */
	sn = 0;
	put_pack();
	put_pes(0xe0, 900, -1, pfr, sizeof(pfr));
	put_pack();
	put_pes(0xe0, 4500, -1, hevc_irap, 0);	/* empty PES */
	put_pack();
	put_pes(0xe0, 8100, -1, idr, sizeof(idr));
	syn_run(&o, &d);
	T_OK(o.nv == 1 && o.v[0].pts == 8100 &&
	    ps_demux_stats(d)->waitkey == 1, "wait for a keyframe");
	ps_demux_free(d);
	out_free(&o);

	/* H.265 without a map, keyframe by VPS/IRAP */
	sn = 0;
	put_pack();
	put_pes(0xe0, 900, -1, hevc_irap, sizeof(hevc_irap));
	put_pack();
	put_pes(0xe0, 4500, -1, hevc_p, sizeof(hevc_p));
	syn_run(&o, &d);
	T_OK(o.nv == 2 && o.v[0].codec == PS_CODEC_H265 && o.v[0].key &&
	    o.v[1].codec == PS_CODEC_H265 && !o.v[1].key,
	    "H.265 inferred, keyframe");
	ps_demux_free(d);
	out_free(&o);
}

/* A PSM for one video and one audio stream. */
static void
put_psm(uint8_t vtype, uint8_t atype)
{
	uint8_t m[24] = { 0, 0, 1, 0xbc, 0, 18, 0xe0, 0xff, 0, 0, 0, 8,
	    vtype, 0xe0, 0, 0, atype, 0xc0, 0, 0, 0, 0, 0, 0 };

	put(m, sizeof(m));
}

/* PTS across the 33-bit wrap, audio a little behind; a codec change. */
static void
test_timing(void)
{
	struct ps_demux *d;
	struct out o;

	sn = 0;
	put_pack();
	put_pes(0xe0, WRAP - 3600, -1, idr, sizeof(idr));
	put_pes(0xc0, WRAP - 3000, -1, pfr, 4);
	put_pack();
	put_pes(0xe0, 0, -1, pfr, sizeof(pfr));		/* wrapped */
	put_pes(0xc0, WRAP - 100, -1, pfr, 4);		/* not yet */
	put_pes(0xc0, 500, -1, pfr, 4);
	syn_run(&o, &d);
	T_OK(o.nv == 2 && o.v[0].pts == WRAP - 3600 && o.v[1].pts == WRAP,
	    "video PTS unwrapped");
	T_OK(o.na == 3 && o.a[0].pts == WRAP - 3000 &&
	    o.a[1].pts == WRAP - 100 && o.a[2].pts == WRAP + 500,
	    "audio PTS unwrapped, one from before the wrap");
	ps_demux_free(d);
	out_free(&o);

	/* the map changes H.264 to H.265: wait for an H.265 keyframe */
	sn = 0;
	put_pack();
	put_psm(0x1b, 0x91);
	put_pes(0xe0, 900, -1, idr, sizeof(idr));
	put_pack();
	put_psm(0x24, 0x91);
	put_pes(0xe0, 4500, -1, hevc_p, sizeof(hevc_p));
	put_pack();
	put_pes(0xe0, 8100, -1, hevc_irap, sizeof(hevc_irap));
	put_pes(0xc0, 8100, -1, pfr, 4);
	syn_run(&o, &d);
	T_OK(o.nv == 2 && o.v[0].codec == PS_CODEC_H264 &&
	    o.v[1].codec == PS_CODEC_H265 && o.v[1].pts == 8100 &&
	    ps_demux_stats(d)->waitkey == 1 && ps_demux_stats(d)->maps == 2,
	    "codec change waits for a keyframe");
	T_OK(o.na == 1 && o.a[0].codec == PS_CODEC_G711U, "G.711U mapped");
	ps_demux_free(d);
	out_free(&o);
}

/* Bytes that do not parse: EBADMSG, counted, and the stream goes on. */
static void
test_malformed(void)
{
	static const uint8_t junk[] = { 0x12, 0x34, 0x56 };
	static const uint8_t longhdr[] = { 0, 0, 1, 0xe0, 0, 3, 0x80, 0x80,
	    5 };
	static const uint8_t badpack[] = { 0, 0, 1, 0xba, 0x00, 1, 2, 3 };
	static const uint8_t nolen[] = { 0, 0, 1, 0xe0, 0, 0 };
	static const uint8_t shortmap[] = { 0, 0, 1, 0xbc, 0, 4, 0xe0, 0xff,
	    0, 0 };
	static const uint8_t bigmap[] = { 0, 0, 1, 0xbc, 0, 18, 0xe0, 0xff,
	    0, 0, 0, 0xff, 0x24, 0xe0, 0, 0, 0x90, 0xc0, 0, 0, 1, 2, 3, 4 };
	static const uint8_t nal[] = { 0, 0, 1, 0x65, 0x10 };
	static uint8_t big[65000];
	const struct ps_stats *st;
	struct ps_demux *d;
	struct out o;
	unsigned i;

	/* junk before the first unit is expected (joined mid-stream) */
	d = demux_new(&o);
	feed(d, &o, junk, sizeof(junk));
	sn = 0;
	put_pack();
	put_pes(0xe0, 900, -1, idr, sizeof(idr));
	feed(d, &o, syn, sn);
	T_OK(o.badmsg == 0 && ps_demux_stats(d)->skipped == 3,
	    "leading junk skipped quietly");
	/* junk, a NAL start code, between units: the frame is damaged */
	feed(d, &o, junk, sizeof(junk));
	T_OK(o.badmsg == 1, "junk between units: EBADMSG");
	feed(d, &o, nal, sizeof(nal));
	T_OK(o.badmsg == 2, "a NAL start code between units: EBADMSG");
	sn = 0;
	put_pack();
	put_pes(0xe0, 4500, -1, pfr, sizeof(pfr));
	put_pack();
	put_pes(0xe0, 8100, -1, idr, sizeof(idr));
	feed(d, &o, syn, sn);
	ps_demux_flush(d);
	st = ps_demux_stats(d);
	T_OK(o.nv == 1 && o.v[0].pts == 8100 && st->skipped == 3 + 3 + 5 &&
	    st->dropped == 1 && st->waitkey == 1,
	    "damaged frame dropped, the next keyframe delivered");
	ps_demux_free(d);
	out_free(&o);

	/* headers that do not fit, once in sync */
	sn = 0;
	put_pack();
	put(longhdr, sizeof(longhdr));
	put(badpack, sizeof(badpack));
	put(nolen, sizeof(nolen));
	put(shortmap, sizeof(shortmap));
	put_pack();
	put_pes(0xe0, 900, -1, idr, sizeof(idr));
	d = demux_new(&o);
	for (i = 0; i < sn; i++)	/* a byte at a time */
		feed(d, &o, syn + i, 1);
	ps_demux_flush(d);
	st = ps_demux_stats(d);
	T_OK(o.badmsg >= 4 && st->skipped == sizeof(longhdr) +
	    sizeof(badpack) + sizeof(nolen) + sizeof(shortmap),
	    "bad headers skipped (%u, %u)", o.badmsg, (unsigned)st->skipped);
	T_OK(o.nv == 1 && o.v[0].pts == 900 && st->maps == 0,
	    "and the frame after them delivered");
	ps_demux_free(d);
	out_free(&o);

	/* a PSM too long to be one, MPEG-1 headers that do not parse */
	sn = 0;
	put("\0\0\1\xbc\x07\xd0", 6);
	memset(syn + sn, 0x11, 2000);
	sn += 2000;
	put("\0\0\1\xe0\0\x04\xff\xff\x55\x01", 10);	/* no PTS marker */
	put("\0\0\1\xc0\0\x03\xff\xff\xff", 9);	/* stuffing only */
	put_pack();
	put_pes(0xe0, 900, -1, idr, sizeof(idr));
	d = demux_new(&o);
	feed_chunks(d, &o, syn, sn, 500);
	ps_demux_flush(d);
	st = ps_demux_stats(d);
	T_OK(o.nv == 1 && st->maps == 0 && st->skipped == 2006 + 10 + 9,
	    "long PSM, bad MPEG-1 PES skipped (%u)", (unsigned)st->skipped);
	ps_demux_free(d);
	out_free(&o);

	/* no map and no NAL unit to go by: no codec, dropped */
	sn = 0;
	put_pack();
	put_pes(0xe0, 900, -1, "\1\2\3\4\5\6", 6);
	syn_run(&o, &d);
	T_OK(o.nv == 0 && ps_demux_stats(d)->dropped == 1 &&
	    ps_demux_stats(d)->video == PS_CODEC_NONE, "unknown video");
	ps_demux_free(d);
	out_free(&o);

	/* an elementary stream map longer than the PSM: up to the CRC */
	d = demux_new(&o);
	feed(d, &o, bigmap, sizeof(bigmap));
	T_OK(o.badmsg == 0 && ps_demux_stats(d)->maps == 1 &&
	    ps_demux_stats(d)->video == PS_CODEC_H265 &&
	    ps_demux_stats(d)->audio == PS_CODEC_G711A, "miscounted map");
	ps_demux_free(d);
	out_free(&o);

	/* a video frame over 2 MB is dropped, the next keyframe goes out */
	memcpy(big, idr, sizeof(idr));
	sn = 0;
	put_pack();
	put_pes(0xe0, 900, -1, big, sizeof(big));
	for (i = 0; i < 33; i++)
		put_pes(0xe0, -1, -1, big + sizeof(idr), sizeof(big) -
		    sizeof(idr));
	put_pack();
	put_pes(0xe0, 4500, -1, idr, sizeof(idr));
	syn_run(&o, &d);
	st = ps_demux_stats(d);
	T_OK(o.nv == 1 && o.v[0].pts == 4500 && st->oversize == 1 &&
	    st->dropped == 1 && o.badmsg == 0, "2 MB frame dropped");
	ps_demux_free(d);
	out_free(&o);

	/* loss in the middle of a PES: the rest is skipped quietly */
	sn = 0;
	put_pack();
	put_pes(0xe0, 900, -1, idr, sizeof(idr));
	put_pack();
	put_pes(0xe0, 4500, -1, pfr, sizeof(pfr));
	put_pack();
	put_pes(0xc0, 4500, -1, junk, sizeof(junk));
	d = demux_new(&o);
	feed(d, &o, syn, 30);
	ps_demux_loss(d);
	feed(d, &o, syn + 40, sn - 40);
	ps_demux_flush(d);
	T_OK(o.badmsg == 0 && o.nv == 0 && o.na == 1 &&
	    ps_demux_stats(d)->dropped == 1 &&
	    ps_demux_stats(d)->waitkey == 1, "loss mid-PES");
	ps_demux_loss(d);
	feed(d, &o, longhdr, sizeof(longhdr));
	T_OK(o.badmsg == 0, "a bad header right after a loss is quiet");
	ps_demux_free(d);
	out_free(&o);
}

int
main(void)
{
	test_clip("h264.rtp", "h264.es", PS_CODEC_H264, H264_BASE, 0);
	test_clip("h265.rtp", "h265.es", PS_CODEC_H265, H265_BASE, 1);
	test_chunks();
	test_reorder();
	test_loss(1);		/* in the first keyframe */
	test_loss(7);
	test_loss(30);
	test_loss(33);
	test_loss(56);
	test_loss(57);
	test_loss(90);
	test_srs();
	test_dahua();
	test_hik();
	test_nomap("h264.rtp", "h264.es", PS_CODEC_H264);
	test_nomap("h265.rtp", "h265.es", PS_CODEC_H265);
	test_mpeg1();
	test_framing();
	test_timing();
	test_malformed();
	return T_DONE();
}
