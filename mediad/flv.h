/*
 * FLV muxing by hand: the file header and audio/video tags as HTTP-FLV
 * viewers expect them (H.264 in AVCC, codec id 7; H.265 in HVCC, codec id
 * 12 as Chinese players and servers use it; AAC, sound format 10).
 */
#ifndef VIGIL_FLV_H
#define VIGIL_FLV_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define FLV_TAG_AUDIO		8
#define FLV_TAG_VIDEO		9
#define FLV_TAG_SCRIPT		18
#define FLV_HEADER_LEN		13	/* 9-byte header + PreviousTagSize0 */
#define FLV_TAG_OVERHEAD	15	/* 11-byte tag header + 4-byte size */

#define FLV_CODEC_AVC		7
#define FLV_CODEC_HEVC		12	/* not in the spec: the Chinese use */

#define FLV_AVC_SEQ_HEADER	0
#define FLV_AVC_NALU		1
#define FLV_AAC_SEQ_HEADER	0
#define FLV_AAC_RAW		1

/* Writes the file header and PreviousTagSize0 into out. */
void	flv_header(uint8_t out[FLV_HEADER_LEN], int audio, int video);
/*
 * Appends one complete tag (header, body, PreviousTagSize) to b; ts is in
 * milliseconds (32 bits with the extension byte). 0 or ENOMEM/EINVAL.
 */
int	flv_tag(struct buf *b, int type, uint32_t ts, const void *body,
	    size_t n);
/*
 * Appends an H.264 video tag: avc_type FLV_AVC_SEQ_HEADER with an
 * AVCDecoderConfigurationRecord, or FLV_AVC_NALU with length-prefixed
 * NAL units; cts is pts - dts in milliseconds.
 */
int	flv_video(struct buf *b, uint32_t ts, int key, int avc_type,
	    int32_t cts, const void *data, size_t n);
/*
 * As flv_video for codec FLV_CODEC_AVC or FLV_CODEC_HEVC (whose sequence
 * header carries an HEVCDecoderConfigurationRecord; same packet types).
 */
int	flv_video_codec(struct buf *b, int codec, uint32_t ts, int key,
	    int avc_type, int32_t cts, const void *data, size_t n);
/* Appends an AAC audio tag (AudioSpecificConfig or a raw frame). */
int	flv_audio(struct buf *b, uint32_t ts, int aac_type, const void *data,
	    size_t n);
/* Reads the type, timestamp and body size of the tag at p; 0 or EBADMSG. */
int	flv_tag_parse(const uint8_t *p, size_t n, int *type, uint32_t *ts,
	    size_t *body);

#endif
