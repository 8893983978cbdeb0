/* FLV header and tag writer for mediad's HTTP-FLV viewers. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "flv.h"

#define FLV_MAX_BODY	0xffffffu	/* DataSize has 24 bits */

static void
flv_be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static void
flv_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	flv_be24(p + 1, v);
}

void
flv_header(uint8_t out[FLV_HEADER_LEN], int audio, int video)
{
	static const uint8_t sig[] = { 'F', 'L', 'V', 1 };

	memcpy(out, sig, sizeof(sig));
	out[4] = (uint8_t)((audio ? 4 : 0) | (video ? 1 : 0));
	flv_be32(out + 5, 9);
	flv_be32(out + 9, 0);
}

/* Appends the tag header of a tag whose body is hlen + n bytes. */
static int
flv_tag_open(struct buf *b, int type, uint32_t ts, const uint8_t *hdr,
    size_t hlen, const void *data, size_t n)
{
	uint8_t th[11], tail[4];
	size_t body = hlen + n, old = b->len;

	if (body > FLV_MAX_BODY)
		return EINVAL;
	th[0] = (uint8_t)type;
	flv_be24(th + 1, (uint32_t)body);
	flv_be24(th + 4, ts & 0xffffff);
	th[7] = (uint8_t)(ts >> 24);
	flv_be24(th + 8, 0);		/* StreamID */
	flv_be32(tail, (uint32_t)(11 + body));
	if (buf_add(b, th, sizeof(th)) || buf_add(b, hdr, hlen) ||
	    buf_add(b, data, n) || buf_add(b, tail, sizeof(tail))) {
		b->len = old;
		if (b->p != NULL)
			b->p[old] = '\0';
		return ENOMEM;
	}
	return 0;
}

int
flv_tag(struct buf *b, int type, uint32_t ts, const void *body, size_t n)
{
	return flv_tag_open(b, type, ts, NULL, 0, body, n);
}

int
flv_video(struct buf *b, uint32_t ts, int key, int avc_type, int32_t cts,
    const void *data, size_t n)
{
	return flv_video_codec(b, FLV_CODEC_AVC, ts, key, avc_type, cts, data,
	    n);
}

int
flv_video_codec(struct buf *b, int codec, uint32_t ts, int key,
    int avc_type, int32_t cts, const void *data, size_t n)
{
	uint8_t h[5];

	h[0] = (uint8_t)(((key ? 1 : 2) << 4) | (codec & 0xf));
	h[1] = (uint8_t)avc_type;
	flv_be24(h + 2, (uint32_t)cts & 0xffffff);
	return flv_tag_open(b, FLV_TAG_VIDEO, ts, h, sizeof(h), data, n);
}

int
flv_audio(struct buf *b, uint32_t ts, int aac_type, const void *data,
    size_t n)
{
	/* AAC, 44 kHz, 16 bit, stereo: fixed values the spec mandates */
	uint8_t h[2] = { 0xaf, (uint8_t)aac_type };

	return flv_tag_open(b, FLV_TAG_AUDIO, ts, h, sizeof(h), data, n);
}

int
flv_tag_parse(const uint8_t *p, size_t n, int *type, uint32_t *ts,
    size_t *body)
{
	size_t len;

	if (n < FLV_TAG_OVERHEAD)
		return EBADMSG;
	len = ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
	if (n < len + FLV_TAG_OVERHEAD)
		return EBADMSG;
	*type = p[0] & 0x1f;
	*ts = ((uint32_t)p[7] << 24) | ((uint32_t)p[4] << 16) |
	    ((uint32_t)p[5] << 8) | p[6];
	*body = len;
	return 0;
}
