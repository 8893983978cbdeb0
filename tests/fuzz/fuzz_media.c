/*
 * libFuzzer target for GB28181 media: the first byte picks the way in (RTP
 * datagrams, an RFC 4571 stream, PS chunks with losses, one RTP header),
 * the rest is fed as a device could send it; the callbacks check what
 * rtp.h and ps.h promise and read every byte they are handed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mediad/ps.h"
#include "mediad/rtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a crash, so libFuzzer keeps the input. */
#define CHECK(c)	do { if (!(c)) abort(); } while (0)

struct fuzz {
	struct ps_demux	*d;
	unsigned	 sum;		/* keeps the reads */
	int		 have_seq;
	uint16_t	 seq;
};

static void
fuzz_touch(struct fuzz *z, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		z->sum += p[i];
}

static void
fuzz_frame(void *arg, const struct ps_frame *f)
{
	struct fuzz *z = arg;

	CHECK(f->data != NULL && f->len > 0);
	CHECK(f->pts >= -1 && f->dts >= -1);
	if (f->video) {
		CHECK(f->codec == PS_CODEC_H264 || f->codec == PS_CODEC_H265);
		CHECK(f->len <= 2u << 20);
	} else {
		CHECK(f->codec >= PS_CODEC_AAC && f->codec <= PS_CODEC_G711U);
		CHECK(f->len <= 65535 && f->key == 0);
	}
	fuzz_touch(z, f->data, f->len);
}

static void
fuzz_pkt(void *arg, const struct rtp_pkt *pkt, unsigned lost)
{
	struct fuzz *z = arg;

	CHECK(pkt->len <= 65535 - 12);
	/* in sequence order: each one after the last, plus what was lost */
	if (z->have_seq)
		CHECK(pkt->seq == (uint16_t)(z->seq + 1 + lost) || lost == 0);
	z->have_seq = 1;
	z->seq = pkt->seq;
	fuzz_touch(z, pkt->payload, pkt->len);
	if (lost > 0)
		ps_demux_loss(z->d);
	(void)ps_demux_feed(z->d, pkt->payload, pkt->len);
	if (pkt->marker)
		ps_demux_flush(z->d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ps_stats *ps;
	const struct rtp_stats *rs;
	struct rtp_recv *r = NULL;
	struct rtp_pkt pkt;
	struct fuzz z;
	size_t i, n, chunk;
	uint8_t mode;

	if (size < 2)
		return 0;
	mode = data[0];
	chunk = 1 + data[1];	/* 1-256 */
	data += 2;
	size -= 2;
	memset(&z, 0, sizeof(z));
	if (ps_demux_alloc(&z.d, fuzz_frame, &z) != 0)
		return 0;
	/* small windows reach the give-up paths sooner */
	if (rtp_recv_alloc(&r, 0, mode & 0x10 ? 4 : 0, fuzz_pkt, &z) != 0)
		goto out;
	switch (mode & 3) {
	case 0:		/* datagrams, each after a 2-byte length */
		for (i = 0; i + 2 <= size; i += 2 + n) {
			n = (size_t)data[i] << 8 | data[i + 1];
			if (n > size - i - 2)
				n = size - i - 2;
			(void)rtp_recv_packet(r, data + i + 2, n);
		}
		break;
	case 1:		/* a TCP stream read chunk by chunk */
		for (i = 0; i < size; i += chunk)
			if (rtp_recv_stream(r, data + i, size - i < chunk ?
			    size - i : chunk) != 0)
				CHECK(rtp_recv_stream(r, data, 0) == EBADMSG);
		break;
	case 2:		/* PS alone; 0xff chunks stand for losses */
		for (i = 0; i < size; i += chunk) {
			n = size - i < chunk ? size - i : chunk;
			if (mode & 0x20 && data[i] == 0xff)
				ps_demux_loss(z.d);
			else
				(void)ps_demux_feed(z.d, data + i, n);
			if (mode & 0x40)
				ps_demux_flush(z.d);
		}
		break;
	default:	/* one header */
		if (rtp_parse(data, size, &pkt) == 0) {
			CHECK(pkt.payload >= data && pkt.len <= size &&
			    pkt.payload + pkt.len <= data + size);
			CHECK(data[0] >> 6 == 2 && pkt.pt < 128);
			fuzz_touch(&z, pkt.payload, pkt.len);
		}
		break;
	}
	rtp_recv_flush(r);
	ps_demux_flush(z.d);
	ps_demux_loss(z.d);
	rs = rtp_recv_stats(r);
	ps = ps_demux_stats(z.d);
	CHECK(rs->packets <= rs->bytes / 12 + 1);
	CHECK(ps->skipped <= size + 4);
	CHECK(ps->video_frames + ps->audio_frames <= size);
out:
	rtp_recv_free(r);
	ps_demux_free(z.d);
	return 0;
}
