/*
 * Annex B access units, GB28181 PS muxing (ISO 13818-1 program stream as
 * GB28181-2016 Annex C profiles it) and RTP packetizing: pure functions.
 */
#include <errno.h>
#include <string.h>

#include "gbsim_ps.h"

#define PES_CHUNK	65000	/* video bytes per PES packet */
#define PACK_LEN	14
#define SYSHDR_LEN	(12 + 3 * 2)
#define PSM_LEN		(16 + 4 * 2)
#define VPES_HDR	19	/* start code, length, flags, PTS, DTS */
#define APES_HDR	14	/* start code, length, flags, PTS */
#define MUX_RATE	50000	/* units of 50 bytes/s: 20 Mbit/s */

/* Returns the index of the next 00 00 01 at or after from, or len. */
static size_t
es_find_sc(const uint8_t *es, size_t len, size_t from)
{
	size_t i;

	for (i = from; i + 3 <= len; i++) {
		if (es[i + 2] > 1)
			i += 2;
		else if (es[i] == 0 && es[i + 1] == 0 && es[i + 2] == 1)
			return i;
	}
	return len;
}

int
gbsim_es_codec(const uint8_t *es, size_t len)
{
	size_t i;
	uint8_t b0, b1;

	i = es_find_sc(es, len, 0);
	if (i + 5 > len)
		return 0;
	b0 = es[i + 3];
	b1 = es[i + 4];
	/* H.265: layer 0, temporal id 0, a parameter set, AUD or IRAP. */
	if ((b0 & 0x81) == 0 && b1 == 1 && ((b0 >> 1) & 0x3f) >= 16)
		return GBSIM_H265;
	return GBSIM_H264;
}

/*
 * Whether the NAL unit with header h (n bytes available) opens a new
 * access unit once the current one has a picture (H.264 7.4.1.2.3,
 * H.265 7.4.2.4.4); sets *vcl and *key for picture NAL units.
 */
