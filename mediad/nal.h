/*
 * H.264/H.265 NAL units in Annex B (start codes), as GB28181 devices send
 * them: iteration, conversion to the length-prefixed form of FLV, and the
 * decoder configuration records FLV sequence headers carry (avcC, hvcC).
 */
#ifndef VIGIL_MEDIAD_NAL_H
#define VIGIL_MEDIAD_NAL_H

#include <stddef.h>
#include <stdint.h>

struct buf;

enum nal_codec { NAL_H264, NAL_H265 };

/* NAL unit types used here */
#define NAL_H264_IDR	5
#define NAL_H264_SPS	7
#define NAL_H264_PPS	8
#define NAL_H264_AUD	9
#define NAL_H265_VPS	32
#define NAL_H265_SPS	33
#define NAL_H265_PPS	34
#define NAL_H265_AUD	35

/* Upper bound of nal_to_lp's output for n bytes of Annex B input. */
#define NAL_LP_MAX(n)	((n) + (n) / 3 + 8)

/*
 * Finds the next NAL unit at or after *pp: 0 with *nal and *len set (no
 * start code, trailing zero bytes trimmed) and *pp moved past it, or
 * ENOENT when there is none.
 */
int	nal_next(const uint8_t **pp, const uint8_t *end, const uint8_t **nal,
	    size_t *len);
/* The type of a NAL unit (first header byte(s)); -1 when empty. */
int	nal_type(enum nal_codec c, const uint8_t *nal, size_t len);
/*
 * Converts Annex B p/n to 4-byte length-prefixed NAL units in out (at least
 * NAL_LP_MAX(n) bytes), leaving out access unit delimiters. Returns the
 * bytes written.
 */
size_t	nal_to_lp(enum nal_codec c, const uint8_t *p, size_t n, uint8_t *out);
/* The picture size an H.264 SPS gives (cropped); 0 or EBADMSG. */
int	nal_avc_size(const uint8_t *sps, size_t n, unsigned *w, unsigned *h);
/* The picture size an H.265 SPS gives (cropped); 0 or EBADMSG. */
int	nal_hevc_size(const uint8_t *sps, size_t n, unsigned *w, unsigned *h);
/*
 * Appends an AVCDecoderConfigurationRecord (avcC) built from one SPS and
 * one PPS (NAL units without start codes). 0, EINVAL or ENOMEM.
 */
int	nal_avc_config(struct buf *b, const uint8_t *sps, size_t spsn,
	    const uint8_t *pps, size_t ppsn);
/*
 * Appends an HEVCDecoderConfigurationRecord (hvcC, 4-byte lengths) built
 * from a VPS, SPS and PPS; profile, tier, level, chroma format and bit
 * depths are read from the SPS. 0, EBADMSG (SPS does not parse), EINVAL
 * or ENOMEM.
 */
int	nal_hevc_config(struct buf *b, const uint8_t *vps, size_t vpsn,
	    const uint8_t *sps, size_t spsn, const uint8_t *pps, size_t ppsn);

#endif
