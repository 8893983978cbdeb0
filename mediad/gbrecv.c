/*
 * GB28181 media reception: per stream one UDP socket and one TCP listener
 * (passive, one connection, RFC 4571) on the same port; SSRC filtering,
 * reordering and loss counting by rtp.c, PS demuxing by ps.c.
 *
 * UDP sockets are drained on a GB_UDP_TICK_MS timer rather than woken per
 * datagram: a 2 Mbps stream sends ~180 datagrams a second, and an
 * epoll_wait plus a recvmmsg for each was most of the loop's cost. The
 * socket buffer holds what arrives between ticks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/vtime.h"
#include "gb.h"
#include "rtp.h"

#define GBRECV_RCVBUF	(4 << 20)	/* rides out a slow loop turn */
#define GBRECV_TRIES	64		/* ports tried before giving up */

static uint32_t
gbrecv_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
gbrecv_on_rtp(void *arg, const struct rtp_pkt *pkt, unsigned lost)
{
	struct gb_stream *gs = arg;

	if (lost > 0)
		ps_demux_loss(gs->ps);
	ps_demux_feed(gs->ps, pkt->payload, pkt->len);
}

/* Settles the SSRC: packets of any other are dropped from now on. */
static int
gbrecv_lock(struct gb_stream *gs, uint32_t ssrc)
{
	int e;

	if (ssrc != gs->ssrc_num)
		log_info("gb stream %llu: device ignores y=%s, locked on SSRC"
		    " %u", (unsigned long long)gs->stream_id, gs->ssrc, ssrc);
	if ((e = rtp_recv_alloc(&gs->rtp, ssrc, 0, gbrecv_on_rtp, gs)) != 0)
		log_warnx("gb stream %llu: rtp receiver: %s",
		    (unsigned long long)gs->stream_id, strerror(e));
	return e;
}

/* Before the SSRC is settled: ours at once, another after a while. */
static int
gbrecv_peek(struct gb_stream *gs, const uint8_t *p, size_t n)
{
	uint32_t ssrc;

	if (n < 12 || (p[0] >> 6) != 2)
		return EBADMSG;
	ssrc = gbrecv_be32(p + 8);
	if (ssrc == gs->ssrc_num)
		return gbrecv_lock(gs, ssrc);
	if (ssrc != gs->foreign_ssrc) {
		gs->foreign_ssrc = ssrc;
		gs->foreign_n = 0;
	}
	if (++gs->foreign_n < GB_SSRC_LOCK_AFTER)
		return EAGAIN;
	return gbrecv_lock(gs, ssrc);
}

void
gbrecv_drain(struct gb_stream *gs)
{
	struct gb *gb = gs->md->gb;
	int n;

	for (;;) {
		for (int i = 0; i < GB_BATCH; i++) {
			gb->iov[i].iov_base = gb->dgrams + (size_t)i *
			    GB_DGRAM_MAX;
			gb->iov[i].iov_len = GB_DGRAM_MAX;
			gb->msgs[i].msg_hdr = (struct msghdr){
				.msg_iov = &gb->iov[i], .msg_iovlen = 1 };
		}
		if ((n = recvmmsg(gs->udp_ev.fd, gb->msgs, GB_BATCH,
		    MSG_DONTWAIT, NULL)) <= 0)
			return;
		gs->last_us = vtime_mono_us();
		gs->got_media = 1;
		for (int i = 0; i < n; i++) {
			const uint8_t *p = gb->iov[i].iov_base;
			size_t len = gb->msgs[i].msg_len;

			if (gs->rtp == NULL && gbrecv_peek(gs, p, len) != 0)
				continue;
			rtp_recv_packet(gs->rtp, p, len);
		}
		/* a short batch leaves nothing behind */
		if (n < GB_BATCH)
			return;
	}
}

void
gbrecv_stats(const struct gb_stream *gs, struct rtp_stats *st)
{
	const struct rtp_stats *p = gs->rtp_past, *c;

	*st = p != NULL ? *p : (struct rtp_stats){ 0 };
	if (gs->rtp == NULL)
		return;
	c = rtp_recv_stats(gs->rtp);
	st->packets += c->packets;
	st->bytes += c->bytes;
	st->lost += c->lost;
	st->reordered += c->reordered;
	st->duplicates += c->duplicates;
	st->foreign += c->foreign;
	st->malformed += c->malformed;
}

/*
 * The device's connection ended: a new one starts RFC 4571 framing and
 * the SSRC afresh, so the receiver goes (its counters are kept).
 */
static void
gbrecv_tcp_end(struct gb_stream *gs, const char *why)
{
	log_info("gb stream %llu: TCP media connection %s",
	    (unsigned long long)gs->stream_id, why);
	loop_del(gs->md->loop, &gs->tcp_ev);
	close(gs->tcp_ev.fd);
	gs->tcp_ev.fd = -1;
	if (gs->rtp == NULL)
		return;
	if (gs->rtp_past != NULL ||
	    (gs->rtp_past = calloc(1, sizeof(*gs->rtp_past))) != NULL)
		gbrecv_stats(gs, gs->rtp_past);
	rtp_recv_flush(gs->rtp);
	rtp_recv_free(gs->rtp);
	gs->rtp = NULL;
	/* a frame cut in the middle is dropped */
	ps_demux_loss(gs->ps);
}

