/*
 * Unit test of mediad/nal.c and the H.265 FLV tags of mediad/flv.c: Annex B
 * scanning, length-prefixed conversion, avcC, and an hvcC compared with the
 * one FFmpeg's mp4 muxer wrote for the same x265 parameter sets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "mediad/flv.h"
#include "mediad/nal.h"
#include "t.h"

/* x265 (ffmpeg -pix_fmt yuv420p -c:v libx265, 320x240): VPS, SPS, PPS */
static const uint8_t vps[] = { 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01,
    0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03,
    0x00, 0x3c, 0x95, 0x98, 0x09 };
static const uint8_t sps[] = { 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xa0,
    0x0a, 0x08, 0x0f, 0x16, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0, 0x5a, 0x02,
    0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x32, 0x10 };
static const uint8_t pps[] = { 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40 };
/* the first 23 bytes of the hvcC box FFmpeg 5.1's mp4 muxer wrote */
static const uint8_t hvcc_head[] = { 0x01, 0x01, 0x60, 0x00, 0x00, 0x00,
    0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0xf0, 0x00, 0xfc, 0xfd, 0xf8,
    0xf8, 0x00, 0x00, 0x0f, 0x03 };

static uint32_t
be(const uint8_t *p, int n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return v;
}

static void
test_scan(void)
{
	/* 4-byte and 3-byte start codes, an AUD, trailing zeros */
	static const uint8_t au[] = { 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1,
	    0x67, 0x42, 0x00, 0x1f, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 0, 1, 0x65,
	    0x88, 0x84, 0x00, 0x00 };
	const uint8_t *p = au, *nal;
	uint8_t out[NAL_LP_MAX(sizeof(au))];
	size_t len, n;
	int types[8], k = 0;

	while (k < 8 && nal_next(&p, au + sizeof(au), &nal, &len) == 0)
		types[k++] = nal_type(NAL_H264, nal, len);
	T_OK(k == 4, "4 NAL units, got %d", k);
	T_OK(k == 4 && types[0] == NAL_H264_AUD && types[1] == NAL_H264_SPS &&
	    types[2] == NAL_H264_PPS && types[3] == NAL_H264_IDR, "types");
	p = au;
	nal_next(&p, au + sizeof(au), &nal, &len);
	nal_next(&p, au + sizeof(au), &nal, &len);
	T_OK(len == 4 && nal[0] == 0x67, "SPS without the next start code's"
	    " zero: %zu", len);
	p = au + 19;
	nal_next(&p, au + sizeof(au), &nal, &len);
	T_OK(nal_next(&p, au + sizeof(au), &nal, &len) == ENOENT, "end");

	n = nal_to_lp(NAL_H264, au, sizeof(au), out);
	T_OK(n == 4 + 4 + 4 + 2 + 4 + 3, "lp size %zu", n);
	T_OK(be(out, 4) == 4 && out[4] == 0x67, "SPS first, AUD left out");
	T_OK(be(out + 8, 4) == 2 && out[12] == 0x68, "PPS");
	T_OK(be(out + 14, 4) == 3 && out[18] == 0x65 && out[20] == 0x84,
	    "IDR, trailing zeros trimmed");

	p = (const uint8_t *)"\x01\x02\x03";
	T_OK(nal_next(&p, p + 3, &nal, &len) == ENOENT, "no start code");
	T_OK(nal_type(NAL_H265, vps, sizeof(vps)) == NAL_H265_VPS &&
	    nal_type(NAL_H265, sps, sizeof(sps)) == NAL_H265_SPS &&
	    nal_type(NAL_H265, pps, sizeof(pps)) == NAL_H265_PPS,
	    "H.265 types");
}

static void
test_avcc(void)
{
	static const uint8_t s[] = { 0x67, 0x64, 0x00, 0x28, 0xac };
	static const uint8_t p[] = { 0x68, 0xee, 0x3c, 0x80 };
	static const uint8_t want[] = { 1, 0x64, 0x00, 0x28, 0xff, 0xe1, 0,
	    5, 0x67, 0x64, 0x00, 0x28, 0xac, 1, 0, 4, 0x68, 0xee, 0x3c, 0x80 };
	struct buf b = { 0 };

	T_OK(nal_avc_config(&b, s, sizeof(s), p, sizeof(p)) == 0, "avcC");
	T_OK(b.len == sizeof(want) && memcmp(b.p, want, b.len) == 0,
	    "avcC bytes");
	buf_reset(&b);
	T_OK(nal_avc_config(&b, s, 3, p, sizeof(p)) == EINVAL, "short SPS");
	buf_free(&b);
}

