/*
 * GB28181 PS demuxer (GB28181-2016 Annex C, ISO 13818-1 2.5): packs, system
 * headers, the stream map and PES packets, fed in RTP payload chunks that
 * split them anywhere, assembled into whole video frames and audio PES.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"

#define PS_VIDEO_MAX	(2u << 20)	/* a video frame beyond is dropped */
#define PS_VIDEO_INIT	65536
#define PS_AUDIO_MAX	65536		/* one PES payload */
#define PS_HDR_MAX	1024		/* the largest unit read whole: a PSM */
#define PS_MPEG1_HDR	28		/* MPEG-1 PES header: 16 + 2 + 10 */
#define PS_RESCAN	64
#define PS_WRAP		(INT64_C(1) << 33)
#define PS_HALF		(INT64_C(1) << 32)

#define PS_ID_END	0xb9
#define PS_ID_PACK	0xba
#define PS_ID_MAP	0xbc
#define PS_ID_AUDIO	0xc0		/* 0xc0-0xdf */
#define PS_ID_VIDEO	0xe0		/* 0xe0-0xef */
#define PS_ID_LAST	0xef

enum ps_state {
	PS_SYNC,	/* looking for 00 00 01 <id >= 0xb9> */
	PS_HDR,		/* reading hneed bytes of a unit's header */
	PS_SKIP,	/* skipping left bytes */
	PS_PAYLOAD,	/* left bytes of PES payload into es (NULL: none) */
};

/* The frame being built for one elementary stream. */
struct ps_es {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 max;
	int		 id;		/* stream id followed; -1 none yet */
	enum ps_codec	 codec;
	int		 open;		/* a frame is being built */
	int		 drop;		/* and its bytes are discarded */
	int64_t		 raw;		/* its PTS as sent; -1 none */
	int64_t		 pts;
	int64_t		 dts;
};

struct ps_demux {
	ps_frame_cb	 cb;
	void		*arg;
	enum ps_state	 st;
	unsigned	 zeros;		/* sync: 0x00 bytes in a row */
	int		 prefix;	/* sync: 00 00 01 seen */
	int		 quiet;		/* sync: skipping is expected */
	int		 found_quiet;	/* the unit read was found so */
	int		 dirty;		/* sync: a non-zero byte was skipped */
	size_t		 junk;		/* sync: bytes consumed */
	uint8_t		 hdr[PS_HDR_MAX];
	size_t		 hlen;
	size_t		 hneed;
	int		 phase;		/* PES header: 0 fixed part, 1 rest */
	size_t		 left;
	int		 counted;	/* skipped bytes are counted */
	struct ps_es	*es;
	struct ps_es	 video;
	struct ps_es	 audio;
	enum ps_codec	 map[PS_ID_LAST - PS_ID_AUDIO + 1];
	uint8_t		 listed[PS_ID_LAST - PS_ID_AUDIO + 1];
	enum ps_codec	 guess;		/* video codec seen in the data */
	enum ps_codec	 vlast;		/* of the last video frame delivered */
	int		 need_key;
	int		 pack;		/* a pack since the last video PES */
	int		 vpts;		/* video PES have had PTS */
	int64_t		 last;		/* the last timestamp, unwrapped */
	int64_t		 epoch;
	int		 err;		/* this feed skipped something */
	struct ps_stats	 stats;
};

/* PSM stream_type (GB28181-2016 Annex C) to codec. */
static const struct {
	uint8_t		 type;
	enum ps_codec	 codec;
	int		 video;
} ps_types[] = {
	{ 0x1b, PS_CODEC_H264, 1 },
	{ 0x24, PS_CODEC_H265, 1 },
	{ 0x0f, PS_CODEC_AAC, 0 },
	{ 0x90, PS_CODEC_G711A, 0 },
	{ 0x91, PS_CODEC_G711U, 0 },
};

static void	ps_parse(struct ps_demux *, const uint8_t *, size_t);