static void
gbrecv_on_tcp(void *arg, uint32_t events)
{
	struct gb_stream *gs = arg;
	uint8_t *buf = gs->md->gb->tcpbuf;
	ssize_t r;

	for (int i = 0; i < 4; i++) {
		r = recv(gs->tcp_ev.fd, buf, GB_TCP_READ, MSG_DONTWAIT);
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			gbrecv_tcp_end(gs, r == 0 ? "closed" : "failed");
			return;
		}
		gs->last_us = vtime_mono_us();
		gs->got_media = 1;
		/* the connection is the device's: lock on what it sends */
		if (gs->rtp == NULL && gbrecv_lock(gs, r >= 14 ?
		    gbrecv_be32(buf + 10) : gs->ssrc_num) != 0) {
			gbrecv_tcp_end(gs, "dropped");
			return;
		}
		if (rtp_recv_stream(gs->rtp, buf, (size_t)r) != 0) {
			gbrecv_tcp_end(gs, "not RFC 4571 framed, dropped");
			return;
		}
		if (r < GB_TCP_READ)
			return;
	}
}

static void
gbrecv_on_accept(void *arg, uint32_t events)
{
	struct gb_stream *gs = arg;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char addr[INET_ADDRSTRLEN] = "?";
	int fd;

	while ((fd = accept4(gs->lis_ev.fd, (struct sockaddr *)&sa, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
		if (gs->tcp_ev.fd != -1) {
			log_info("gb stream %llu: second TCP media connection"
			    " from %s refused", (unsigned long long)
			    gs->stream_id, addr);
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ GBRECV_RCVBUF },
		    sizeof(int));
		gs->tcp_ev = (struct loop_ev){ .fd = fd, .events = EPOLLIN,
		    .cb = gbrecv_on_tcp, .arg = gs };
		if (loop_add(gs->md->loop, &gs->tcp_ev) != 0) {
			close(fd);
			gs->tcp_ev.fd = -1;
			continue;
		}
		log_info("gb stream %llu: TCP media from %s:%u",
		    (unsigned long long)gs->stream_id, addr,
		    (unsigned)ntohs(sa.sin_port));
	}
}

/* One UDP socket and one TCP listener on port; 0 or an errno. */
static int
gbrecv_bind(struct gb_stream *gs, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_ANY) };
	int u, l, e, one = 1, size = GBRECV_RCVBUF;

	if ((u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return errno;
	if ((l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		e = errno;
		close(u);
		return e;
	}
	/* FORCE passes rmem_max when allowed (root); else the plain one */
	if (setsockopt(u, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(u, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(u, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(l, 4) == -1) {
		e = errno;
		close(u);
		close(l);
		return e;
	}
	/* not in the loop: drained by gbrecv_drain */
	gs->udp_ev = (struct loop_ev){ .fd = u };
	gs->lis_ev = (struct loop_ev){ .fd = l, .events = EPOLLIN,
	    .cb = gbrecv_on_accept, .arg = gs };
	return 0;
}

int
gbrecv_open(struct gb_stream *gs)
{
	struct gb *gb = gs->md->gb;
	int e = ENOSPC, port;

	gs->udp_ev.fd = gs->lis_ev.fd = gs->tcp_ev.fd = -1;
	if ((e = ps_demux_alloc(&gs->ps, gbout_frame, gs)) != 0)
		return e;
	for (int i = 0; i < GBRECV_TRIES; i++) {
		if ((e = gballoc_port_take(&gb->ports, &port)) != 0)
			break;
		if ((e = gbrecv_bind(gs, port)) == 0)
			break;
		/* another program holds it: give it back, try the next */
		gballoc_port_put(&gb->ports, port);
		if (e != EADDRINUSE)
			break;
	}
	if (e != 0)
		goto out;
	gs->port = port;
	if ((e = loop_add(gs->md->loop, &gs->lis_ev)) != 0) {
		gbrecv_close(gs);
		return e;
	}
	return 0;
out:
	ps_demux_free(gs->ps);
	gs->ps = NULL;
	return e;
}

void
gbrecv_close(struct gb_stream *gs)
{
	struct loop *l = gs->md->loop;
	struct loop_ev *evs[] = { &gs->udp_ev, &gs->lis_ev, &gs->tcp_ev };

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i]->fd != -1) {
			if (evs[i] != &gs->udp_ev)
				loop_del(l, evs[i]);
			close(evs[i]->fd);
			evs[i]->fd = -1;
		}
	if (gs->port != 0)
		gballoc_port_put(&gs->md->gb->ports, gs->port);
	gs->port = 0;
	rtp_recv_free(gs->rtp);
	gs->rtp = NULL;
	free(gs->rtp_past);
	gs->rtp_past = NULL;
	ps_demux_free(gs->ps);
	gs->ps = NULL;
}
