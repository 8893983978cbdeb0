/*
 * gbsim, the GB28181 device simulator: the options and the boundary
 * between its loop (gbsim.c), its media senders (gbsim_media.c) and its
 * devices' SIP side (gbsim_sip.c). One thread, one epoll loop.
 */
#ifndef VIGIL_GBSIM_H
#define VIGIL_GBSIM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define GBSIM_ID_LEN	20

struct gbsim_opts {
	struct sockaddr_in	 server;
	int			 sip_tcp;
	char			 server_id[GBSIM_ID_LEN + 1];
	char			 domain[GBSIM_ID_LEN + 1];
	char			 device_id[GBSIM_ID_LEN + 1];
	int			 count;
	const char		*password;
	int			 channels;
	int			 catalog_split;
	int			 gb2312;
	double			 keepalive;
	double			 stop_keepalive_after;	/* <0: never */
	double			 expires;
	double			 unregister_after;	/* <0: never */
	double			 alarm_after;		/* <0: never */
	double			 register_retry;
	int			 no_unregister;
	const char		*vendor;
	const char		*model;
	const char		*firmware;
	char			 local_ip[64];
	int			 quiet;
	const char		*video;
	const char		*audio;
	int			 codec;		/* 0: from the stream */
	double			 fps;
	double			 loss;		/* percent */
	int			 reorder;
	int			 ruri;		/* enum gbsim_ruri */
	double			 restart_after;	/* <0: never */
	int			 restart_new_port;
	int			 restart_keep_cseq;
};

/* The REGISTER Request-URI (--ruri): sip:<server id>@<domain> (GB28181),
 * sip:<domain>, or sip:<server ip>:<port> (RFC 3261's forms). */
enum gbsim_ruri { GBSIM_RURI_ID, GBSIM_RURI_DOMAIN, GBSIM_RURI_ADDR };

extern struct gbsim_opts gbsim_opt;

/* A file descriptor on the loop; cb runs with the epoll events. */
struct gbsim_fd {
	int	  fd;
	uint32_t  events;
	void	(*cb)(struct gbsim_fd *, uint32_t);
	void	 *arg;
};

/* Adds fd (non-blocking) to the loop; 0 or an errno. */
int	gbsim_fd_add(struct gbsim_fd *f, int fd, uint32_t events,
	    void (*cb)(struct gbsim_fd *, uint32_t), void *arg);
/* Changes the events f waits for. */
void	gbsim_fd_mod(struct gbsim_fd *f, uint32_t events);
/* Removes f from the loop and closes its fd (if any). */
void	gbsim_fd_close(struct gbsim_fd *f);
/* Monotonic seconds. */
double	gbsim_now(void);
/* Prints one event line on stdout, flushed. */
void	gbsim_event(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* Bytes waiting to go out on a stream socket. */
struct gbsim_obuf {
	uint8_t	*b;
	size_t	 off, len, cap;
};

/*
 * Queues n bytes for f's socket and writes what it can (nothing if f is
 * NULL); waits for EPOLLOUT while bytes remain. 0, or an errno (the
 * connection is dead).
 */
int	gbsim_obuf_send(struct gbsim_obuf *o, struct gbsim_fd *f,
	    const void *p, size_t n);
/* Writes queued bytes on EPOLLOUT; 0 or an errno. */
int	gbsim_obuf_flush(struct gbsim_obuf *o, struct gbsim_fd *f);
void	gbsim_obuf_free(struct gbsim_obuf *o);

struct gbsim_stream;

/* Loads --video and --audio (once); 0 or an errno. */
int	gbsim_media_load(void);
/* Writes the whole video (and audio) as PS to path; 0 or an errno. */
int	gbsim_media_dump(const char *path);
/*
 * Opens a sender of PS over RTP to `to` (UDP, or TCP connecting from
 * *local_port, RFC 4571) with SSRC ssrc and sets *local_port. Nothing is
 * sent before gbsim_stream_play(). on_end(arg, error) runs when duration
 * (seconds, <= 0: forever) has been sent (error 0) or the connection
 * failed (an errno).
 */
int	gbsim_stream_open(struct gbsim_stream **sp,
	    const struct sockaddr_in *to, int tcp, uint32_t ssrc,
	    double duration, uint16_t *local_port,
	    void (*on_end)(void *, int), void *arg);
/* Starts sending, in real time. */
void	gbsim_stream_play(struct gbsim_stream *s);
/* Stops and frees s; NULL is fine. */
void	gbsim_stream_close(struct gbsim_stream *s);
/* Sends what is due; returns the time of the next frame (or now + 1). */
double	gbsim_media_tick(double now);

/* Creates the devices and starts registering them; 0 or an errno. */
int	gbsim_sip_start(void);
/* Runs the devices' timers; returns when it wants to run again. */
double	gbsim_sip_tick(double now);
/* Starts unregistering (or just stops, with --no-unregister). */
void	gbsim_sip_stop(void);
/* Whether every device is done (unregistered or given up). */
int	gbsim_sip_done(void);

#endif
