/*
 * GB28181 media: the MPEG-2 program stream (PS) carried in RTP, demuxed
 * into elementary frames (PSM, PES, system header; H.264, H.265, AAC,
 * G.711A, G.711U). FFmpeg's PS demuxer does not recognise G.711.
 */
#ifndef VIGIL_MEDIAD_PS_H
#define VIGIL_MEDIAD_PS_H

#include <stddef.h>
#include <stdint.h>

enum ps_codec {
	PS_CODEC_NONE = 0,
	PS_CODEC_H264,		/* PSM stream_type 0x1b */
	PS_CODEC_H265,		/* 0x24 */
	PS_CODEC_AAC,		/* 0x0f (ADTS) */
	PS_CODEC_G711A,		/* 0x90 */
	PS_CODEC_G711U,		/* 0x91 */
};

/* One access unit (video: Annex B, all NAL units of a picture; audio: as
 * carried, e.g. ADTS frames or G.711 samples). */
struct ps_frame {
	enum ps_codec	 codec;
	int		 video;
	int		 key;		/* video: contains an IDR/IRAP */
	int64_t		 pts;		/* 90 kHz; -1 unknown */
	int64_t		 dts;		/* 90 kHz; -1 unknown (then = pts) */
	/* PTS/DTS are the 33-bit values sent, unwrapped past 2^33 */
	const uint8_t	*data;		/* valid during the callback only */
	size_t		 len;
};

/* Must not feed or free the demuxer. */
typedef void	(*ps_frame_cb)(void *arg, const struct ps_frame *f);

struct ps_demux;

/* A demuxer that calls cb for each complete frame. 0 or ENOMEM. */
int	ps_demux_alloc(struct ps_demux **dp, ps_frame_cb cb, void *arg);
void	ps_demux_free(struct ps_demux *d);
/*
 * Feeds the payload of one RTP packet (in sequence order). Bytes that do
 * not parse are skipped up to the next pack header (or other PS start
 * code): 0, or EBADMSG when something was skipped (counted, never fatal;
 * not reported at the start and after ps_demux_loss, where it is normal).
 */
int	ps_demux_feed(struct ps_demux *d, const uint8_t *p, size_t n);
/* Tells the demuxer packets were lost: the frame being built is dropped
 * and video waits for the next keyframe. */
void	ps_demux_loss(struct ps_demux *d);
/*
 * The end of a frame (the RTP marker bit, or the end of the stream): the
 * video frame being built is delivered now if its last PES is complete,
 * rather than when the next one starts.
 */
void	ps_demux_flush(struct ps_demux *d);

struct ps_stats {
	uint64_t	 video_frames;	/* delivered */
	uint64_t	 audio_frames;
	uint64_t	 skipped;	/* bytes that did not parse */
	uint64_t	 dropped;	/* frames lost, damaged, too large or of
					 * no known codec */
	uint64_t	 waitkey;	/* video dropped before a keyframe */
	uint64_t	 oversize;	/* video over 2 MB (also dropped) */
	uint64_t	 packs;		/* pack headers */
	uint64_t	 maps;		/* stream maps (PSM) */
	enum ps_codec	 video;		/* as mapped or seen; NONE: unknown */
	enum ps_codec	 audio;
};

/* The counters so far (skipped bytes are added when a unit is found). */
const struct ps_stats *ps_demux_stats(const struct ps_demux *d);

#endif
