/*
 * sipd's SIP side: the context shared by transport.c, sip.c, register.c,
 * keepalive.c, invite.c and jobs.c, and their interfaces to each other.
 * Everything runs on the loop thread; nothing here is thread-safe.
 */
#ifndef VIGIL_SIPD_SIP_H
#define VIGIL_SIPD_SIP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>

#include <osip2/osip.h>

#include "htab.h"
#include "sipd.h"

struct db_res;
struct loop;
struct transport;
struct invite;
struct absorb;

#define SIP_MAX_MSG		65535	/* bytes of one SIP message */
#define SIP_TICK_MS		50	/* libosip2's timers */
#define SIP_ABSORB_S		32	/* a final answer is resent (64*T1) */
#define SIP_NONCE_TTL		300	/* s a digest nonce stays fresh */

enum sip_tp { SIP_UDP, SIP_TCP };

/* Where a message came from or goes to. */
struct sip_peer {
	enum sip_tp		 tp;
	struct sockaddr_in	 sa;
	int			 fd;	/* TCP: the connection, else -1 */
	uint32_t		 gen;	/* TCP: the connection's generation */
};

/* The SIP side's state of a registered device (gb_dev.sip points here). */
struct sip_dev {
	struct gb_dev		 dev;
	struct sip_peer		 peer;		/* its contact: source address */
	char			 ip[INET_ADDRSTRLEN];
	int			 port;
	time_t			 expires_at;
	time_t			 keepalive_at;
	int			 dirty;		/* keepalive_at not written yet */
	char			 call_id[64];	/* of its REGISTER */
	uint32_t		 reg_cseq;	/* of its last REGISTER */
	uint32_t		 cseq;		/* of our next request to it */
	int			 fresh;		/* registered: queries pending */
};

/* sip.c's context: struct sipd.priv. */
struct sip_ctx {
	struct sipd		*sd;
	struct loop		*loop;
	osip_t			*osip;
	struct transport	*tp;
	char			 ip[INET_ADDRSTRLEN];	/* ours, in Via/Contact */
	int			 udp_port;
	int			 tcp_port;
	char			 owner_like[80];	/* "host:%": this host's */
	struct htab		 devs;		/* sip_dev by (space, device) */
	struct htab		 devs_by_id;	/* the same by device */
	struct htab		 trs;		/* transactions by branch */
	struct htab		 absorb;	/* final answers by request key */
	struct absorb		*absorb_head, *absorb_tail;	/* by age */
	osip_transaction_t	*dead;		/* to free after the batch */
	struct invite		*invites;	/* INVITEs waiting for answers */
	struct sip_dev		*fresh[8];	/* new registrations, for after
						   their 200 OK went out */
	unsigned		 nfresh;
	uint8_t			 nonce_key[32];
	time_t			 now;
	uint64_t		 drained_us;	/* the UDP socket was empty */
	time_t			 behind_logged;
	uint64_t		 rx, tx, rx_bad;	/* counters */
};

/* The context of the process (one sipd per process). */
static inline struct sip_ctx *
sip_ctx(struct sipd *sd)
{
	return sd->priv;
}

/* sip.c */
/* Creates the osip_t and its callbacks; 0 or an errno. */
int	sip_init(struct sipd *sd, struct loop *l);
void	sip_free(struct sipd *sd);
/* A message from peer: parses and feeds it to the transaction layer. */
void	sip_input(struct sipd *sd, const char *buf, size_t len,
	    const struct sip_peer *peer);
/* Timer: libosip2's timers and queued events. */
void	sip_tick(void *arg);
/* After each loop batch: frees the transactions that ended. */
void	sip_reap(void *arg);
/* Answers req (a server transaction's request) with code and optional
 * extra headers ("Name: value\r\n"...) and body. */
int	sip_respond(struct sipd *sd, osip_transaction_t *tr, int code,
	    const char *headers, const char *ctype, const char *body,
	    size_t len);
/*
 * Sends a new request to dev outside any dialog (method, extra headers,
 * body): a new Call-ID, our From with a tag, To the device. The client
 * transaction is returned in *trp (may be NULL), owned by libosip2; inst
 * becomes its your_instance.
 */
int	sip_request(struct sipd *sd, struct sip_dev *d, const char *method,
	    const char *ruri_user, const char *headers, const char *ctype,
	    const char *body, size_t len, void *inst,
	    osip_transaction_t **trp);
/* Sends a request built as text (ACK, in-dialog BYE) to peer, through a
 * client transaction unless it is an ACK. */
