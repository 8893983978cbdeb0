/* Unit test of mediad/flv.c: header and tag layout byte by byte. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "mediad/flv.h"
#include "t.h"

static uint32_t
be(const uint8_t *p, int n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return v;
}

int
main(void)
{
	static const uint8_t want_hdr[FLV_HEADER_LEN] = { 'F', 'L', 'V', 1, 5,
	    0, 0, 0, 9, 0, 0, 0, 0 };
	uint8_t hdr[FLV_HEADER_LEN], nal[] = { 0, 0, 0, 2, 0x65, 0x88 };
	struct buf b = { 0 };
	const uint8_t *p;
	uint32_t ts;
	size_t body;
	int type;

	flv_header(hdr, 1, 1);
	T_OK(memcmp(hdr, want_hdr, sizeof(hdr)) == 0, "audio+video header");
	flv_header(hdr, 0, 1);
	T_OK(hdr[4] == 1, "video-only flags %u", hdr[4]);

	T_OK(flv_video(&b, 0x12345678, 1, FLV_AVC_NALU, 40, nal,
	    sizeof(nal)) == 0, "video tag");
	p = (const uint8_t *)b.p;
	T_OK(b.len == FLV_TAG_OVERHEAD + 5 + sizeof(nal), "len %zu", b.len);
	T_OK(p[0] == FLV_TAG_VIDEO, "type %u", p[0]);
	T_OK(be(p + 1, 3) == 5 + sizeof(nal), "data size");
	T_OK(be(p + 4, 3) == 0x345678 && p[7] == 0x12, "extended timestamp");
	T_OK(be(p + 8, 3) == 0, "stream id");
	T_OK(p[11] == 0x17, "keyframe + AVC: %02x", p[11]);
	T_OK(p[12] == FLV_AVC_NALU && be(p + 13, 3) == 40, "nalu + cts");
	T_OK(memcmp(p + 16, nal, sizeof(nal)) == 0, "payload");
	T_OK(be(p + b.len - 4, 4) == 11 + 5 + sizeof(nal), "previous size");
	T_OK(flv_tag_parse(p, b.len, &type, &ts, &body) == 0 &&
	    type == FLV_TAG_VIDEO && ts == 0x12345678 &&
	    body == 5 + sizeof(nal), "parse back");
	T_OK(flv_tag_parse(p, b.len - 1, &type, &ts, &body) == EBADMSG,
	    "truncated tag refused");

	buf_reset(&b);
	T_OK(flv_video(&b, 0, 0, FLV_AVC_NALU, -1, nal, sizeof(nal)) == 0,
	    "inter frame");
	p = (const uint8_t *)b.p;
	T_OK(p[11] == 0x27, "inter + AVC: %02x", p[11]);
	T_OK(be(p + 13, 3) == 0xffffff, "negative cts as 24-bit");

	buf_reset(&b);
	T_OK(flv_audio(&b, 1000, FLV_AAC_SEQ_HEADER, "\x12\x10", 2) == 0,
	    "aac seq header");
	p = (const uint8_t *)b.p;
	T_OK(p[0] == FLV_TAG_AUDIO && be(p + 1, 3) == 4, "audio size");
	T_OK(be(p + 4, 3) == 1000, "audio ts");
	T_OK(p[11] == 0xaf && p[12] == 0 && p[13] == 0x12 && p[14] == 0x10,
	    "audio body");
	T_OK(be(p + b.len - 4, 4) == 15, "audio previous size");

	buf_reset(&b);
	T_OK(flv_tag(&b, FLV_TAG_SCRIPT, 0, NULL, 0x1000000) == EINVAL,
	    "body over 24 bits refused");
	T_OK(b.len == 0, "nothing appended on failure");
	buf_free(&b);
	return T_DONE();
}
