/*
 * gbsim's media senders: the video file cut into access units once, and
 * per stream a real-time PS/RTP sender over UDP or RFC 4571 TCP, with
 * optional packet loss and reordering.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "gbsim.h"
#include "gbsim_ps.h"

#define AUDIO_CHUNK	320		/* 40 ms of 8 kHz G.711A */
#define TCP_BACKLOG	(8 << 20)	/* queued bytes before frames drop */

struct media_au {
	size_t	 off, len;
	int	 key;
};

static struct {
	uint8_t		*video;
	size_t		 video_len;
	int		 codec;
	struct media_au	*aus;
	size_t		 naus;
	uint8_t		*audio;
	size_t		 audio_len;
	uint8_t		*ps, *rtp;	/* scratch, sized for the largest AU */
	size_t		 ps_cap, rtp_cap;
} media;

struct gbsim_stream {
	struct gbsim_stream	*next;
	struct gbsim_fd		 f;
	struct gbsim_obuf	 o;
	struct sockaddr_in	 to;
	int			 tcp;
	int			 playing;
	int			 closed;
	int			 connected;
	struct gbsim_rtp	 rtp;
	double			 t0, due, duration;
	uint64_t		 frame;		/* frames sent */
	size_t			 au;		/* next AU */
	uint64_t		 pts0;
	uint64_t		 audio_pos;	/* samples sent */
	uint8_t			 held[2 + 12 + GBSIM_RTP_PAYLOAD];
	size_t			 held_len;	/* a packet kept back */
	void			(*on_end)(void *, int);
	void			*arg;
};

static struct gbsim_stream *streams;

static int
media_read(const char *path, uint8_t **bp, size_t *lenp)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY)) == -1)
		return errno;
	if (fstat(fd, &st) == -1 || st.st_size == 0) {
		error = st.st_size == 0 ? EINVAL : errno;
		goto out;
	}
	if ((*bp = malloc(st.st_size)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		if ((n = read(fd, *bp + off, st.st_size - off)) <= 0) {
			error = n == 0 ? EIO : errno;
			goto out;
		}
		off += n;
	}
	*lenp = off;
out:
	close(fd);
	return error;
}

int
gbsim_media_load(void)
{
	struct gbsim_ps_au pa = { 0 };
	struct gbsim_rtp r = { 0 };
	size_t off = 0, len, max = 0;
	int key, error;

	if (media.video)
		return 0;
	if (gbsim_opt.video == NULL)
		return EINVAL;
	if ((error = media_read(gbsim_opt.video, &media.video,
	    &media.video_len)) != 0)
		return error;
	if (gbsim_opt.audio && (error = media_read(gbsim_opt.audio,
	    &media.audio, &media.audio_len)) != 0)
		return error;
	media.codec = gbsim_opt.codec ? gbsim_opt.codec :
	    gbsim_es_codec(media.video, media.video_len);
	if (media.codec == 0)
		return EINVAL;
	while (gbsim_es_next(media.video, media.video_len, media.codec, &off,
	    &len, &key) == 0) {
		if (media.naus % 256 == 0 && (media.aus = reallocarray(media.aus,
		    media.naus + 256, sizeof(*media.aus))) == NULL)
			return ENOMEM;
		media.aus[media.naus++] = (struct media_au){ off - len, len,
		    key };
		if (len > max)
			max = len;
	}
	if (media.naus == 0)
		return EINVAL;
	pa.video_len = max;
	pa.audio_len = AUDIO_CHUNK;
	media.ps_cap = gbsim_ps_size(&pa);
	media.rtp_cap = gbsim_rtp_size(&r, media.ps_cap);
	if ((media.ps = malloc(media.ps_cap)) == NULL ||
	    (media.rtp = malloc(media.rtp_cap)) == NULL)
		return ENOMEM;
	return 0;
}

