/*
 * HTTP-FLV viewers on mediad's unix socket: the request, the reply, and
 * non-blocking writes with a per-viewer buffer limit, so a slow viewer is
 * dropped and never holds up the others.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/secret.h"
#include "flv.h"
#include "mediad.h"

static const struct {
	int		 status;
	const char	*line;
} viewer_errors[] = {
	{ 400, "400 Bad Request" },
	{ 403, "403 Forbidden" },
	{ 404, "404 Not Found" },
	{ 405, "405 Method Not Allowed" },
	{ 408, "408 Request Timeout" },
	{ 503, "503 Service Unavailable" },
};

static void viewer_on_event(void *arg, uint32_t events);

/* The request is in, or the viewer gone: its deadline no longer runs. */
static void
viewer_timer_stop(struct viewer *v)
{
	if (v->timer.fd == -1)
		return;
	loop_del(v->md->loop, &v->timer);
	close(v->timer.fd);
	v->timer.fd = -1;
}

/* A request still without its end after MEDIAD_REQUEST_TIMEOUT_S. */
static void
viewer_on_timeout(void *arg, uint32_t events)
{
	struct viewer *v = arg;

	(void)events;
	if (v->state != VIEWER_READING)
		return;
	log_info("viewer %s: no whole request in %d s: closed", v->addr,
	    MEDIAD_REQUEST_TIMEOUT_S);
	viewer_close(v, 408);
}

/* Arms the deadline of a new connection's request; 0 or an errno. */
static int
viewer_timer_start(struct viewer *v)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = MEDIAD_REQUEST_TIMEOUT_S }
	};
	int error;

	v->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC);
	if (v->timer.fd == -1)
		return errno;
	v->timer.events = EPOLLIN;
	v->timer.cb = viewer_on_timeout;
	v->timer.arg = v;
	if (timerfd_settime(v->timer.fd, 0, &its, NULL) == -1) {
		error = errno;
		goto fail;
	}
	if ((error = loop_add(v->md->loop, &v->timer)) != 0)
		goto fail;
	return 0;
fail:
	close(v->timer.fd);
	v->timer.fd = -1;
	return error;
}

static void
viewer_flush(struct viewer *v)
{
	while (v->off < v->out.len) {
		ssize_t w = send(v->ev.fd, v->out.p + v->off,
		    v->out.len - v->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			viewer_close(v, 0);
			return;
		}
		v->off += (size_t)w;
		if (v->state == VIEWER_PLAYING)
			v->bytes += (uint64_t)w;
	}
	if (v->off == v->out.len) {
		buf_reset(&v->out);
		v->off = 0;
	} else if (v->off > (1u << 16)) {
		memmove(v->out.p, v->out.p + v->off, v->out.len - v->off);
		v->out.len -= v->off;
		v->off = 0;
	}
	loop_mod(v->md->loop, &v->ev, EPOLLIN | EPOLLRDHUP |
	    (v->off < v->out.len ? EPOLLOUT : 0));
}

void
viewer_send(struct viewer *v, const void *p, size_t n)
{
	if (v->state == VIEWER_DEAD)
		return;
	if (v->out.len - v->off + n > MEDIAD_VIEWER_MAX_BUF) {
		log_info("viewer %s of %llu too slow: dropped", v->addr,
		    v->s ? (unsigned long long)v->s->stream_id : 0ULL);
		viewer_close(v, 0);
		return;
	}
	if (buf_add(&v->out, p, n) != 0) {
		viewer_close(v, 0);
		return;
	}
	viewer_flush(v);
}