static size_t
ps_be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/* A 33-bit PTS/DTS field (ISO 13818-1 2.4.3.7), marker bits ignored. */
static int64_t
ps_ts(const uint8_t *p)
{
	return (int64_t)(p[0] >> 1 & 7) << 30 | (int64_t)p[1] << 22 |
	    (int64_t)(p[2] >> 1) << 15 | (int64_t)p[3] << 7 | p[4] >> 1;
}

/* Keeps timestamps growing past the 33-bit wrap (every 26.5 hours). */
static int64_t
ps_unwrap(struct ps_demux *d, int64_t raw)
{
	int64_t x;

	if (raw < 0)
		return -1;
	x = raw + d->epoch;
	if (d->last >= 0 && x < d->last - PS_HALF) {
		d->epoch += PS_WRAP;
		x += PS_WRAP;
	} else if (d->last >= 0 && x > d->last + PS_HALF && x >= PS_WRAP)
		x -= PS_WRAP;		/* a little behind, before a wrap */
	d->last = x;
	return x;
}

int
ps_demux_alloc(struct ps_demux **dp, ps_frame_cb cb, void *arg)
{
	struct ps_demux *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		*dp = NULL;
		return ENOMEM;
	}
	d->cb = cb;
	d->arg = arg;
	d->st = PS_SYNC;
	d->quiet = 1;		/* the first packet may start anywhere */
	d->need_key = 1;	/* nothing decodes before one */
	d->last = -1;
	d->video.id = d->audio.id = -1;
	d->video.max = PS_VIDEO_MAX;
	d->audio.max = PS_AUDIO_MAX;
	*dp = d;
	return 0;
}

void
ps_demux_free(struct ps_demux *d)
{
	if (d == NULL)
		return;
	free(d->video.buf);
	free(d->audio.buf);
	free(d);
}

const struct ps_stats *
ps_demux_stats(const struct ps_demux *d)
{
	return &d->stats;
}

static void
ps_sync(struct ps_demux *d, int quiet)
{
	d->st = PS_SYNC;
	d->zeros = 0;
	d->prefix = 0;
	d->junk = 0;
	d->dirty = 0;
	d->quiet = quiet;
}

/* Drops the video frame being built: its data is incomplete, and the
 * frames after it refer to it. */
static void
ps_video_drop(struct ps_demux *d)
{
	if (d->video.open && !d->video.drop && d->video.len > 0) {
		d->stats.dropped++;
		d->need_key = 1;
	}
	d->video.open = 0;
	d->video.len = 0;
}

/* A skipped non-zero byte: in the middle of a frame, it is damaged. */
static void
ps_junk(struct ps_demux *d)
{
	if (d->quiet)
		d->dirty = 1;
	else {
		d->err = 1;
		if (!d->dirty)
			ps_video_drop(d);
		d->dirty = 1;
	}
}

/* The H.264 NAL types that start an access unit, with their nal_ref_idc. */
static int
ps_h264_first(uint8_t b)
{
	int t = b & 0x1f, nri = b >> 5 & 3;

	if (b & 0x80)
		return 0;
	if (t == 5 || t == 7 || t == 8)
		return nri != 0;
	if (t == 6 || t == 9)
		return nri == 0;
	return t == 1;
}

/* H.265: the same, for a two-byte header with layer 0, temporal id 1. */
static int
ps_h265_first(uint8_t b, uint8_t b2)
{
	int t = b >> 1 & 0x3f;

	if ((b & 0x81) != 0 || b2 != 0x01)
		return 0;
	return t <= 1 || (t >= 16 && t <= 21) || (t >= 32 && t <= 35) ||
	    t == 39;
}

/*
 * Without a stream map: H.264 or H.265 from the first NAL headers. A
 * second header byte of 0x01 is H.265's usual one and rare in H.264.
 */
static enum ps_codec
ps_guess(const uint8_t *p, size_t n)
{
	size_t i;
	int tries = 0;

	for (i = 0; i + 4 < n && tries < 8; i++) {
		if (p[i] != 0 || p[i + 1] != 0 || p[i + 2] != 1)
			continue;
		if (ps_h265_first(p[i + 3], p[i + 4]))
			return PS_CODEC_H265;
		if (ps_h264_first(p[i + 3]))
			return PS_CODEC_H264;
		tries++;
		i += 2;
	}
	return PS_CODEC_NONE;
}

