/*
 * sipd's SIP transport: one UDP socket and one TCP listener on the group's
 * GbIp and ports, non-blocking on the loop. TCP connections are framed by
 * Content-Length; requests to a device registered over TCP go over its
 * connection (or a new one to its address when it closed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/vtime.h"
#include "mediad/loop.h"
#include "sip.h"

#define TP_UDP_BATCH	256		/* datagrams per wakeup */
#define TP_OUT_MAX	(1u << 20)	/* a slower peer is dropped */
#define TP_RCVBUF	(32 << 20)	/* bytes; the kernel doubles it */

struct tconn {
	struct loop_ev		 ev;
	struct transport	*tp;
	struct tconn		*dead_next;
	uint32_t		 gen;
	struct sockaddr_in	 sa;
	char			*in;
	size_t			 inlen;
	char			*out;
	size_t			 outlen, outoff, outcap;
	time_t			 last;
	int			 connecting;
	int			 dead;
};

struct transport {
	struct sipd		*sd;
	struct loop		*loop;
	struct loop_ev		 udp_ev;
	struct loop_ev		 tcp_ev;
	struct tconn		**conns;	/* by fd */
	size_t			 nslots;
	unsigned		 nconns;
	struct tconn		*dead;
	uint32_t		 gen;
	int			 idle_s;
	char			 buf[SIP_MAX_MSG + 1];
};

static void	transport_conn_event(void *arg, uint32_t events);

static int
transport_bind(int type, const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	int fd, one = 1, rcv = TP_RCVBUF;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		log_warnx("sip bind address %s is not an IPv4 address", ip);
		return -1;
	}
	if ((fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* room for a registration storm while the loop is in the database;
	 * root may go past net.core.rmem_max */
	if (type == SOCK_DGRAM && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE,
	    &rcv, sizeof(rcv)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    (type == SOCK_STREAM && listen(fd, 1024) == -1)) {
		log_warn("sip %s %s:%d", type == SOCK_DGRAM ? "udp" : "tcp",
		    ip, port);
		close(fd);
		return -1;
	}
	return fd;
}

static void
transport_udp_read(void *arg, uint32_t events)
{
	struct transport *tp = arg;
	struct sip_peer peer = { .tp = SIP_UDP, .fd = -1 };

	for (int i = 0; i < TP_UDP_BATCH; i++) {
		socklen_t sl = sizeof(peer.sa);
		ssize_t n = recvfrom(tp->udp_ev.fd, tp->buf, SIP_MAX_MSG, 0,
		    (struct sockaddr *)&peer.sa, &sl);

		if (n == -1) {
			if (errno == EAGAIN)
				sip_ctx(tp->sd)->drained_us = vtime_mono_us();
			else if (errno != EINTR)
				log_warn("sip udp recvfrom");
			return;
		}
		/* CRLF keep-alives (RFC 5626) and runts carry nothing */
		if (n < 16 || peer.sa.sin_family != AF_INET)
			continue;
		tp->buf[n] = '\0';
		sip_input(tp->sd, tp->buf, (size_t)n, &peer);
	}
}

/* Closes c now; the memory goes at the next reap (a caller may hold it). */
static void
transport_conn_close(struct tconn *c, const char *why)
{
	struct transport *tp = c->tp;

	if (c->dead)
		return;
	if (why != NULL)
		log_debug("sip tcp %s:%d closed: %s",
		    inet_ntoa(c->sa.sin_addr), ntohs(c->sa.sin_port), why);
	loop_del(tp->loop, &c->ev);
	close(c->ev.fd);
	tp->conns[c->ev.fd] = NULL;
	tp->nconns--;
	c->dead = 1;
	c->dead_next = tp->dead;
	tp->dead = c;
}

static int
transport_slot(struct transport *tp, int fd)
{
	if ((size_t)fd >= tp->nslots) {
		size_t n = tp->nslots ? tp->nslots : 1024;
		struct tconn **p;

		while (n <= (size_t)fd)
			n *= 2;
		if ((p = realloc(tp->conns, n * sizeof(*p))) == NULL)
			return ENOMEM;
		memset(p + tp->nslots, 0, (n - tp->nslots) * sizeof(*p));
		tp->conns = p;
		tp->nslots = n;
	}
	return 0;
}

static struct tconn *
transport_conn_new(struct transport *tp, int fd, const struct sockaddr_in *sa,
    int connecting)
{
	struct tconn *c = NULL;

	if (transport_slot(tp, fd) != 0 ||
	    (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = malloc(SIP_MAX_MSG + 1)) == NULL) {
		if (c != NULL)
			free(c);
		close(fd);
		return NULL;
	}
	c->tp = tp;
	c->sa = *sa;
	c->gen = ++tp->gen ? tp->gen : ++tp->gen;
	c->last = sip_ctx(tp->sd)->now;
	c->connecting = connecting;
	c->ev = (struct loop_ev){ .fd = fd, .events = EPOLLIN |
	    (connecting ? EPOLLOUT : 0), .cb = transport_conn_event, .arg = c };
	if (loop_add(tp->loop, &c->ev) != 0) {
		log_warn("sip tcp");
		free(c->in);
		free(c);
		close(fd);
		return NULL;
	}
	tp->conns[fd] = c;
	tp->nconns++;
	return c;
}

static void
transport_accept(void *arg, uint32_t events)
{
	struct transport *tp = arg;

	for (;;) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int fd, one = 1;

		fd = accept4(tp->tcp_ev.fd, (struct sockaddr *)&sa, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("sip tcp accept");
			return;
		}
		if (sa.sin_family != AF_INET) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		transport_conn_new(tp, fd, &sa, 0);
	}
}

