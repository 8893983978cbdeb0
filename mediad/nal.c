/* Annex B NAL units and the avcC/hvcC records of FLV sequence headers. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "nal.h"

#define NAL_SPS_MAX	512	/* of an SPS, what is unescaped and read */

/* The first byte of the next "00 00 01" at or after p, or end. */
static const uint8_t *
nal_start(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q, *one;

	if (end - p < 3)
		return end;
	for (q = p + 2; q < end; q = one + 1) {
		if ((one = memchr(q, 1, (size_t)(end - q))) == NULL)
			return end;
		if (one[-1] == 0 && one[-2] == 0)
			return one - 2;
	}
	return end;
}

int
nal_next(const uint8_t **pp, const uint8_t *end, const uint8_t **nal,
    size_t *len)
{
	const uint8_t *s, *e;

	for (s = nal_start(*pp, end); s < end; s = e) {
		s += 3;
		e = nal_start(s, end);
		*pp = e;
		/* the leading zero of a 4-byte start code, trailing zeros */
		while (e > s && e[-1] == 0)
			e--;
		if (e > s) {
			*nal = s;
			*len = (size_t)(e - s);
			return 0;
		}
		e = *pp;
	}
	*pp = end;
	return ENOENT;
}

int
nal_type(enum nal_codec c, const uint8_t *nal, size_t len)
{
	if (len == 0)
		return -1;
	return c == NAL_H264 ? nal[0] & 0x1f : (nal[0] >> 1) & 0x3f;
}

size_t
nal_to_lp(enum nal_codec c, const uint8_t *p, size_t n, uint8_t *out)
{
	const uint8_t *q = p, *end = p + n, *nal;
	size_t len, w = 0;
	int aud = c == NAL_H264 ? NAL_H264_AUD : NAL_H265_AUD;

	while (nal_next(&q, end, &nal, &len) == 0) {
		if (nal_type(c, nal, len) == aud)
			continue;
		out[w] = (uint8_t)(len >> 24);
		out[w + 1] = (uint8_t)(len >> 16);
		out[w + 2] = (uint8_t)(len >> 8);
		out[w + 3] = (uint8_t)len;
		memcpy(out + w + 4, nal, len);
		w += 4 + len;
	}
	return w;
}

static int
nal_add16(struct buf *b, size_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return buf_add(b, x, 2);
}

int
nal_avc_config(struct buf *b, const uint8_t *sps, size_t spsn,
    const uint8_t *pps, size_t ppsn)
{
	uint8_t h[6];
	size_t old = b->len;

	if (spsn < 4 || ppsn < 1 || spsn > 0xffff || ppsn > 0xffff)
		return EINVAL;
	h[0] = 1;
	h[1] = sps[1];		/* profile_idc */
	h[2] = sps[2];		/* constraint flags */
	h[3] = sps[3];		/* level_idc */
	h[4] = 0xff;		/* 4-byte NAL lengths */
	h[5] = 0xe1;		/* one SPS */
	if (buf_add(b, h, sizeof(h)) || nal_add16(b, spsn) ||
	    buf_add(b, sps, spsn) || buf_addc(b, 1) || nal_add16(b, ppsn) ||
	    buf_add(b, pps, ppsn)) {
		b->len = old;
		return ENOMEM;
	}
	return 0;
}

/* An RBSP bit reader. */
struct nal_bits {
	const uint8_t	*p;
	size_t		 n;
	size_t		 pos;
	int		 err;
};

static uint32_t
nal_u(struct nal_bits *r, unsigned k)
{
	uint32_t v = 0;

	while (k-- > 0) {
		if (r->pos >= r->n * 8) {
			r->err = 1;
			return 0;
		}
		v = (v << 1) | ((r->p[r->pos >> 3] >> (7 - (r->pos & 7))) & 1);
		r->pos++;
	}
	return v;
}

static uint32_t
nal_ue(struct nal_bits *r)
{
	unsigned zeros = 0;

	while (nal_u(r, 1) == 0) {
		if (r->err || ++zeros > 31) {
			r->err = 1;
			return 0;
		}
	}
	return zeros ? (1u << zeros) - 1 + nal_u(r, zeros) : 0;
}

