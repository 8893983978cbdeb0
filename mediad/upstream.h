/*
 * One upstream pull: a thread reads a live stream from the edge with
 * libavformat and hands FLV tags to the loop through a queue and an
 * eventfd (STYLE rule 8: FFmpeg work off the loop thread).
 */
#ifndef VIGIL_UPSTREAM_H
#define VIGIL_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

enum upstream_kind {
	UPSTREAM_VSEQ,		/* AVC sequence header tag */
	UPSTREAM_ASEQ,		/* AAC sequence header tag */
	UPSTREAM_TAG		/* a media tag */
};

/* One complete FLV tag (header, body, PreviousTagSize). */
struct upstream_tag {
	struct upstream_tag	*next;
	enum upstream_kind	 kind;
	int			 video;
	int			 key;
	size_t			 len;
	uint8_t			 data[];
};

struct upstream;

/* Starts pulling url; *upp owns the thread (upstream_free). */
int	upstream_start(struct upstream **upp, const char *url);
/* Readable when tags are queued or the pull ended. */
int	upstream_fd(const struct upstream *up);
/*
 * Takes every queued tag, oldest first (the caller frees each with free());
 * *ended is set once the thread has finished and nothing more will come.
 */
struct upstream_tag *upstream_take(struct upstream *up, int *ended);
/* Asks the thread to stop; returns at once. */
void	upstream_stop(struct upstream *up);
/* Stops, joins the thread and frees everything; accepts NULL. */
void	upstream_free(struct upstream *up);

#endif
