/*
 * mediad's worker: the shared context of its concerns (sessions and
 * viewers of HTTP-FLV, jobs, reconciliation with the edge, metering,
 * GB28181 ingest). Everything here runs on the loop thread.
 */
#ifndef VIGIL_MEDIAD_H
#define VIGIL_MEDIAD_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "loop.h"

struct vigil_conf;
struct db;
struct gb;
struct job;
struct upstream;
struct upstream_tag;

#define MEDIAD_APP_MAX		64
#define MEDIAD_IDLE_CLOSE_US	(5ULL * 1000000)	/* upstream linger */
#define MEDIAD_VIEWER_MAX_BUF	(4u << 20)	/* then a viewer is dropped */
#define MEDIAD_REQUEST_TIMEOUT_S	10	/* to send a whole request */

/* The internal secret: nginx proves with it that it checked the auth_key. */
extern char *mediad_secret;
#define MEDIAD_GOP_MAX		(16u << 20)

enum viewer_state { VIEWER_READING, VIEWER_WAITING, VIEWER_PLAYING,
    VIEWER_DEAD };

struct viewer {
	struct viewer		*next;		/* in its session */
	struct viewer		*dead_next;	/* in the graveyard */
	struct mediad		*md;
	struct session		*s;
	struct loop_ev		 ev;
	enum viewer_state	 state;
	struct loop_ev		 timer;		/* request deadline; fd -1: none */
	char			 req[4096];
	size_t			 reqlen;
	struct buf		 out;
	size_t			 off;		/* sent part of out */
	char			 addr[64];
	uint64_t		 row;		/* viewer_sessions id, 0: none */
	uint64_t		 bytes;
	uint64_t		 bytes_saved;
};

struct session {
	struct session		*next;
	struct mediad		*md;
	uint64_t		 stream_id;
	uint64_t		 tenant_id;
	char			 app[MEDIAD_APP_MAX + 1];
	struct upstream		*up;		/* NULL: a local feed (gb.c) */
	struct loop_ev		 ev;
	struct buf		 vseq, aseq;	/* sequence header tags */
	struct buf		 gop;		/* tags since the last keyframe */
	int			 ready;		/* gop starts with a keyframe */
	int			 closing;	/* upstream asked to stop */
	struct viewer		*viewers;
	unsigned		 nviewers;
	uint64_t		 idle_since_us;
};

/* Bytes not yet written to stream_usage, per stream. */
struct usage_entry {
	struct usage_entry	*next;
	uint64_t		 stream_id;
	uint64_t		 tenant_id;
	uint64_t		 last_bytes_in;	/* the edge's counters */
	uint64_t		 last_bytes_out;
	uint64_t		 bytes_in;
	/* bytes_in is mediad's own count (GB28181 RTP), not the edge's */
	int			 own_bytes_in;
	/* the edge's RTMP egress, mediad's own pull for FLV included */
	uint64_t		 bytes_out_rtmp;
	uint64_t		 bytes_out_flv;
	unsigned		 peak_viewers;
};

struct mediad {
	struct vigil_conf	*conf;
	struct db		*db;
	struct loop		*loop;
	struct loop_ev		 listen_ev;
	struct loop_ev		 sig_ev;
	char			 owner[128];	/* hostname:pid, for leases */
	struct session		*sessions;
	struct session		*dead_sessions;
	struct viewer		*dead_viewers;
	struct usage_entry	*usage;
	struct gb		*gb;		/* GB28181 ingest */
};

/* session.c */
/* Attaches a viewer that asked for app/stream_id; a session is created on
 * demand. 0, ENOENT (unknown or offline stream) or an errno. */
int	session_join(struct mediad *md, struct viewer *v, const char *app,
	    uint64_t stream_id);