/* Length of the message at the start of p[n]: 0 when incomplete, -1 when
 * it cannot be framed. */
static ssize_t
transport_frame(const char *p, size_t n)
{
	const char *end = memmem(p, n, "\r\n\r\n", 4), *h;
	size_t hlen;
	long cl = 0;

	if (end == NULL)
		return n > SIP_MAX_MSG ? -1 : 0;
	hlen = (size_t)(end - p) + 4;
	for (h = p; h < end; ) {
		const char *nl = memchr(h, '\n', (size_t)(end - h)), *v = NULL;

		if (strncasecmp(h, "Content-Length", 14) == 0)
			v = h + 14;
		else if ((*h == 'l' || *h == 'L') && (h[1] == ':' ||
		    h[1] == ' ' || h[1] == '\t'))
			v = h + 1;
		while (v != NULL && (*v == ' ' || *v == '\t'))
			v++;
		if (v != NULL && *v == ':') {
			cl = strtol(v + 1, NULL, 10);
			break;
		}
		if (nl == NULL)
			break;
		h = nl + 1;
	}
	if (cl < 0 || hlen + (size_t)cl > SIP_MAX_MSG)
		return -1;
	return hlen + (size_t)cl <= n ? (ssize_t)(hlen + (size_t)cl) : 0;
}

static void
transport_conn_read(struct tconn *c)
{
	struct transport *tp = c->tp;
	struct sip_peer peer = { .tp = SIP_TCP, .sa = c->sa,
	    .fd = c->ev.fd, .gen = c->gen };
	ssize_t n;

	for (;;) {
		n = read(c->ev.fd, c->in + c->inlen, SIP_MAX_MSG - c->inlen);
		if (n == 0) {
			transport_conn_close(c, "end of stream");
			return;
		}
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				transport_conn_close(c, strerror(errno));
			return;
		}
		c->inlen += (size_t)n;
		c->last = sip_ctx(tp->sd)->now;
		for (;;) {
			size_t skip = 0;
			ssize_t m;

			while (skip < c->inlen && (c->in[skip] == '\r' ||
			    c->in[skip] == '\n'))
				skip++;
			if (skip > 0) {
				memmove(c->in, c->in + skip, c->inlen - skip);
				c->inlen -= skip;
			}
			if ((m = transport_frame(c->in, c->inlen)) == -1) {
				transport_conn_close(c, "unframed message");
				return;
			}
			if (m == 0)
				break;
			/* the parser wants a terminated buffer */
			{
				char keep = c->in[m];

				c->in[m] = '\0';
				sip_input(tp->sd, c->in, (size_t)m, &peer);
				c->in[m] = keep;
			}
			if (c->dead)
				return;
			memmove(c->in, c->in + m, c->inlen - (size_t)m);
			c->inlen -= (size_t)m;
		}
		if (c->inlen == SIP_MAX_MSG) {
			transport_conn_close(c, "message too long");
			return;
		}
	}
}

static void
transport_conn_flush(struct tconn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->ev.fd, c->out + c->outoff,
		    c->outlen - c->outoff);

		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			transport_conn_close(c, strerror(errno));
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	loop_mod(c->tp->loop, &c->ev, EPOLLIN | (c->outlen ? EPOLLOUT : 0));
}

static void
transport_conn_event(void *arg, uint32_t events)
{
	struct tconn *c = arg;

	if (c->dead)
		return;
	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t sl = sizeof(err);

		getsockopt(c->ev.fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err != 0) {
			transport_conn_close(c, strerror(err));
			return;
		}
		c->connecting = 0;
	}
	if (events & EPOLLOUT)
		transport_conn_flush(c);
	if (!c->dead && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		transport_conn_read(c);
}

