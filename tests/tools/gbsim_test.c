/*
 * Unit test of gbsim's pure media functions: access unit splitting, the
 * PS pack layout (SCR, PSM CRC, PES timestamps, long frames) and RTP.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tests/tools/gbsim_ps.h"
#include "tests/unit/t.h"

static const uint8_t h264[] = {
	0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1e,		/* SPS */
	0, 0, 0, 1, 0x68, 0xeb,				/* PPS */
	0, 0, 0, 1, 0x65, 0x88, 0x84,			/* IDR, first MB */
	0, 0, 1, 0x65, 0x12, 0x34,			/* IDR, next slice */
	0, 0, 0, 1, 0x41, 0x9a, 0x01,			/* P */
	0, 0, 0, 1, 0x41, 0x9a, 0x02,			/* P */
	0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1e,		/* SPS */
	0, 0, 0, 1, 0x65, 0x88, 0x80,			/* IDR */
};

static const uint8_t h265[] = {
	0, 0, 0, 1, 0x40, 0x01, 0x0c,			/* VPS */
	0, 0, 0, 1, 0x42, 0x01, 0x01,			/* SPS */
	0, 0, 0, 1, 0x44, 0x01, 0xc1,			/* PPS */
	0, 0, 0, 1, 0x26, 0x01, 0xaf,			/* IDR_W_RADL */
	0, 0, 0, 1, 0x02, 0x01, 0xd0,			/* TRAIL_R */
};

