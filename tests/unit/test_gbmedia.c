/*
 * Unit test of the pure parts of GB28181 ingest: ADTS and
 * AudioSpecificConfig (mediad/aac.c), RTP ports and SSRCs
 * (mediad/gballoc.c), PS timestamps to milliseconds (mediad/tsmap.c).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "mediad/aac.h"
#include "mediad/gballoc.h"
#include "mediad/tsmap.h"
#include "t.h"

static void
test_aac(void)
{
	/* ADTS of AAC-LC 8 kHz mono, frame of 20 bytes, no CRC */
	uint8_t adts[20] = { 0xff, 0xf1, 0x6c, 0x40, 0x02, 0x9f, 0xfc };
	struct aac_adts h;
	uint8_t asc[2];

	T_OK(aac_adts_parse(adts, sizeof(adts), &h) == 0, "ADTS parses");
	T_OK(h.object == 2 && h.rate_index == 11 && h.rate == 8000 &&
	    h.channels == 1, "LC 8 kHz mono: %u %u %u", h.object, h.rate,
	    h.channels);
	T_OK(h.header == 7 && h.frame == 20, "sizes %zu %zu", h.header,
	    h.frame);
	T_OK(aac_adts_parse(adts, 19, &h) == EAGAIN, "short frame");
	T_OK(aac_adts_parse(adts, 5, &h) == EAGAIN, "short header");
	adts[1] = 0xf0;
	T_OK(aac_adts_parse(adts, sizeof(adts), &h) == 0 && h.header == 9,
	    "with CRC: 9-byte header");
	adts[0] = 0xfe;
	T_OK(aac_adts_parse(adts, sizeof(adts), &h) == EBADMSG, "no sync");
	adts[0] = 0xff;
	adts[2] = 0x7c;		/* rate index 15 */
	T_OK(aac_adts_parse(adts, sizeof(adts), &h) == EBADMSG,
	    "reserved rate index");

	aac_config(asc, AAC_LC, 11, 1);
	T_OK(asc[0] == 0x15 && asc[1] == 0x88, "ASC 8 kHz mono %02x%02x",
	    asc[0], asc[1]);
	aac_config(asc, AAC_LC, 4, 2);
	T_OK(asc[0] == 0x12 && asc[1] == 0x10, "ASC 44.1 kHz stereo");
	T_OK(aac_rate_index(8000) == 11 && aac_rate_index(44100) == 4 &&
	    aac_rate_index(12345) == -1, "rate indexes");
}

static void
test_ports(void)
{
	struct gballoc_ports pp;
	int a, b, c, d;

	T_OK(gballoc_ports_init(&pp, 10, 9) == EINVAL, "empty range");
	T_OK(gballoc_ports_init(&pp, 0, 9) == EINVAL, "port 0");
	T_OK(gballoc_ports_init(&pp, 30000, 30002) == 0, "init");
	T_OK(gballoc_port_take(&pp, &a) == 0 && a == 30000, "first %d", a);
	T_OK(gballoc_port_take(&pp, &b) == 0 && b == 30001, "second %d", b);
	gballoc_port_put(&pp, a);
	/* round robin: a port just closed is the last to come back */
	T_OK(gballoc_port_take(&pp, &c) == 0 && c == 30002, "third %d", c);
	T_OK(gballoc_port_take(&pp, &d) == 0 && d == 30000, "reused %d", d);
	T_OK(gballoc_port_take(&pp, &d) == ENOSPC, "exhausted");
	gballoc_port_put(&pp, 30001);
	gballoc_port_put(&pp, 29999);	/* outside: ignored */
	gballoc_port_put(&pp, 40000);
	T_OK(gballoc_port_take(&pp, &d) == 0 && d == 30001, "freed one %d",
	    d);
	T_OK(gballoc_port_take(&pp, &d) == ENOSPC, "full again");
	gballoc_ports_free(&pp);

	T_OK(gballoc_ports_init(&pp, 1, 65535) == 0, "whole range");
	for (int i = 0; i < 65535; i++)
		gballoc_port_take(&pp, &d);
	T_OK(d == 65535 && gballoc_port_take(&pp, &d) == ENOSPC,
	    "every port once");
	gballoc_ports_free(&pp);
}

static void
test_ssrc(void)
{
	char s[GBALLOC_SSRC_LEN];

	gballoc_ssrc(s, 0, "3402000000", 17);
	T_STREQ(s, "0200000017");
	gballoc_ssrc(s, 1, "3402012345", 123456);
	T_STREQ(s, "1201233456");
	gballoc_ssrc(s, 0, "34", 1);
	T_STREQ(s, "0000000001");
	gballoc_ssrc(s, 0, NULL, 9999);
	T_STREQ(s, "0000009999");
	gballoc_ssrc(s, 0, "340x012345", 5);
	T_STREQ(s, "0000000005");
}

static void
test_tsmap(void)
{
	struct tsmap m = { 0 };
	const int64_t wrap = 1LL << 33;

	T_OK(tsmap_ms(&m, 900000) == 0, "first is 0");
	T_OK(tsmap_ms(&m, 903600) == 40, "+40 ms");
	T_OK(tsmap_ms(&m, 900000) == 0, "audio a little behind");
	T_OK(tsmap_ms(&m, 903600 + 3600) == 80, "on");
	m = (struct tsmap){ 0 };
	tsmap_ms(&m, wrap - 1800);
	T_OK(tsmap_ms(&m, 1800) == 40, "33-bit wrap");
	T_OK(tsmap_ms(&m, wrap + 5400) == 80, "bits above 33 ignored");
	/* the device's clock jumps: time goes on from where it was */
	T_OK(tsmap_ms(&m, 1000000000) == 80, "jump forward holds");
	T_OK(tsmap_ms(&m, 1000003600) == 120, "then advances");
	T_OK(tsmap_ms(&m, 90) == 120, "jump back holds");
	T_OK(tsmap_ms(&m, 90 + 3600) == 160, "then advances");
	/* a reconnected sender a few seconds behind: not time travel */
	T_OK(tsmap_ms(&m, 90 + 3600 - 4 * 90000) == 160, "4 s back holds");
	T_OK(tsmap_ms(&m, 90 + 7200 - 4 * 90000) == 200, "and advances");
	T_OK(tsmap_ms(&m, 90 + 7200 - 4 * 90000 - 90000) == -800,
	    "1 s back is followed");
	m = (struct tsmap){ 0 };
	tsmap_ms(&m, 9000);
	T_OK(tsmap_ms(&m, 0) == -100, "before the first: negative");
}

int
main(void)
{
	test_aac();
	test_ports();
	test_ssrc();
	test_tsmap();
	return T_DONE();
}