/*
 * A keyframe holds H.264 SPS/IDR or H.265 VPS/SPS/PPS/IRAP; the NAL units
 * are looked at up to the first slice only.
 */
static int
ps_key(enum ps_codec c, const uint8_t *p, size_t n)
{
	size_t i;
	int t;

	for (i = 0; i + 3 < n; i++) {
		if (p[i] != 0 || p[i + 1] != 0 || p[i + 2] != 1)
			continue;
		if (c == PS_CODEC_H264) {
			t = p[i + 3] & 0x1f;
			if (t == 5 || t == 7)
				return 1;
			if (t >= 1 && t <= 4)
				return 0;
		} else {
			t = p[i + 3] >> 1 & 0x3f;
			if ((t >= 16 && t <= 21) || (t >= 32 && t <= 34))
				return 1;
			if (t < 32)
				return 0;
		}
		i += 2;
	}
	return 0;
}

/* Delivers the video frame being built, if it is whole and decodable. */
static void
ps_video_end(struct ps_demux *d)
{
	struct ps_es *v = &d->video;
	struct ps_frame f;
	enum ps_codec c;

	if (!v->open)
		return;
	v->open = 0;
	if (v->drop || v->len == 0)
		return;
	if ((c = v->codec) == PS_CODEC_NONE &&
	    (c = d->guess = ps_guess(v->buf, v->len)) == PS_CODEC_NONE) {
		d->stats.dropped++;
		return;
	}
	if (c != d->vlast && d->vlast != PS_CODEC_NONE)
		d->need_key = 1;	/* parameter sets of the new codec */
	d->vlast = d->stats.video = c;
	memset(&f, 0, sizeof(f));
	f.key = ps_key(c, v->buf, v->len);
	if (d->need_key && !f.key) {
		d->stats.waitkey++;
		return;
	}
	d->need_key = 0;
	f.codec = c;
	f.video = 1;
	f.pts = v->pts;
	f.dts = v->dts;
	f.data = v->buf;
	f.len = v->len;
	d->stats.video_frames++;
	d->cb(d->arg, &f);
}

static void
ps_audio_end(struct ps_demux *d)
{
	struct ps_es *a = &d->audio;
	struct ps_frame f;

	if (!a->open)
		return;
	a->open = 0;
	if (a->drop || a->len == 0)
		return;
	memset(&f, 0, sizeof(f));
	f.codec = d->stats.audio = a->codec;
	f.pts = a->pts;
	f.dts = a->dts;
	f.data = a->buf;
	f.len = a->len;
	d->stats.audio_frames++;
	d->cb(d->arg, &f);
}

/* Appends PES payload to the frame being built, within its bound. */
static void
ps_es_add(struct ps_demux *d, struct ps_es *es, const uint8_t *p, size_t n)
{
	size_t cap;
	uint8_t *b;

	if (es == NULL || es->drop || n == 0)
		return;
	if (n > es->max - es->len) {
		if (es == &d->video) {
			d->stats.oversize++;
			d->need_key = 1;
		}
		goto drop;
	}
	if (es->len + n > es->cap) {
		cap = es->cap ? es->cap : PS_VIDEO_INIT;
		while (cap < es->len + n)
			cap *= 2;
		if (cap > es->max)
			cap = es->max;
		if ((b = realloc(es->buf, cap)) == NULL)
			goto drop;
		es->buf = b;
		es->cap = cap;
	}
	memcpy(es->buf + es->len, p, n);
	es->len += n;
	return;
drop:
	d->stats.dropped++;
	if (es == &d->video)
		d->need_key = 1;
	es->drop = 1;
	es->len = 0;
}

static enum ps_codec
ps_codec_of(uint8_t type, int video)
{
	size_t i;

	for (i = 0; i < sizeof(ps_types) / sizeof(ps_types[0]); i++)
		if (ps_types[i].type == type)
			return ps_types[i].video == video ? ps_types[i].codec :
			    PS_CODEC_NONE;
	return PS_CODEC_NONE;
}