static uint64_t
get_ts(const uint8_t *p)
{
	return (uint64_t)((p[0] >> 1) & 7) << 30 | p[1] << 22 |
	    (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1;
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

static void
test_es(void)
{
	size_t off = 0, len, lens[8];
	int key, keys[8], n = 0;

	T_OK(gbsim_es_codec(h264, sizeof(h264)) == GBSIM_H264, "h264");
	T_OK(gbsim_es_codec(h265, sizeof(h265)) == GBSIM_H265, "h265");
	while (n < 8 && gbsim_es_next(h264, sizeof(h264), GBSIM_H264, &off,
	    &len, &key) == 0) {
		lens[n] = len;
		keys[n++] = key;
	}
	T_OK(n == 4, "4 H.264 AUs, not %d", n);
	T_OK(lens[0] == 27 && keys[0] == 1, "AU 0: %zu %d", lens[0], keys[0]);
	T_OK(lens[1] == 7 && keys[1] == 0, "AU 1: %zu", lens[1]);
	T_OK(lens[3] == 15 && keys[3] == 1, "AU 3: %zu", lens[3]);
	T_OK(off == sizeof(h264), "all consumed");
	off = n = 0;
	while (n < 8 && gbsim_es_next(h265, sizeof(h265), GBSIM_H265, &off,
	    &len, &key) == 0) {
		lens[n] = len;
		keys[n++] = key;
	}
	T_OK(n == 2 && lens[0] == 28 && keys[0] == 1 && keys[1] == 0,
	    "H.265 AUs: %d", n);
}

static void
test_ps(void)
{
	struct gbsim_ps_au au = { 0 };
	uint8_t audio[320] = { 0xd5 }, *out, *p, *video;
	size_t len, cap, pes, got = 0;
	int npes = 0;

	au.codec = GBSIM_H265;
	au.video = h265;
	au.video_len = sizeof(h265);
	au.key = 1;
	au.pts = 0x1f0000001ULL;
	au.audio = audio;
	au.audio_len = sizeof(audio);
	au.audio_pts = 123456;
	au.has_audio = 1;
	cap = gbsim_ps_size(&au);
	out = malloc(cap);
	T_OK(gbsim_ps_frame(&au, out, cap - 400, &len) != 0, "ENOSPC");
	T_OK(gbsim_ps_frame(&au, out, cap, &len) == 0 && len <= cap, "key");
	T_OK(memcmp(out, "\0\0\1\xba", 4) == 0 && (out[4] & 0xc4) == 0x44,
	    "pack header");
	T_OK(memcmp(out + 14, "\0\0\1\xbb", 4) == 0, "system header");
	p = out + 14 + 6 + (out[18] << 8 | out[19]);
	T_OK(memcmp(p, "\0\0\1\xbc", 4) == 0, "PSM");
	T_OK(p[12] == 0x24 && p[13] == 0xe0 && p[16] == 0x90 &&
	    p[17] == 0xc0, "PSM streams");
	T_OK(crc32_mpeg(p, 6 + (p[4] << 8 | p[5])) == 0, "PSM CRC");
	p += 6 + (p[4] << 8 | p[5]);
	T_OK(memcmp(p, "\0\0\1\xe0", 4) == 0 && p[7] == 0xc0 && p[8] == 10,
	    "video PES");
	T_OK(get_ts(p + 9) == au.pts && get_ts(p + 14) == au.pts &&
	    p[9] >> 4 == 3 && p[14] >> 4 == 1, "PTS/DTS");
	T_OK(memcmp(p + 19, h265, sizeof(h265)) == 0, "video bytes");
	p += 6 + (p[4] << 8 | p[5]);
	T_OK(memcmp(p, "\0\0\1\xc0", 4) == 0 && get_ts(p + 9) == 123456 &&
	    (p[4] << 8 | p[5]) == 8 + 320, "audio PES");
	T_OK(p + 6 + 8 + 320 == out + len, "length %zu", len);
	free(out);

	/* a long non-key frame: several PES packets, no headers */
	video = calloc(1, 150000);
	au.video = video;
	au.video_len = 150000;
	au.key = 0;
	au.audio = NULL;
	au.audio_len = 0;
	cap = gbsim_ps_size(&au);
	out = malloc(cap);
	T_OK(gbsim_ps_frame(&au, out, cap, &len) == 0, "long frame");
	for (p = out + 14; p < out + len; p += 6 + pes) {
		pes = p[4] << 8 | p[5];
		T_OK(memcmp(p, "\0\0\1\xe0", 4) == 0, "PES %d", npes);
		got += pes - 3 - p[8];
		npes++;
	}
	T_OK(npes == 3 && got == 150000 && p == out + len, "%d PES, %zu",
	    npes, got);
	free(out);
	free(video);
}

static void
test_rtp(void)
{
	struct gbsim_rtp r = { .ssrc = 340200001, .seq = 65535,
	    .pt = GBSIM_RTP_PT };
	uint8_t ps[3000] = { 1, 2, 3 }, *out, *p;
	size_t len, cap = gbsim_rtp_size(&r, sizeof(ps));
	int n, i;

	out = malloc(cap);
	T_OK(gbsim_rtp_packetize(&r, ps, sizeof(ps), 0x11223344, out, cap,
	    &len, &n) == 0 && n == 3, "3 packets");
	T_OK(len == 3 * 14 + sizeof(ps) && r.seq == 2, "len %zu seq %u", len,
	    r.seq);
	for (i = 0, p = out; i < 3; i++, p += 2 + (p[0] << 8 | p[1])) {
		T_OK((p[0] << 8 | p[1]) == 12 + (i < 2 ? 1400 : 200),
		    "RFC 4571 length");
		T_OK(p[2] == 0x80 && p[3] == (i == 2 ? 0x80 : 0) + 96,
		    "V, M, PT");
		T_OK((p[4] << 8 | p[5]) == (uint16_t)(65535 + i), "seq");
		T_OK(memcmp(p + 6, "\x11\x22\x33\x44", 4) == 0 &&
		    (uint32_t)(p[10] << 24 | p[11] << 16 | p[12] << 8 | p[13])
		    == 340200001, "ts, ssrc");
	}
	T_OK(memcmp(out + 14, ps, 3) == 0, "payload");
	free(out);
}

int
main(void)
{
	test_es();
	test_ps();
	test_rtp();
	return T_DONE();
}