/* The PS pack of video frame n (AU i) or, if i is -1, of audio at pos. */
static int
media_pack(size_t i, uint64_t pts0, uint64_t n, uint64_t pos, size_t *lenp)
{
	struct gbsim_ps_au pa = { 0 };
	uint8_t chunk[AUDIO_CHUNK];
	size_t k;

	pa.codec = media.codec;
	pa.has_audio = media.audio != NULL;
	if (i != (size_t)-1) {
		pa.video = media.video + media.aus[i].off;
		pa.video_len = media.aus[i].len;
		pa.key = media.aus[i].key;
		pa.pts = pts0 + n * 90000 / gbsim_opt.fps;
	} else {
		for (k = 0; k < AUDIO_CHUNK; k++)
			chunk[k] = media.audio[(pos + k) % media.audio_len];
		pa.audio = chunk;
		pa.audio_len = AUDIO_CHUNK;
		pa.audio_pts = pts0 + pos * 90 / 8;
	}
	return gbsim_ps_frame(&pa, media.ps, media.ps_cap, lenp);
}

int
gbsim_media_dump(const char *path)
{
	FILE *fp;
	uint64_t n, pos = 0;
	size_t len;
	int error = 0;

	if ((fp = fopen(path, "wb")) == NULL)
		return errno;
	for (n = 0; n < media.naus && error == 0; n++) {
		if ((error = media_pack(n, 0, n, 0, &len)) != 0 ||
		    fwrite(media.ps, 1, len, fp) != len)
			break;
		while (media.audio && error == 0 &&
		    pos + AUDIO_CHUNK <= (n + 1) * 8000 / gbsim_opt.fps) {
			if ((error = media_pack(-1, 0, 0, pos, &len)) == 0 &&
			    fwrite(media.ps, 1, len, fp) != len)
				error = EIO;
			pos += AUDIO_CHUNK;
		}
	}
	if (fclose(fp) != 0 && error == 0)
		error = errno;
	return error;
}

/* Sends one RFC 4571 frame (length + RTP packet) on s. */
static void
stream_send_pkt(struct gbsim_stream *s, const uint8_t *p, size_t n)
{
	if (s->tcp) {
		if (s->o.len - s->o.off < TCP_BACKLOG)
			(void)gbsim_obuf_send(&s->o, s->connected ? &s->f :
			    NULL, p, n);
	} else
		(void)sendto(s->f.fd, p + 2, n - 2, 0,
		    (struct sockaddr *)&s->to, sizeof(s->to));
}

/* Sends one PS pack as RTP, dropping and swapping packets as asked. */
static void
stream_send(struct gbsim_stream *s, size_t len, uint32_t ts)
{
	size_t out, off, n;
	int npkts;

	if (gbsim_rtp_packetize(&s->rtp, media.ps, len, ts, media.rtp,
	    media.rtp_cap, &out, &npkts) != 0)
		return;
	for (off = 0; off < out; off += n) {
		n = 2 + (media.rtp[off] << 8 | media.rtp[off + 1]);
		if (gbsim_opt.loss > 0 && rand() % 10000 <
		    gbsim_opt.loss * 100)
			continue;
		if (gbsim_opt.reorder && s->held_len == 0 &&
		    rand() % 50 == 0) {
			memcpy(s->held, media.rtp + off, n);
			s->held_len = n;
			continue;
		}
		stream_send_pkt(s, media.rtp + off, n);
		if (s->held_len) {
			stream_send_pkt(s, s->held, s->held_len);
			s->held_len = 0;
		}
	}
}

static void
stream_end(struct gbsim_stream *s, int error)
{
	s->playing = 0;
	if (s->on_end)
		s->on_end(s->arg, error);
}

/* Sends the frames (and the audio alongside) due by now. */
static void
stream_tick(struct gbsim_stream *s, double now)
{
	double fps = gbsim_opt.fps;
	size_t len;

	while (s->playing && s->due <= now) {
		if (s->duration > 0 && s->frame / fps >= s->duration) {
			stream_end(s, 0);
			return;
		}
		if (media_pack(s->au, s->pts0, s->frame, 0, &len) == 0)
			stream_send(s, len, s->pts0 + s->frame * 90000 / fps);
		while (media.audio &&
		    s->audio_pos + AUDIO_CHUNK <= (s->frame + 1) * 8000 / fps) {
			if (media_pack(-1, s->pts0, 0, s->audio_pos, &len) == 0)
				stream_send(s, len,
				    s->pts0 + s->audio_pos * 90 / 8);
			s->audio_pos += AUDIO_CHUNK;
		}
		s->frame++;
		s->au = (s->au + 1) % media.naus;
		s->due = s->t0 + s->frame / fps;
		if (now - s->due > 1)		/* stalled: do not burst */
			s->t0 = now - s->frame / fps;
	}
}

