/*
 * A libavformat output in its own thread (STYLE rule 8): GB28181 frames
 * republished to the edge as FLV over RTMP, or written as HLS. The loop
 * queues frames (bounded; a full queue drops, never blocks) and the thread
 * muxes and writes them.
 */
#ifndef VIGIL_MEDIAD_RELAY_H
#define VIGIL_MEDIAD_RELAY_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_QUEUE_MAX	(8u << 20)	/* bytes waiting for the thread */

struct relay_params {
	const char	*name;		/* for logs: "rtmp live/<id>" */
	const char	*format;	/* libavformat muxer: "flv", "hls" */
	const char	*url;		/* may hold a token: logged up to '?' */
	const char	*options;	/* muxer options "k=v:k=v", or NULL */
	int		 hevc;		/* H.265 video, else H.264 */
	unsigned	 width, height;	/* FLV wants them */
	/* extradata: avcC for flv, Annex B parameter sets for hls */
	const uint8_t	*vconfig;
	size_t		 vconfig_len;
	int		 audio;		/* with an AAC track */
	const uint8_t	*aconfig;	/* AudioSpecificConfig */
	size_t		 aconfig_len;
	unsigned	 rate;		/* Hz */
	unsigned	 channels;
};

struct relay;

/* Starts the thread (it opens the output); *rp owns it. 0 or an errno. */
int	relay_start(struct relay **rp, const struct relay_params *p);
/*
 * Room for the next frame of at most max bytes, to be filled by the
 * caller then queued with relay_push; NULL when it cannot be had (the
 * frame is dropped).
 */
uint8_t	*relay_frame(struct relay *r, size_t max);
/*
 * Queues the frame of relay_frame, len bytes (milliseconds; the first
 * frame queued should be a video keyframe: it is time 0). A frame that
 * does not fit is dropped and video waits for the next keyframe. 0,
 * ENOBUFS (dropped) or EPIPE (the relay has ended).
 */
int	relay_push(struct relay *r, int video, int key, int64_t pts,
	    int64_t dts, size_t len);
/* True once the thread has finished (output failed or stopped). */
int	relay_done(struct relay *r);
/* Frames dropped so far (queue full). */
uint64_t relay_dropped(const struct relay *r);
/* Asks the thread to finish (trailer, close); returns at once. */
void	relay_stop(struct relay *r);
/* Stops, joins the thread and frees; call once relay_done (or accept a
 * wait). Accepts NULL. */
void	relay_free(struct relay *r);

#endif