static void
test_hvcc(void)
{
	struct buf b = { 0 };
	const uint8_t *h;
	size_t off;

	T_OK(nal_hevc_config(&b, vps, sizeof(vps), sps, sizeof(sps), pps,
	    sizeof(pps)) == 0, "hvcC");
	h = (const uint8_t *)b.p;
	T_OK(b.len == 23 + 3 * 5 + sizeof(vps) + sizeof(sps) + sizeof(pps),
	    "hvcC size %zu", b.len);
	T_OK(b.len >= 23 && memcmp(h, hvcc_head, sizeof(hvcc_head)) == 0,
	    "hvcC header as FFmpeg writes it");
	off = 23;
	T_OK(h[off] == 32 && be(h + off + 1, 2) == 1 &&
	    be(h + off + 3, 2) == sizeof(vps) &&
	    memcmp(h + off + 5, vps, sizeof(vps)) == 0, "VPS array");
	off += 5 + sizeof(vps);
	T_OK(h[off] == 33 && be(h + off + 3, 2) == sizeof(sps) &&
	    memcmp(h + off + 5, sps, sizeof(sps)) == 0, "SPS array");
	off += 5 + sizeof(sps);
	T_OK(h[off] == 34 && be(h + off + 3, 2) == sizeof(pps) &&
	    memcmp(h + off + 5, pps, sizeof(pps)) == 0, "PPS array");
	buf_reset(&b);
	T_OK(nal_hevc_config(&b, vps, sizeof(vps), sps, 6, pps,
	    sizeof(pps)) == EBADMSG, "truncated SPS refused");
	T_OK(b.len == 0, "nothing appended");
	buf_free(&b);
}

/* FLV video tags with codec id 12, as flv.js forks and SRS/ZLM read them */
/* picture sizes: x264 640x360 (High, cropped from 368), x265 320x240 */
static void
test_sizes(void)
{
	static const uint8_t sps264[] = { 0x67, 0x64, 0x00, 0x1e, 0xac, 0xb2,
	    0x01, 0x40, 0x5f, 0xf2, 0xe0, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02,
	    0x00, 0x00, 0x03, 0x00, 0x64, 0x1e, 0x2c, 0x5c, 0x90 };
	unsigned w = 0, h = 0;

	T_OK(nal_avc_size(sps264, sizeof(sps264), &w, &h) == 0 && w == 640 &&
	    h == 360, "H.264 %ux%u", w, h);
	T_OK(nal_avc_size(sps264, 6, &w, &h) == EBADMSG, "short H.264 SPS");
	T_OK(nal_hevc_size(sps, sizeof(sps), &w, &h) == 0 && w == 320 &&
	    h == 240, "H.265 %ux%u", w, h);
}

static void
test_flv_hevc(void)
{
	static const uint8_t nalu[] = { 0, 0, 0, 3, 0x26, 0x01, 0xaf };
	struct buf cfg = { 0 }, b = { 0 };
	const uint8_t *p;

	nal_hevc_config(&cfg, vps, sizeof(vps), sps, sizeof(sps), pps,
	    sizeof(pps));
	T_OK(flv_video_codec(&b, FLV_CODEC_HEVC, 0, 1, FLV_AVC_SEQ_HEADER, 0,
	    cfg.p, cfg.len) == 0, "HEVC sequence header tag");
	p = (const uint8_t *)b.p;
	T_OK(p[0] == FLV_TAG_VIDEO && be(p + 1, 3) == 5 + cfg.len, "size");
	T_OK(p[11] == 0x1c, "keyframe + codec 12: %02x", p[11]);
	T_OK(p[12] == 0 && be(p + 13, 3) == 0, "sequence header, cts 0");
	T_OK(memcmp(p + 16, cfg.p, cfg.len) == 0 && p[16] == 1,
	    "HEVCDecoderConfigurationRecord body");
	buf_reset(&b);
	T_OK(flv_video_codec(&b, FLV_CODEC_HEVC, 40, 0, FLV_AVC_NALU, 80,
	    nalu, sizeof(nalu)) == 0, "HEVC frame tag");
	p = (const uint8_t *)b.p;
	T_OK(p[11] == 0x2c && p[12] == 1 && be(p + 13, 3) == 80,
	    "inter + codec 12, NALU, cts");
	T_OK(memcmp(p + 16, nalu, sizeof(nalu)) == 0, "length-prefixed body");
	buf_reset(&b);
	flv_video(&b, 0, 1, FLV_AVC_NALU, 0, nalu, sizeof(nalu));
	T_OK(((const uint8_t *)b.p)[11] == 0x17, "flv_video is still AVC");
	buf_free(&cfg);
	buf_free(&b);
}

int
main(void)
{
	test_scan();
	test_avcc();
	test_hvcc();
	test_sizes();
	test_flv_hevc();
	return T_DONE();
}