/* The program stream map (ISO 13818-1 2.5.4.1); p is past the length. */
static int
ps_psm(struct ps_demux *d, const uint8_t *p, size_t n)
{
	size_t off, end;
	unsigned i;
	uint8_t id;

	if (n < 10)
		return EBADMSG;
	off = 4 + ps_be16(p + 2);
	if (off + 2 > n - 4)
		return EBADMSG;
	end = off + 2 + ps_be16(p + off);
	off += 2;
	if (end > n - 4)
		end = n - 4;	/* a miscounted map: up to the CRC */
	memset(d->listed, 0, sizeof(d->listed));
	for (; off + 4 <= end; off += 4 + ps_be16(p + off + 2)) {
		id = p[off + 1];
		if (id < PS_ID_AUDIO || id > PS_ID_LAST)
			continue;
		i = id - PS_ID_AUDIO;
		d->listed[i] = 1;
		d->map[i] = ps_codec_of(p[off], id >= PS_ID_VIDEO);
		if (d->map[i] == PS_CODEC_NONE)
			continue;
		if (id >= PS_ID_VIDEO && (d->video.id < 0 || d->video.id == id))
			d->stats.video = d->map[i];
		if (id < PS_ID_VIDEO && (d->audio.id < 0 || d->audio.id == id))
			d->stats.audio = d->map[i];
	}
	d->stats.maps++;
	return 0;
}

/* A header that does not parse: skip its first byte, look again after. */
static void
ps_bad(struct ps_demux *d)
{
	uint8_t tmp[PS_RESCAN];
	size_t n = d->hlen - 1;

	if (n > sizeof(tmp))
		n = sizeof(tmp);
	memcpy(tmp, d->hdr + 1, n);
	ps_sync(d, d->found_quiet);
	d->junk = 1;
	ps_junk(d);
	ps_parse(d, tmp, n);
}

static void
ps_skip(struct ps_demux *d, size_t n)
{
	if (n == 0) {
		ps_sync(d, 0);
		return;
	}
	d->st = PS_SKIP;
	d->left = n;
	d->counted = 0;
}

static void
ps_pes_end(struct ps_demux *d)
{
	if (d->es == &d->audio)
		ps_audio_end(d);
	d->es = NULL;
	ps_sync(d, 0);
}

/*
 * A PES of one of the streams followed. A video frame ends where the next
 * starts: at a PES with another PTS, or with a PTS after a pack header (a
 * frame may span packs, its later PES without PTS). Where the stream has
 * no PTS, a pack header starts a frame. After a loss, a PES without PTS
 * is the rest of a frame and is dropped.
 */
static void
ps_pes_begin(struct ps_demux *d, uint8_t id, int64_t pts, int64_t dts,
    size_t size)
{
	int video = id >= PS_ID_VIDEO, i = id - PS_ID_AUDIO, start;
	struct ps_es *es = video ? &d->video : &d->audio;
	enum ps_codec c;

	d->es = NULL;
	if (es->id < 0)
		es->id = id;
	if (d->listed[i])
		c = d->map[i];
	else
		c = video ? d->guess : PS_CODEC_G711A;
	if (id == es->id && (c != PS_CODEC_NONE || !d->listed[i])) {
		if (video) {
			if (es->open)
				start = (pts >= 0 &&
				    (pts != es->raw || d->pack)) ||
				    (pts < 0 && d->pack && es->raw < 0);
			else
				start = pts >= 0 || (d->pack && !d->vpts);
			if (!es->open && !start)
				goto skip;	/* the rest of a lost frame */
			d->vpts |= pts >= 0;
			d->pack = 0;
			if (start) {
				ps_video_end(d);
				es->open = 1;
				es->drop = 0;
				es->len = 0;
				es->codec = c;
				es->raw = pts;
				es->pts = ps_unwrap(d, pts);
				es->dts = ps_unwrap(d, dts);
			}
		} else {
			es->open = 1;
			es->drop = 0;
			es->len = 0;
			es->codec = c;
			es->pts = ps_unwrap(d, pts);
			es->dts = ps_unwrap(d, dts);
		}
		d->es = es;
	}
skip:
	d->st = PS_PAYLOAD;
	d->left = size;
	if (size == 0)
		ps_pes_end(d);
}