static int
es_nal_first(int codec, const uint8_t *h, size_t n, int *vcl, int *key)
{
	int t;

	*vcl = *key = 0;
	if (codec == GBSIM_H265) {
		if (n < 3)
			return 0;
		t = (h[0] >> 1) & 0x3f;
		if (t < 32) {
			*vcl = 1;
			*key = t >= 16 && t <= 23;
			return (h[2] & 0x80) != 0;
		}
		return (t >= 32 && t <= 35) || t == 39 ||
		    (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
	}
	if (n < 2)
		return 0;
	t = h[0] & 0x1f;
	if (t >= 1 && t <= 5) {
		*vcl = 1;
		*key = t == 5;
		return (h[1] & 0x80) != 0;	/* first_mb_in_slice == 0 */
	}
	return (t >= 6 && t <= 9) || (t >= 14 && t <= 18);
}

int
gbsim_es_next(const uint8_t *es, size_t len, int codec, size_t *off,
    size_t *aulen, int *key)
{
	size_t start, sc, next, nal;
	int have_vcl = 0, vcl, k;

	start = *off;
	sc = es_find_sc(es, len, start);
	if (sc >= len)
		return ENOENT;
	*key = 0;
	for (;;) {
		nal = sc + 3;
		next = es_find_sc(es, len, nal);
		if (es_nal_first(codec, es + nal, next - nal, &vcl, &k) &&
		    have_vcl) {
			/* a zero before 00 00 01 is a 4-byte start code */
			if (sc > start && es[sc - 1] == 0)
				sc--;
			break;
		}
		have_vcl |= vcl;
		*key |= k;
		if (next >= len) {
			sc = len;
			break;
		}
		sc = next;
	}
	*aulen = sc - start;
	*off = sc;
	return 0;
}

size_t
gbsim_ps_size(const struct gbsim_ps_au *au)
{
	return PACK_LEN + SYSHDR_LEN + PSM_LEN +
	    (au->video_len / PES_CHUNK + 1) * VPES_HDR + au->video_len +
	    APES_HDR + au->audio_len;
}

static uint8_t *
put16(uint8_t *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v;
	return p + 2;
}

/* A 5-byte PTS or DTS field with its 4-bit prefix. */
static uint8_t *
put_ts(uint8_t *p, int prefix, uint64_t ts)
{
	p[0] = prefix << 4 | ((ts >> 30) & 7) << 1 | 1;
	p[1] = ts >> 22;
	p[2] = ((ts >> 15) & 0x7f) << 1 | 1;
	p[3] = ts >> 7;
	p[4] = (ts & 0x7f) << 1 | 1;
	return p + 5;
}

static uint8_t *
ps_pack_header(uint8_t *p, uint64_t scr)
{
	scr &= 0x1ffffffffULL;
	p = memcpy(p, "\x00\x00\x01\xba", 4) + 4;
	p[0] = 0x40 | ((scr >> 30) & 7) << 3 | 0x04 | ((scr >> 28) & 3);
	p[1] = scr >> 20;
	p[2] = ((scr >> 15) & 0x1f) << 3 | 0x04 | ((scr >> 13) & 3);
	p[3] = scr >> 5;
	p[4] = (scr & 0x1f) << 3 | 0x04;	/* SCR extension 0 */
	p[5] = 0x01;
	p[6] = MUX_RATE >> 14;
	p[7] = (MUX_RATE >> 6) & 0xff;
	p[8] = (MUX_RATE & 0x3f) << 2 | 3;
	p[9] = 0xf8;				/* no stuffing */
	return p + 10;
}

static uint8_t *
ps_system_header(uint8_t *p)
{
	p = memcpy(p, "\x00\x00\x01\xbb", 4) + 4;
	p = put16(p, SYSHDR_LEN - 6);
	p[0] = 0x80 | MUX_RATE >> 15;
	p[1] = (MUX_RATE >> 7) & 0xff;
	p[2] = (MUX_RATE & 0x7f) << 1 | 1;
	p[3] = 1 << 2;			/* audio_bound 1 */
	p[4] = 0xe1;			/* audio/video lock, video_bound 1 */
	p[5] = 0x7f;
	/* P-STD buffers: video 400 x 1024, audio 32 x 128 bytes */
	memcpy(p + 6, "\xe0\xe1\x90\xc0\xc0\x20", 6);
	return p + 12;
}

static uint32_t
crc32_mpeg(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;
	int i;

	while (n--) {
		crc ^= (uint32_t)*p++ << 24;
		for (i = 0; i < 8; i++)
			crc = crc & 0x80000000 ? crc << 1 ^ 0x04c11db7 :
			    crc << 1;
	}
	return crc;
}

static uint8_t *
ps_map(uint8_t *p, int codec, int has_audio)
{
	uint8_t *s = p;
	uint32_t crc;
	int n = has_audio ? 2 : 1;

	p = memcpy(p, "\x00\x00\x01\xbc", 4) + 4;
	p = put16(p, 10 + 4 * n);
	*p++ = 0xe0;			/* current, version 0 */
	*p++ = 0xff;
	p = put16(p, 0);		/* no program descriptors */
	p = put16(p, 4 * n);
	*p++ = codec;
	*p++ = 0xe0;
	p = put16(p, 0);
	if (has_audio) {
		*p++ = GBSIM_G711A;
		*p++ = 0xc0;
		p = put16(p, 0);
	}
	crc = crc32_mpeg(s, p - s);
	p = put16(p, crc >> 16);
	return put16(p, crc & 0xffff);
}

int
gbsim_ps_frame(const struct gbsim_ps_au *au, uint8_t *out, size_t cap,
    size_t *lenp)
{
	uint8_t *p = out;
	size_t off, n;

	if (cap < gbsim_ps_size(au) || au->audio_len > PES_CHUNK)
		return ENOSPC;
	p = ps_pack_header(p, au->video ? au->pts : au->audio_pts);
	if (au->key && au->video) {
		p = ps_system_header(p);
		p = ps_map(p, au->codec, au->has_audio);
	}
	for (off = 0; au->video && off < au->video_len; off += n) {
		n = au->video_len - off;
		if (n > PES_CHUNK)
			n = PES_CHUNK;
		p = memcpy(p, "\x00\x00\x01\xe0", 4) + 4;
		if (off == 0) {
			p = put16(p, 3 + 10 + n);
			*p++ = 0x80;
			*p++ = 0xc0;		/* PTS and DTS */
			*p++ = 10;
			p = put_ts(p, 3, au->pts);
			p = put_ts(p, 1, au->pts);
		} else {
			p = put16(p, 3 + n);
			memcpy(p, "\x80\x00\x00", 3);
			p += 3;
		}
		p = memcpy(p, au->video + off, n) + n;
	}
	if (au->audio && au->audio_len > 0) {
		p = memcpy(p, "\x00\x00\x01\xc0", 4) + 4;
		p = put16(p, 3 + 5 + au->audio_len);
		*p++ = 0x80;
		*p++ = 0x80;			/* PTS only */
		*p++ = 5;
		p = put_ts(p, 2, au->audio_pts);
		p = memcpy(p, au->audio, au->audio_len) + au->audio_len;
	}
	*lenp = p - out;
	return 0;
}

static size_t
rtp_max(const struct gbsim_rtp *r)
{
	return r->max_payload ? r->max_payload : GBSIM_RTP_PAYLOAD;
}

size_t
gbsim_rtp_size(const struct gbsim_rtp *r, size_t len)
{
	return (len / rtp_max(r) + 1) * (2 + 12) + len;
}

int
gbsim_rtp_packetize(struct gbsim_rtp *r, const uint8_t *ps, size_t len,
    uint32_t ts, uint8_t *out, size_t cap, size_t *lenp, int *npkts)
{
	uint8_t *p = out;
	size_t off, n, max = rtp_max(r);

	if (cap < gbsim_rtp_size(r, len))
		return ENOSPC;
	*npkts = 0;
	for (off = 0; off < len; off += n) {
		n = len - off > max ? max : len - off;
		p = put16(p, 12 + n);
		p[0] = 0x80;				/* version 2 */
		p[1] = (off + n == len ? 0x80 : 0) | r->pt;
		put16(p + 2, r->seq++);
		p[4] = ts >> 24;
		p[5] = ts >> 16;
		p[6] = ts >> 8;
		p[7] = ts;
		p[8] = r->ssrc >> 24;
		p[9] = r->ssrc >> 16;
		p[10] = r->ssrc >> 8;
		p[11] = r->ssrc;
		p = memcpy(p + 12, ps + off, n) + n;
		(*npkts)++;
	}
	*lenp = p - out;
	return 0;
}