static int32_t
nal_se(struct nal_bits *r)
{
	uint32_t k = nal_ue(r);

	return k & 1 ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

/* Removes emulation prevention bytes (00 00 03) into out; its length. */
static size_t
nal_unescape(const uint8_t *p, size_t n, uint8_t *out, size_t max)
{
	size_t i, w = 0, zeros = 0;

	for (i = 0; i < n && w < max; i++) {
		if (zeros >= 2 && p[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = p[i] == 0 ? zeros + 1 : 0;
		out[w++] = p[i];
	}
	return w;
}

/* What hvcC takes from an H.265 SPS. */
struct nal_hevc_sps {
	uint8_t		 ptl[12];	/* space/tier/profile .. level */
	unsigned	 sub_layers;
	unsigned	 nesting;
	unsigned	 chroma;
	unsigned	 depth_luma, depth_chroma;	/* minus 8 */
	unsigned	 width, height;		/* cropped */
};

static int
nal_hevc_sps_parse(const uint8_t *sps, size_t n, struct nal_hevc_sps *s)
{
	uint8_t rbsp[NAL_SPS_MAX];
	struct nal_bits r = { .p = rbsp };
	unsigned i, max_sub, prof[8], lvl[8];

	r.n = nal_unescape(sps, n, rbsp, sizeof(rbsp));
	nal_u(&r, 16);			/* NAL unit header */
	nal_u(&r, 4);			/* sps_video_parameter_set_id */
	max_sub = nal_u(&r, 3);
	s->sub_layers = max_sub + 1;
	s->nesting = nal_u(&r, 1);
	/* general profile_tier_level: 96 bits copied as they are */
	for (i = 0; i < sizeof(s->ptl); i++)
		s->ptl[i] = (uint8_t)nal_u(&r, 8);
	for (i = 0; i < max_sub; i++) {
		prof[i] = nal_u(&r, 1);
		lvl[i] = nal_u(&r, 1);
	}
	if (max_sub > 0)
		for (i = max_sub; i < 8; i++)
			nal_u(&r, 2);
	for (i = 0; i < max_sub; i++) {
		if (prof[i]) {
			nal_u(&r, 32);
			nal_u(&r, 32);
			nal_u(&r, 24);
		}
		if (lvl[i])
			nal_u(&r, 8);
	}
	nal_ue(&r);			/* sps_seq_parameter_set_id */
	if ((s->chroma = nal_ue(&r)) == 3)
		nal_u(&r, 1);		/* separate_colour_plane_flag */
	s->width = nal_ue(&r);
	s->height = nal_ue(&r);
	if (nal_u(&r, 1)) {		/* conformance_window_flag */
		/* in chroma samples: 4:2:0 twice, 4:2:2 across only */
		unsigned sx = s->chroma == 1 || s->chroma == 2 ? 2 : 1;
		unsigned sy = s->chroma == 1 ? 2 : 1, c[4];

		for (i = 0; i < 4; i++)
			c[i] = nal_ue(&r);
		if ((c[0] + c[1]) * sx < s->width)
			s->width -= (c[0] + c[1]) * sx;
		if ((c[2] + c[3]) * sy < s->height)
			s->height -= (c[2] + c[3]) * sy;
	}
	s->depth_luma = nal_ue(&r);
	s->depth_chroma = nal_ue(&r);
	if (r.err || s->chroma > 3 || s->depth_luma > 7 ||
	    s->depth_chroma > 7)
		return EBADMSG;
	return 0;
}

int
nal_hevc_size(const uint8_t *sps, size_t n, unsigned *w, unsigned *h)
{
	struct nal_hevc_sps s;
	int e;

	if ((e = nal_hevc_sps_parse(sps, n, &s)) != 0)
		return e;
	*w = s.width;
	*h = s.height;
	return 0;
}

/* Skips a scaling_list() of n coefficients. */
static void
nal_avc_scaling(struct nal_bits *r, unsigned n)
{
	int64_t last = 8, next = 8;

	/* delta_scale is -128..127 in a valid stream: modulo keeps any sane */
	for (unsigned j = 0; j < n && !r->err; j++) {
		if (next != 0)
			next = ((last + nal_se(r)) % 256 + 256) % 256;
		last = next == 0 ? last : next;
	}
}

int
nal_avc_size(const uint8_t *sps, size_t n, unsigned *w, unsigned *h)
{
	static const uint8_t high[] = { 100, 110, 122, 244, 44, 83, 86, 118,
	    128, 138, 139, 134, 135 };
	uint8_t rbsp[NAL_SPS_MAX];
	struct nal_bits r = { .p = rbsp };
	unsigned profile, chroma = 1, poc, mbs_only, width, height, i;

	r.n = nal_unescape(sps, n, rbsp, sizeof(rbsp));
	nal_u(&r, 8);			/* NAL unit header */
	profile = nal_u(&r, 8);
	nal_u(&r, 16);			/* constraint flags, level_idc */
	nal_ue(&r);			/* seq_parameter_set_id */
	if (memchr(high, (int)profile, sizeof(high)) != NULL) {
		if ((chroma = nal_ue(&r)) == 3)
			nal_u(&r, 1);	/* separate_colour_plane_flag */
		nal_ue(&r);		/* bit_depth_luma_minus8 */
		nal_ue(&r);		/* bit_depth_chroma_minus8 */
		nal_u(&r, 1);		/* qpprime_y_zero_transform_bypass */
		if (nal_u(&r, 1))	/* seq_scaling_matrix_present_flag */
			for (i = 0; i < (chroma != 3 ? 8u : 12u); i++)
				if (nal_u(&r, 1))
					nal_avc_scaling(&r, i < 6 ? 16 : 64);
	}
	nal_ue(&r);			/* log2_max_frame_num_minus4 */
	if ((poc = nal_ue(&r)) == 0)
		nal_ue(&r);		/* log2_max_pic_order_cnt_lsb_minus4 */
	else if (poc == 1) {
		unsigned cycle;

		nal_u(&r, 1);
		nal_se(&r);
		nal_se(&r);
		cycle = nal_ue(&r);
		for (i = 0; i < cycle && !r.err; i++)
			nal_se(&r);
	}
	nal_ue(&r);			/* max_num_ref_frames */
	nal_u(&r, 1);			/* gaps_in_frame_num_allowed */
	width = (nal_ue(&r) + 1) * 16;
	height = nal_ue(&r) + 1;
	mbs_only = nal_u(&r, 1);
	height *= (2 - mbs_only) * 16;
	if (!mbs_only)
		nal_u(&r, 1);		/* mb_adaptive_frame_field_flag */
	nal_u(&r, 1);			/* direct_8x8_inference_flag */
	if (nal_u(&r, 1)) {		/* frame_cropping_flag */
		unsigned cx = chroma == 1 || chroma == 2 ? 2 : 1;
		unsigned cy = (chroma == 1 ? 2 : 1) * (2 - mbs_only), c[4];

		for (i = 0; i < 4; i++)
			c[i] = nal_ue(&r);
		if ((c[0] + c[1]) * cx < width)
			width -= (c[0] + c[1]) * cx;
		if ((c[2] + c[3]) * cy < height)
			height -= (c[2] + c[3]) * cy;
	}
	if (r.err || width > 16384 || height > 16384)
		return EBADMSG;
	*w = width;
	*h = height;
	return 0;
}

int
nal_hevc_config(struct buf *b, const uint8_t *vps, size_t vpsn,
    const uint8_t *sps, size_t spsn, const uint8_t *pps, size_t ppsn)
{
	const struct {
		int		 type;
		const uint8_t	*p;
		size_t		 n;
	} arrays[] = {
		{ NAL_H265_VPS, vps, vpsn },
		{ NAL_H265_SPS, sps, spsn },
		{ NAL_H265_PPS, pps, ppsn },
	};
	struct nal_hevc_sps s;
	uint8_t h[23];
	size_t old = b->len;
	int e;

	if (vpsn < 2 || spsn < 2 || ppsn < 2 || vpsn > 0xffff ||
	    spsn > 0xffff || ppsn > 0xffff)
		return EINVAL;
	if ((e = nal_hevc_sps_parse(sps, spsn, &s)) != 0)
		return e;
	h[0] = 1;			/* configurationVersion */
	memcpy(h + 1, s.ptl, sizeof(s.ptl));
	h[13] = 0xf0;			/* min_spatial_segmentation_idc 0 */
	h[14] = 0x00;
	h[15] = 0xfc;			/* parallelismType 0 */
	h[16] = (uint8_t)(0xfc | s.chroma);
	h[17] = (uint8_t)(0xf8 | s.depth_luma);
	h[18] = (uint8_t)(0xf8 | s.depth_chroma);
	h[19] = 0;			/* avgFrameRate */
	h[20] = 0;
	/* constantFrameRate 0, layers, nesting, lengthSizeMinusOne 3 */
	h[21] = (uint8_t)((s.sub_layers & 7) << 3 | (s.nesting & 1) << 2 | 3);
	h[22] = 3;			/* numOfArrays */
	if (buf_add(b, h, sizeof(h)) != 0)
		return ENOMEM;
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		if (buf_addc(b, (char)(arrays[i].type & 0x3f)) ||
		    nal_add16(b, 1) || nal_add16(b, arrays[i].n) ||
		    buf_add(b, arrays[i].p, arrays[i].n)) {
			b->len = old;
			return ENOMEM;
		}
	return 0;
}