/* PES payload bytes: into the frame, the end of the PES ends audio. */
static void
ps_payload(struct ps_demux *d, const uint8_t *p, size_t n)
{
	ps_es_add(d, d->es, p, n);
	d->left -= n;
	if (d->left == 0)
		ps_pes_end(d);
}

/* MPEG-1 PES header (ISO 11172-1 2.4.3.3): stuffing, STD, PTS/DTS. */
static void
ps_pes_mpeg1(struct ps_demux *d, size_t len)
{
	const uint8_t *p = d->hdr + 6;
	size_t i = 0, avail = d->hlen - 6;
	int64_t pts = -1, dts = -1;

	while (i < avail && i < 16 && p[i] == 0xff)
		i++;
	if (i < avail && (p[i] & 0xc0) == 0x40)
		i += 2;
	if (i >= avail)
		goto bad;
	if ((p[i] & 0xf0) == 0x20 && i + 5 <= avail) {
		pts = ps_ts(p + i);
		i += 5;
	} else if ((p[i] & 0xf0) == 0x30 && i + 10 <= avail) {
		pts = ps_ts(p + i);
		dts = ps_ts(p + i + 5);
		i += 10;
	} else if (p[i] == 0x0f)
		i++;
	else
		goto bad;
	ps_pes_begin(d, d->hdr[3], pts, dts, len - i);
	/* what was read past the header is payload */
	if (d->st == PS_PAYLOAD && avail > i)
		ps_payload(d, p + i, avail - i);
	return;
bad:
	ps_bad(d);
}

static void
ps_pes_header(struct ps_demux *d, size_t len)
{
	const uint8_t *h = d->hdr;
	int64_t pts = -1, dts = -1;
	size_t hl;

	if (d->phase == 0) {
		d->phase = 1;
		if (len >= 3 && (h[6] & 0xc0) == 0x80) {
			if (3 + (size_t)h[8] > len)
				goto bad;	/* header longer than the PES */
			d->hneed = 9 + h[8];
		} else
			d->hneed = 6 + (len < PS_MPEG1_HDR ? len :
			    PS_MPEG1_HDR);
		if (d->hneed > d->hlen)
			return;
	}
	if ((h[6] & 0xc0) != 0x80 || len < 3) {
		ps_pes_mpeg1(d, len);
		return;
	}
	hl = h[8];
	if (h[7] & 0x80 && hl >= 5)
		pts = ps_ts(h + 9);
	if ((h[7] & 0xc0) == 0xc0 && hl >= 10)
		dts = ps_ts(h + 14);
	ps_pes_begin(d, h[3], pts, dts, len - 3 - hl);
	return;
bad:
	ps_bad(d);
}

/* Pack header: MPEG-2 (14 bytes + stuffing) or MPEG-1 (12 bytes). */
static void
ps_pack(struct ps_demux *d)
{
	if (d->hlen == 5) {
		if ((d->hdr[4] & 0xc0) == 0x40)
			d->hneed = 14;
		else if ((d->hdr[4] & 0xf0) == 0x20)
			d->hneed = 12;
		else
			ps_bad(d);
		return;
	}
	d->stats.packs++;
	d->pack = 1;
	if (d->hlen == 14)
		ps_skip(d, d->hdr[13] & 7);
	else
		ps_sync(d, 0);
}

