/*
 * GB28181 ingest in mediad: one gb_stream per media session this worker
 * receives (gb.c: jobs, lifecycle, statuses; gbrecv.c: RTP over UDP and
 * TCP; gbout.c: frames to the edge, HTTP-FLV and HLS). Loop thread only.
 */
#ifndef VIGIL_MEDIAD_GB_H
#define VIGIL_MEDIAD_GB_H

#include <stdint.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "gballoc.h"
#include "loop.h"
#include "mediad.h"
#include "ps.h"
#include "tsmap.h"

struct relay;
struct rtp_recv;
struct rtp_stats;
struct transcode;

#define GB_BATCH		16		/* datagrams per recvmmsg */
#define GB_UDP_TICK_MS		20		/* UDP sockets drained */
#define GB_DGRAM_MAX		65536
#define GB_TCP_READ		65536
/* packets of one other SSRC, none of ours, before locking on it */
#define GB_SSRC_LOCK_AFTER	25
/* after the first keyframe, how long video waits to learn of audio */
#define GB_AUDIO_WAIT_MS	1000
#define GB_HOLD_MAX		(4u << 20)

/* A frame kept until the outputs start (audio known or waited for). */
struct gb_held {
	struct gb_held		*next;
	int			 video, key;
	int64_t			 pts, dts;
	size_t			 len;
	uint8_t			 data[];
};

struct gb_stream {
	struct gb_stream	*next;
	struct mediad		*md;
	uint64_t		 stream_id, tenant_id, group_id, device_id;
	char			 app[MEDIAD_APP_MAX + 1];
	char			*token;		/* push token, for the relay */
	char			 ssrc[GBALLOC_SSRC_LEN];
	uint32_t		 ssrc_num;
	int			 port;
	int			 tcp;		/* asked of the device */
	unsigned		 retry;		/* of the job that started it */
	uint64_t		 started_us, last_us;	/* last packet */
	int			 got_media;
	/* LazyPull: stopped lazy_idle s after its last viewer */
	int			 lazy;
	uint64_t		 viewer_us;	/* last seen with viewers */
	unsigned		 edge_clients;	/* RTMP, publisher included */
	/* receiving (gbrecv.c) */
	struct loop_ev		 udp_ev, lis_ev, tcp_ev; /* fd -1: none */
	struct rtp_recv		*rtp;		/* once the SSRC is settled */
	struct rtp_stats	*rtp_past;	/* of earlier TCP connections */
	uint32_t		 foreign_ssrc;
	unsigned		 foreign_n;
	struct ps_demux		*ps;
	uint64_t		 bytes_metered;
	/* frames (gbout.c) */
	struct tsmap		 ts;
	int64_t			 last_ms;
	enum ps_codec		 vcodec, acodec;
	unsigned		 mixed_logged;	/* a bad stream warns once */
	struct buf		 vconfig;	/* avcC or hvcC */
	struct buf		 vsets;		/* parameter sets, Annex B */
	unsigned		 width, height;
	int			 started;	/* outputs running */
	int64_t			 first_key_ms;
	struct gb_held		*held, **held_tail;
	size_t			 held_bytes;
	uint8_t			 asc[2];	/* AudioSpecificConfig */
	unsigned		 arate, achannels;
	struct transcode	*tc;
	struct loop_ev		 tc_ev;
	struct relay		*relay;		/* H.264: edge; H.265: HLS */
	uint64_t		 relay_retry_us;
	unsigned		 relay_fails;
	struct session		*flv;		/* H.265: local HTTP-FLV */
	int64_t			 flv_origin;
	int64_t			 flv_last[2];
	uint64_t		 relay_since_us;
	int			 relay_audio;	/* has an AAC track */
	struct buf		 tag;		/* scratch FLV tag */
	uint8_t			*lp;		/* scratch length-prefixed */
	size_t			 lpcap;
};

/* Dead relays finishing in their threads, freed once done. */
struct gb_grave {
	struct gb_grave		*next;
	struct relay		*relay;
};

struct gb {
	struct gballoc_ports	 ports;
	unsigned		 serial;
	struct gb_stream	*streams;
	struct gb_grave		*graves;
	char			 host[64];	/* owner prefix "host:" */
	unsigned		 sweeps;	/* gb_sweep calls, for the rarer work */
	/* receive buffers shared by every stream (one loop thread) */
	struct mmsghdr		 msgs[GB_BATCH];
	struct iovec		 iov[GB_BATCH];
	uint8_t			*dgrams;
	uint8_t			*tcpbuf;
};

/* gbrecv.c */
/* Binds the UDP socket and TCP listener of gs on a free port. */
int	gbrecv_open(struct gb_stream *gs);
/* Closes sockets, RTP and PS state of gs. */
void	gbrecv_close(struct gb_stream *gs);
/* Reads every datagram waiting on the UDP socket of gs. */
void	gbrecv_drain(struct gb_stream *gs);
/* The RTP counters of gs so far (all its TCP connections). */
void	gbrecv_stats(const struct gb_stream *gs, struct rtp_stats *st);

/* gbout.c */
/* Handles one demuxed frame (the ps_demux callback). */
void	gbout_frame(void *arg, const struct ps_frame *f);
/* Relay checks of the 1 s timer: restarts, statuses. */
void	gbout_tick(struct gb_stream *gs, uint64_t now);
/* Stops every output of gs (relay to the graveyard, FLV session). */
void	gbout_close(struct gb_stream *gs);
/* Sets a stream on or off with its callback event; 1 when it changed. */
int	gb_status(struct mediad *md, uint64_t stream_id, uint64_t group,
	    int on);
/* Puts a relay in the graveyard (freed when its thread is done). */
void	gb_bury(struct mediad *md, struct relay *r);

#endif