int	sip_send_text(struct sipd *sd, const char *text, size_t len,
	    const struct sip_peer *peer, void *inst, osip_transaction_t **trp);
/* A fresh tag, branch or Call-ID (hex digits) into out[n]. */
void	sip_random_token(char *out, size_t n);
/* Our SIP URI host part "ip:port" for the peer's transport. */
int	sip_local_port(const struct sip_ctx *c, enum sip_tp tp);

/* transport.c */
int	transport_open(struct sipd *sd, struct loop *l, struct transport **tpp);
void	transport_close(struct transport *tp);
/* Sends bytes to peer (UDP datagram, or queued on the TCP connection;
 * a TCP peer without a connection is connected to). 0 or an errno. */
int	transport_send(struct transport *tp, const struct sip_peer *peer,
	    const char *buf, size_t len);
/* Datagrams are waiting to be read (a backlog when it lasts). */
int	transport_backlog(const struct transport *tp);
/* Timer: closes idle TCP connections. */
void	transport_sweep(struct transport *tp, time_t now);
/* Counters for logs. */
void	transport_stats(const struct transport *tp, unsigned *conns);

/* dev.c: registered devices in memory */
struct sip_dev *dev_find(struct sip_ctx *c, const char *space,
	    const char *device);
/* The device registered from peer's address (and transport) with this
 * GbId: requests naming no space (sip:<domain>) are from it. */
struct sip_dev *dev_find_peer(struct sip_ctx *c, const char *device,
	    const struct sip_peer *peer);
int	dev_add(struct sip_ctx *c, struct sip_dev *d);
void	dev_del(struct sip_ctx *c, struct sip_dev *d);
/* The columns dev_from_row reads, d = devices, s = spaces. */
#define DEV_COLS	"d.id, d.tenant_id, d.group_id, d.gb_id, s.gb_id," \
			" d.auto_start, d.auto_pos, d.pos_interval," \
			" d.alarm_method"
#define DEV_NCOLS	9
/* Allocates a device from DEV_COLS at column col of row. */
struct sip_dev *dev_from_row(const struct db_res *r, unsigned row,
	    unsigned col);
void	dev_free(struct sip_dev *d);
/* Loads dev from gb_registrations when it is registered here; NULL else. */
struct sip_dev *dev_load(struct sipd *sd, const char *space,
	    const char *device, const struct sip_peer *peer);
/* Ends d's registration: devices.status off (+ device.off) when it was on,
 * registration row deleted, memory freed. When the database fails, d stays,
 * marked expired, so the keepalive sweep tries again a second later. */
void	dev_offline(struct sipd *sd, struct sip_dev *d, const char *why);

/* register.c */
void	register_handle(struct sipd *sd, osip_transaction_t *tr,
	    osip_message_t *req, const struct sip_peer *peer);
/* After the 200 OK of a new registration: catalog, subscriptions,
 * AutoStart. */
void	register_fresh(struct sipd *sd, struct sip_dev *d);
/* Before the loop: this host's unexpired registrations back in memory. */
int	register_restore(struct sipd *sd);

/* keepalive.c */
/* Timer: marks silent or expired devices off, flushes keepalive times. */
void	keepalive_sweep(void *arg);
void	keepalive_flush(void *arg);

/* invite.c */
/* Job gb.invite / gb.bye; 0 when the job is handled (finished or left
 * to a transaction callback), or an errno to finish it failed. */
int	invite_start(struct sipd *sd, uint64_t job, uint64_t stream,
	    char *err, size_t errsz);
int	invite_bye(struct sipd *sd, uint64_t stream, char *err, size_t errsz);
/* ICT callbacks. */
void	invite_answered(struct sipd *sd, osip_transaction_t *tr,
	    osip_message_t *resp);
void	invite_failed(struct sipd *sd, osip_transaction_t *tr, int code);
/* A 2xx to an INVITE without a transaction: ACKs it again. */
void	invite_reack(struct sipd *sd, osip_message_t *resp,
	    const struct sip_peer *peer);
/* A BYE from a device: its session ends; the SIP status to answer. */
int	invite_bye_received(struct sipd *sd, osip_message_t *req);
/* Timer: INVITEs without a final answer in time fail their jobs. */
void	invite_sweep(struct sipd *sd);
void	invite_free_all(struct sipd *sd);

/* jobs.c */
/* Timer: claims gb.invite, gb.bye and device.catalog jobs. */
void	jobs_poll(void *arg);
/* Finishes a job a transaction callback was holding. */
void	jobs_finish(struct sipd *sd, uint64_t job, const char *error);

#endif