/* The header read so far is hneed bytes long. */
static void
ps_header(struct ps_demux *d)
{
	uint8_t id = d->hdr[3];
	size_t len;

	if (id == PS_ID_PACK) {
		ps_pack(d);
		return;
	}
	len = ps_be16(d->hdr + 4);
	if (d->hlen == 6 && id == PS_ID_MAP) {
		if (len > PS_HDR_MAX - 6) {
			d->stats.skipped += 6;
			d->err = 1;
			ps_skip(d, len);
			d->counted = 1;
			return;
		}
		d->hneed = 6 + len;
		if (d->hneed > d->hlen)
			return;
	}
	if (id == PS_ID_MAP) {
		if (ps_psm(d, d->hdr + 6, len) != 0) {
			d->stats.skipped += 6 + len;
			d->err = 1;
		}
		ps_sync(d, 0);
		return;
	}
	if (id >= PS_ID_AUDIO && id <= PS_ID_LAST) {
		if (d->hlen == 6) {
			if (len == 0) {
				ps_bad(d);	/* unbounded: not in a PS */
				return;
			}
			d->phase = 0;
			d->hneed = 6 + (len < 3 ? len : 3);
			return;
		}
		ps_pes_header(d, len);
		return;
	}
	/* system header, private streams, padding, others */
	ps_skip(d, len);
}

/* A unit starts: hdr holds 00 00 01 id. */
static void
ps_unit(struct ps_demux *d)
{
	if (d->hdr[3] == PS_ID_END) {
		ps_sync(d, 0);
		return;
	}
	d->st = PS_HDR;
	d->hlen = 4;
	d->hneed = d->hdr[3] == PS_ID_PACK ? 5 : 6;
}

/* Looks for a start code: returns the bytes consumed. */
static size_t
ps_scan(struct ps_demux *d, const uint8_t *p, size_t n)
{
	size_t i;
	uint8_t b;

	for (i = 0; i < n; i++) {
		b = p[i];
		d->junk++;
		if (d->prefix) {
			d->prefix = 0;
			if (b >= PS_ID_END) {
				if (d->dirty)
					d->stats.skipped += d->junk - 4;
				d->found_quiet = d->quiet;
				ps_sync(d, 0);
				d->hdr[0] = d->hdr[1] = 0;
				d->hdr[2] = 1;
				d->hdr[3] = b;
				ps_unit(d);
				return i + 1;
			}
			ps_junk(d);	/* a NAL start code, not ours */
			d->zeros = b == 0;
			continue;
		}
		if (b == 0)
			d->zeros++;
		else if (b == 1 && d->zeros >= 2)
			d->prefix = 1;
		else {
			d->zeros = 0;
			ps_junk(d);
		}
	}
	return n;
}

static void
ps_parse(struct ps_demux *d, const uint8_t *p, size_t n)
{
	size_t take;

	while (n > 0) {
		switch (d->st) {
		case PS_SYNC:
			take = ps_scan(d, p, n);
			break;
		case PS_HDR:
			take = d->hneed - d->hlen < n ? d->hneed - d->hlen : n;
			memcpy(d->hdr + d->hlen, p, take);
			d->hlen += take;
			if (d->hlen == d->hneed) {
				p += take;
				n -= take;
				ps_header(d);
				continue;
			}
			break;
		case PS_SKIP:
			take = d->left < n ? d->left : n;
			d->left -= take;
			if (d->counted)
				d->stats.skipped += take;
			if (d->left == 0)
				ps_sync(d, 0);
			break;
		case PS_PAYLOAD:
		default:
			take = d->left < n ? d->left : n;
			ps_payload(d, p, take);
			break;
		}
		p += take;
		n -= take;
	}
}

int
ps_demux_feed(struct ps_demux *d, const uint8_t *p, size_t n)
{
	d->err = 0;
	ps_parse(d, p, n);
	return d->err ? EBADMSG : 0;
}

void
ps_demux_loss(struct ps_demux *d)
{
	ps_video_drop(d);
	if (d->audio.open && d->es == &d->audio)
		d->stats.dropped++;
	d->audio.open = 0;
	d->es = NULL;
	d->pack = 0;
	d->need_key = 1;
	ps_sync(d, 1);
}

void
ps_demux_flush(struct ps_demux *d)
{
	if (d->st == PS_PAYLOAD && d->es == &d->video)
		return;		/* its last PES is still coming */
	ps_video_end(d);
}