double
gbsim_media_tick(double now)
{
	struct gbsim_stream *s, **sp;
	double next = now + 1;

	for (sp = &streams; (s = *sp) != NULL; ) {
		if (s->closed) {
			*sp = s->next;
			gbsim_obuf_free(&s->o);
			free(s);
			continue;
		}
		stream_tick(s, now);
		if (s->playing && s->due < next)
			next = s->due;
		sp = &s->next;
	}
	return next;
}

static void
stream_io(struct gbsim_fd *f, uint32_t ev)
{
	struct gbsim_stream *s = f->arg;
	char buf[2048];
	socklen_t sl = sizeof(int);
	int error = 0;

	if (s->tcp && !s->connected && (ev & (EPOLLOUT | EPOLLERR))) {
		if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &error, &sl) == -1)
			error = errno;
		if (error == 0)
			s->connected = 1;
	}
	if (error == 0 && s->tcp && s->connected && (ev & EPOLLOUT))
		error = gbsim_obuf_flush(&s->o, f);
	/* RTCP or nothing comes back; a TCP peer closing ends the stream */
	if (error == 0 && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    read(f->fd, buf, sizeof(buf)) == 0 && s->tcp)
		error = ECONNRESET;
	if (error == 0 && s->tcp && (ev & (EPOLLHUP | EPOLLERR)))
		error = ECONNRESET;
	if (error != 0 && s->playing) {
		gbsim_event("error media %s:%d %s", inet_ntoa(s->to.sin_addr),
		    ntohs(s->to.sin_port), strerror(error));
		gbsim_fd_close(f);
		stream_end(s, error);
	}
}

int
gbsim_stream_open(struct gbsim_stream **sp, const struct sockaddr_in *to,
    int tcp, uint32_t ssrc, double duration, uint16_t *local_port,
    void (*on_end)(void *, int), void *arg)
{
	struct gbsim_stream *s;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd, error;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ENOMEM;
	s->f.fd = -1;
	s->to = *to;
	s->tcp = tcp;
	s->rtp.ssrc = ssrc;
	s->rtp.seq = rand();
	s->rtp.pt = GBSIM_RTP_PT;
	s->pts0 = rand() & 0x3fffffff;
	s->duration = duration;
	s->on_end = on_end;
	s->arg = arg;
	inet_pton(AF_INET, gbsim_opt.local_ip, &sin.sin_addr);
	if ((fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1) {
		error = errno;
		if (fd != -1)
			close(fd);
		free(s);
		return error;
	}
	/* an unconnected TCP socket polls as hung up: on the loop at play */
	if (tcp)
		s->f.fd = fd;
	else if ((error = gbsim_fd_add(&s->f, fd, EPOLLIN, stream_io,
	    s)) != 0) {
		free(s);
		return error;
	}
	*local_port = ntohs(sin.sin_port);
	s->next = streams;
	streams = s;
	*sp = s;
	return 0;
}

void
gbsim_stream_play(struct gbsim_stream *s)
{
	int error = 0;

	if (s->playing || s->closed || s->f.fd == -1)
		return;
	if (s->tcp && ((error = gbsim_fd_add(&s->f, s->f.fd,
	    EPOLLIN | EPOLLOUT, stream_io, s)) != 0 ||
	    (connect(s->f.fd, (struct sockaddr *)&s->to,
	    sizeof(s->to)) == -1 && errno != EINPROGRESS))) {
		error = error ? error : errno;
		gbsim_event("error media-connect %s:%d %s",
		    inet_ntoa(s->to.sin_addr), ntohs(s->to.sin_port),
		    strerror(error));
		gbsim_fd_close(&s->f);
		stream_end(s, error);
		return;
	}
	s->playing = 1;
	s->t0 = s->due = gbsim_now();
}

void
gbsim_stream_close(struct gbsim_stream *s)
{
	if (s == NULL)
		return;
	/* freed by the next tick, after the loop's pending events */
	gbsim_fd_close(&s->f);
	s->playing = 0;
	s->closed = 1;
}