static struct tconn *
transport_connect(struct transport *tp, const struct sockaddr_in *sa)
{
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == -1 &&
	    errno != EINPROGRESS) {
		log_warn("sip tcp connect %s:%d", inet_ntoa(sa->sin_addr),
		    ntohs(sa->sin_port));
		close(fd);
		return NULL;
	}
	return transport_conn_new(tp, fd, sa, 1);
}

int
transport_send(struct transport *tp, const struct sip_peer *peer,
    const char *buf, size_t len)
{
	struct tconn *c = NULL;

	sip_ctx(tp->sd)->tx++;
	if (peer->tp == SIP_UDP) {
		if (sendto(tp->udp_ev.fd, buf, len, 0,
		    (const struct sockaddr *)&peer->sa, sizeof(peer->sa)) ==
		    -1 && errno != EAGAIN) {
			log_warn("sip udp sendto %s:%d",
			    inet_ntoa(peer->sa.sin_addr),
			    ntohs(peer->sa.sin_port));
			return errno;
		}
		return 0;
	}
	if (peer->fd >= 0 && (size_t)peer->fd < tp->nslots)
		c = tp->conns[peer->fd];
	/* the same connection, or one to the same address */
	if (c != NULL && (peer->gen ? c->gen != peer->gen :
	    c->sa.sin_addr.s_addr != peer->sa.sin_addr.s_addr ||
	    c->sa.sin_port != peer->sa.sin_port))
		c = NULL;
	if (c == NULL && (c = transport_connect(tp, &peer->sa)) == NULL)
		return ECONNREFUSED;
	if (c->outlen + len > TP_OUT_MAX) {
		transport_conn_close(c, "output backlog");
		return ENOBUFS;
	}
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		char *p;

		while (cap < c->outlen + len)
			cap *= 2;
		if ((p = realloc(c->out, cap)) == NULL)
			return ENOMEM;
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
	if (!c->connecting)
		transport_conn_flush(c);
	return 0;
}

void
transport_sweep(struct transport *tp, time_t now)
{
	struct tconn *c;

	for (size_t i = 0; i < tp->nslots; i++)
		if ((c = tp->conns[i]) != NULL && now - c->last > tp->idle_s)
			transport_conn_close(c, "idle");
	while ((c = tp->dead) != NULL) {
		tp->dead = c->dead_next;
		free(c->in);
		free(c->out);
		free(c);
	}
}

int
transport_backlog(const struct transport *tp)
{
	int n = 0;

	/* the size of the next datagram waiting, 0 when none */
	return ioctl(tp->udp_ev.fd, FIONREAD, &n) == 0 && n > 0;
}

void
transport_stats(const struct transport *tp, unsigned *conns)
{
	*conns = tp->nconns;
}

int
transport_open(struct sipd *sd, struct loop *l, struct transport **tpp)
{
	const struct vigil_conf *cf = sd->conf;
	const char *ip = *cf->sip_bind ? cf->sip_bind : cf->gb_ip;
	struct transport *tp;

	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return ENOMEM;
	tp->sd = sd;
	tp->loop = l;
	/* a TCP device keeps its connection busy with keepalives */
	tp->idle_s = cf->keepalive_interval * (cf->keepalive_misses + 1) + 30;
	tp->udp_ev = (struct loop_ev){ .fd = transport_bind(SOCK_DGRAM, ip,
	    cf->gb_udp_port), .events = EPOLLIN, .cb = transport_udp_read,
	    .arg = tp };
	tp->tcp_ev = (struct loop_ev){ .fd = transport_bind(SOCK_STREAM, ip,
	    cf->gb_tcp_port), .events = EPOLLIN, .cb = transport_accept,
	    .arg = tp };
	if (tp->udp_ev.fd == -1 || tp->tcp_ev.fd == -1 ||
	    loop_add(l, &tp->udp_ev) != 0 || loop_add(l, &tp->tcp_ev) != 0) {
		transport_close(tp);
		return EADDRNOTAVAIL;
	}
	log_info("sip on %s udp %d tcp %d", ip, cf->gb_udp_port,
	    cf->gb_tcp_port);
	*tpp = tp;
	return 0;
}

void
transport_close(struct transport *tp)
{
	if (tp == NULL)
		return;
	for (size_t i = 0; i < tp->nslots; i++)
		if (tp->conns[i] != NULL)
			transport_conn_close(tp->conns[i], NULL);
	transport_sweep(tp, 0);
	if (tp->udp_ev.fd > 0)
		close(tp->udp_ev.fd);
	if (tp->tcp_ev.fd > 0)
		close(tp->tcp_ev.fd);
	free(tp->conns);
	free(tp);
}
