/*
 * libFuzzer target for what mediad reads of GB28181 elementary streams
 * (mediad/nal.c, mediad/aac.c): Annex B scanning and conversion, SPS
 * parsing for avcC/hvcC and picture sizes, ADTS headers. The first byte
 * picks H.264 or H.265; the rest is a frame as a device could send it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "mediad/aac.h"
#include "mediad/nal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum nal_codec c;
	const uint8_t *p, *end, *nal, *sps = NULL;
	struct aac_adts h;
	struct buf b = { 0 };
	uint8_t *out;
	size_t len, n, spsn = 0;
	unsigned w, hh;

	if (size < 1)
		return 0;
	c = data[0] & 1 ? NAL_H265 : NAL_H264;
	p = data + 1;
	end = data + size;
	while (nal_next(&p, end, &nal, &len) == 0) {
		CHECK(nal >= data + 1 && nal + len <= end && len > 0);
		if (nal_type(c, nal, len) == (c == NAL_H264 ? NAL_H264_SPS :
		    NAL_H265_SPS)) {
			sps = nal;
			spsn = len;
		}
	}
	if (sps != NULL) {
		if (c == NAL_H264) {
			if (nal_avc_size(sps, spsn, &w, &hh) == 0)
				CHECK(w <= 16384 && hh <= 16384);
			nal_avc_config(&b, sps, spsn, sps, spsn);
		} else {
			nal_hevc_size(sps, spsn, &w, &hh);
			if (nal_hevc_config(&b, sps, spsn, sps, spsn, sps,
			    spsn) == 0)
				CHECK(b.len == 23 + 15 + 3 * spsn);
		}
	}
	buf_free(&b);
	if ((out = malloc(NAL_LP_MAX(size - 1))) != NULL) {
		n = nal_to_lp(c, data + 1, size - 1, out);
		CHECK(n <= NAL_LP_MAX(size - 1));
		free(out);
	}
	for (p = data + 1; p < end && aac_adts_parse(p, (size_t)(end - p),
	    &h) == 0; p += h.frame)
		CHECK(h.frame > h.header && h.rate > 0);
	return 0;
}
