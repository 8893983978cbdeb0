/*
 * The simulator's media, as pure functions: access units from an Annex B
 * stream, GB28181 PS (MPEG-2 program stream) muxing and RTP packetizing.
 * No I/O, so unit tests can use them to make PS and RTP samples.
 */
#ifndef VIGIL_GBSIM_PS_H
#define VIGIL_GBSIM_PS_H

#include <stddef.h>
#include <stdint.h>

#define GBSIM_H264		0x1b	/* PSM stream_type values */
#define GBSIM_H265		0x24
#define GBSIM_G711A		0x90

#define GBSIM_RTP_PAYLOAD	1400	/* max RTP payload bytes */
#define GBSIM_RTP_PT		96

/*
 * Guesses the codec of an Annex B stream from its first NAL unit header:
 * GBSIM_H265 or GBSIM_H264, 0 if es holds no start code.
 */
int	gbsim_es_codec(const uint8_t *es, size_t len);

/*
 * Finds the access unit starting at *off in the Annex B stream es (codec
 * GBSIM_H264 or GBSIM_H265): sets *aulen to its length (start codes
 * included), *key to 1 if it holds an IDR/IRAP picture, and advances *off
 * past it. Returns 0, or ENOENT at the end of the stream.
 */
int	gbsim_es_next(const uint8_t *es, size_t len, int codec, size_t *off,
	    size_t *aulen, int *key);

/* One PS pack's content: a video access unit and/or G.711A audio. */
struct gbsim_ps_au {
	int		 codec;		/* GBSIM_H264 or GBSIM_H265 */
	const uint8_t	*video;		/* Annex B access unit, or NULL */
	size_t		 video_len;
	int		 key;		/* adds system header and PSM */
	uint64_t	 pts;		/* 90 kHz, video (DTS = PTS) */
	const uint8_t	*audio;		/* G.711A bytes, or NULL */
	size_t		 audio_len;	/* at most 65000 */
	uint64_t	 audio_pts;	/* 90 kHz */
	int		 has_audio;	/* PSM lists the audio stream */
};

/* The most bytes gbsim_ps_frame() writes for au. */
size_t	gbsim_ps_size(const struct gbsim_ps_au *au);

/*
 * Writes one PS pack into out: pack header (SCR = PTS), system header and
 * PSM if au->key, the video in PES 0xE0 packets (PTS and DTS on the first)
 * and the audio in PES 0xC0 (PTS). Sets *lenp; returns 0 or ENOSPC.
 */
int	gbsim_ps_frame(const struct gbsim_ps_au *au, uint8_t *out, size_t cap,
	    size_t *lenp);

/* An RTP sender's state. */
struct gbsim_rtp {
	uint32_t	 ssrc;
	uint16_t	 seq;		/* of the next packet */
	uint8_t		 pt;		/* GBSIM_RTP_PT */
	size_t		 max_payload;	/* 0: GBSIM_RTP_PAYLOAD */
};

/* The most bytes gbsim_rtp_packetize() writes for len bytes of PS. */
size_t	gbsim_rtp_size(const struct gbsim_rtp *r, size_t len);

/*
 * Splits one PS pack (one frame) into RTP packets with timestamp ts, the
 * marker bit on the last, and writes them to out as RFC 4571 frames (a
 * 2-byte big-endian length, then the packet). Advances r->seq; sets *lenp
 * and *npkts. Returns 0 or ENOSPC.
 */
int	gbsim_rtp_packetize(struct gbsim_rtp *r, const uint8_t *ps, size_t len,
	    uint32_t ts, uint8_t *out, size_t cap, size_t *lenp, int *npkts);

#endif