/* Detaches a viewer (it is closing). */
void	session_leave(struct viewer *v);
/* Ends every session of a stream now (forbid, stop). */
void	session_drop(struct mediad *md, uint64_t stream_id);
/* Timer: stops upstreams without viewers for a while. */
void	session_sweep(void *arg);
/* Stops every session (worker exit). */
void	session_stop_all(struct mediad *md);
/*
 * A session fed by the loop itself rather than pulled from the edge (an
 * H.265 GB28181 stream): viewers of app/stream_id join it. 0 or ENOMEM.
 */
int	session_local_open(struct mediad *md, struct session **sp,
	    const char *app, uint64_t stream_id, uint64_t tenant);
/* Feeds one complete FLV tag; kind is an enum upstream_kind (a sequence
 * header or a media tag). */
void	session_local_feed(struct session *s, int kind,
	    int video, int key, const void *tag, size_t len);
/* Ends a local session and its viewers. */
void	session_local_close(struct session *s);
/* Frees closed sessions and viewers (after each loop batch). */
void	session_reap(void *arg);

/* viewer.c */
/* The listening socket's handler: accepts HTTP-FLV viewers. */
void	viewer_accept(void *arg, uint32_t events);
/* Queues bytes for v and writes what the socket takes; drops a viewer
 * over its buffer limit. */
void	viewer_send(struct viewer *v, const void *p, size_t n);
/* Starts playback: HTTP header, FLV header, sequence headers, GOP. */
void	viewer_start(struct viewer *v);
/* Ends v (status: an HTTP error still to send, 0: just close). */
void	viewer_close(struct viewer *v, int status);

/* request.c */
/* Parses "GET /<App>/<StreamId>.flv[?...] HTTP/1.x"; 0, EBADMSG (400),
 * ENOENT (404), EOPNOTSUPP (405). */
int	request_parse(const char *req, size_t n, char *app, size_t appsz,
	    uint64_t *stream_id);
/* Copies the value of header name (case-insensitive) into out; 0/ENOENT. */
int	request_header(const char *req, size_t n, const char *name,
	    char *out, size_t outsz);

/* edge.c */
/* Drops the publisher of app/name through the edge's control API. */
int	edge_drop_publisher(const struct vigil_conf *c, const char *app,
	    const char *name);
/* Fetches the edge's /stat XML into b. */
int	edge_stat(const struct vigil_conf *c, struct buf *b);

/* jobs.c */
/* Timer: claims and runs stream.forbid and stream.stop jobs. */
void	jobs_poll(void *arg);

/* reconcile.c */
/* Timer: fixes stream statuses against the edge's publishers, feeds bytes
 * in to metering. */
void	reconcile_run(void *arg);

/* usage.c */
struct usage_entry *usage_get(struct mediad *md, uint64_t stream_id,
	    uint64_t tenant_id);
/* Timer: upserts the pending bytes into stream_usage buckets. */
void	usage_flush(void *arg);
void	usage_viewer_open(struct viewer *v);
void	usage_viewer_close(struct viewer *v);
/* Closes viewer_sessions rows a killed worker left open. */
void	usage_viewer_orphans(struct mediad *md);

/* gb.c */
/* Sets up GB28181 ingest (ports, buffers) and ends sessions a killed
 * worker left. 0 or an errno. */
int	gb_init(struct mediad *md);
/* stream.start of a gb28181 stream: receiver, gb_sessions, gb.invite. */
int	gb_job_start(struct mediad *md, const struct job *j);
/* stream.stop/forbid of a gb28181 stream: closes it, gb.bye. */
int	gb_job_stop(struct mediad *md, const struct job *j);
/* Closes the session of a deleted stream, if any. */
void	gb_drop(struct mediad *md, uint64_t stream_id);
/* Timer: metering, the no-media timeout, relay restarts, LazyPull idle. */
void	gb_sweep(void *arg);
/* The edge's RTMP clients of a stream (reconcile.c reads its stat). */
void	gb_edge_clients(struct mediad *md, uint64_t stream_id,
	    unsigned clients);
/* Closes every session (worker exit); AutoStart ones are retried. */
void	gb_stop_all(struct mediad *md);

/* worker.c */
int	worker_run(struct vigil_conf *c, int listen_fd);

#endif