void
viewer_start(struct viewer *v)
{
	static const char hdr[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: video/x-flv\r\n"
	    "Cache-Control: no-cache\r\n"
	    "Connection: close\r\n\r\n";
	struct session *s = v->s;
	uint8_t fh[FLV_HEADER_LEN];

	flv_header(fh, s->aseq.len > 0, 1);
	v->state = VIEWER_PLAYING;
	usage_viewer_open(v);
	/* everything at once: the viewer decodes from the cached keyframe */
	if (buf_add(&v->out, hdr, sizeof(hdr) - 1) ||
	    buf_add(&v->out, fh, sizeof(fh)) ||
	    buf_add(&v->out, s->vseq.p, s->vseq.len) ||
	    buf_add(&v->out, s->aseq.p, s->aseq.len) ||
	    buf_add(&v->out, s->gop.p, s->gop.len)) {
		viewer_close(v, 0);
		return;
	}
	v->bytes -= sizeof(hdr) - 1;	/* count media bytes only */
	viewer_flush(v);
}

void
viewer_close(struct viewer *v, int status)
{
	struct mediad *md = v->md;

	if (v->state == VIEWER_DEAD)
		return;
	if (status != 0)
		for (size_t i = 0; i < sizeof(viewer_errors) /
		    sizeof(viewer_errors[0]); i++)
			if (viewer_errors[i].status == status) {
				char r[160];
				int n = snprintf(r, sizeof(r), "HTTP/1.1 %s\r\n"
				    "Content-Length: 0\r\nConnection: close"
				    "\r\n\r\n", viewer_errors[i].line);

				(void)!send(v->ev.fd, r, (size_t)n,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
			}
	viewer_timer_stop(v);
	if (v->row != 0)
		usage_viewer_close(v);
	session_leave(v);
	v->state = VIEWER_DEAD;
	loop_del(md->loop, &v->ev);
	close(v->ev.fd);
	v->dead_next = md->dead_viewers;
	md->dead_viewers = v;
}

static void
viewer_request(struct viewer *v)
{
	static const struct {
		int	err;
		int	status;
	} map[] = {
		{ EBADMSG, 400 }, { ENOENT, 404 }, { EOPNOTSUPP, 405 },
	};
	char app[MEDIAD_APP_MAX + 1], addr[64], secret[256];
	uint64_t id;
	int e, status = 503;

	viewer_timer_stop(v);
	/*
	 * Only nginx, after its auth_key check, has the secret; any other
	 * local client of the socket is refused, and so is its X-Real-IP.
	 */
	if (request_header(v->req, v->reqlen, "X-Vigil-Secret", secret,
	    sizeof(secret)) != 0 || !secret_equal(mediad_secret, secret)) {
		log_warnx("viewer refused: without the internal secret");
		viewer_close(v, 403);
		return;
	}
	if (request_header(v->req, v->reqlen, "X-Real-IP", addr,
	    sizeof(addr)) == 0)
		snprintf(v->addr, sizeof(v->addr), "%s", addr);
	if ((e = request_parse(v->req, v->reqlen, app, sizeof(app), &id)) ==
	    0 && (e = session_join(v->md, v, app, id)) == 0) {
		log_debug("viewer %s: %s/%llu", v->addr, app,
		    (unsigned long long)id);
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].err == e)
			status = map[i].status;
	viewer_close(v, status);
}

static void
viewer_read(struct viewer *v)
{
	char tmp[512];
	ssize_t r;

	if (v->state != VIEWER_READING) {
		/* a viewer sends nothing more: EOF or junk ends it */
		r = recv(v->ev.fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR))
			viewer_close(v, 0);
		return;
	}
	r = recv(v->ev.fd, v->req + v->reqlen, sizeof(v->req) - 1 - v->reqlen,
	    MSG_DONTWAIT);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		viewer_close(v, 0);
		return;
	}
	v->reqlen += (size_t)r;
	v->req[v->reqlen] = '\0';
	if (strstr(v->req, "\r\n\r\n") != NULL || strstr(v->req, "\n\n"))
		viewer_request(v);
	else if (v->reqlen == sizeof(v->req) - 1)
		viewer_close(v, 400);
}

static void
viewer_on_event(void *arg, uint32_t events)
{
	struct viewer *v = arg;

	if (v->state != VIEWER_DEAD && (events & (EPOLLIN | EPOLLRDHUP |
	    EPOLLHUP | EPOLLERR)))
		viewer_read(v);
	if (v->state != VIEWER_DEAD && (events & EPOLLOUT))
		viewer_flush(v);
}

void
viewer_accept(void *arg, uint32_t events)
{
	struct mediad *md = arg;
	int fd;

	while ((fd = accept4(md->listen_ev.fd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		struct viewer *v = calloc(1, sizeof(*v));

		if (v == NULL) {
			close(fd);
			continue;
		}
		v->md = md;
		v->timer.fd = -1;
		v->state = VIEWER_READING;
		snprintf(v->addr, sizeof(v->addr), "unix");
		v->ev.fd = fd;
		v->ev.events = EPOLLIN | EPOLLRDHUP;
		v->ev.cb = viewer_on_event;
		v->ev.arg = v;
		if (loop_add(md->loop, &v->ev) != 0) {
			close(fd);
			free(v);
			continue;
		}
		if (viewer_timer_start(v) != 0) {
			log_warn("viewer timer");
			viewer_close(v, 503);
		}
	}
}
