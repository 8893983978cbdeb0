/*
 * G.711 (A-law, mu-law; 8 kHz mono as GB28181 carries it) to AAC-LC with
 * libavcodec, in a thread of its own (STYLE rule 8): the loop queues
 * G.711 frames and takes AAC frames back when the eventfd is readable.
 */
#ifndef VIGIL_MEDIAD_TRANSCODE_H
#define VIGIL_MEDIAD_TRANSCODE_H

#include <stddef.h>
#include <stdint.h>

#define TRANSCODE_RATE		8000
#define TRANSCODE_CHANNELS	1

/* One raw AAC frame (no ADTS header). */
struct transcode_frame {
	struct transcode_frame	*next;
	int64_t			 ms;
	size_t			 len;
	uint8_t			 data[];
};

struct transcode;

/* Starts a transcoder (ulaw: mu-law, else A-law); name is for logs. */
int	transcode_start(struct transcode **tp, int ulaw, const char *name);
/* Readable when AAC frames wait (transcode_take). */
int	transcode_fd(const struct transcode *t);
/* Queues G.711 samples of time ms (copied): 0, or ENOBUFS (dropped). */
int	transcode_put(struct transcode *t, int64_t ms, const uint8_t *p,
	    size_t n);
/* Takes the AAC frames ready, oldest first; free() each. */
struct transcode_frame *transcode_take(struct transcode *t);
/* Stops and joins the thread, frees everything; accepts NULL. */
void	transcode_free(struct transcode *t);

#endif
