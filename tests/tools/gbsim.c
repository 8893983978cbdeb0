/*
 * gbsim: a GB28181 device simulator for the tests (and 100+ devices in one
 * process): SIP on libosip2's parser, PS over RTP from an elementary stream.
 * It shares no code with sipd or mediad: it is the independent peer.
 *
 * Media files (tests/tools/gbsim-media.sh DIR makes them):
 *   ffmpeg -f lavfi -i testsrc2=size=640x360:rate=25 -t 4 -c:v libx264 \
 *       -g 25 -bf 0 -f h264 h264.h264
 *   ffmpeg -f lavfi -i testsrc2=size=640x360:rate=25 -t 4 -c:v libx265 \
 *       -x265-params keyint=25:bframes=0:log-level=error -f hevc h265.h265
 *   ffmpeg -f lavfi -i sine=f=440:r=8000 -t 4 -c:a pcm_alaw -f alaw audio.alaw
 *
 * Events, one line each on stdout, flushed ([q]: not with --quiet):
 *   registered <dev>            register-failed <dev> <status|timeout>
 *   unregistered <dev>          keepalive <dev> [q]
 *   catalog <dev> <messages>    deviceinfo <dev>    devicestatus <dev>
 *   invite <dev> <channel> <udp|tcp> <ip>:<port> ssrc=<y=> <play|playback>
 *   media-start <dev> <channel> media-end <dev> <channel>  bye <dev> <channel>
 *   subscribe <dev> <CmdType>   unsubscribe <dev> <CmdType>
 *   notify <dev> MobilePosition [q]   alarm <dev> <message|notify>
 *   error <dev|media...> <what>
 * --send-only prints media-start <ip>:<port> ssrc=<n>, then media-end; it
 * exits 1 if the connection failed.
 */
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gbsim.h"
#include "gbsim_ps.h"

struct gbsim_opts gbsim_opt = {
	.count = 1,
	.channels = 1,
	.keepalive = 60,
	.stop_keepalive_after = -1,
	.expires = 3600,
	.unregister_after = -1,
	.alarm_after = -1,
	.register_retry = 10,
	.vendor = "Vigil",
	.model = "GBSIM-1",
	.firmware = "V1.0.0",
	.local_ip = "127.0.0.1",
	.fps = 25,
	.restart_after = -1,
};

static int epfd = -1;
static volatile sig_atomic_t quit;
static int send_done;

static const char usage[] =
"usage: gbsim --server IP:PORT --server-id ID --device-id ID --password P\n"
"             [--wrong-password] [--sip-transport udp|tcp] [--domain D]\n"
"             [--count N] [--channels N] [--catalog-split K] [--gb2312]\n"
"             [--keepalive S] [--stop-keepalive-after S] [--expires S]\n"
"             [--unregister-after S] [--register-retry S] [--no-unregister]\n"
"             [--alarm-after S] [--vendor V] [--model M] [--firmware F]\n"
"             [--video FILE [--audio FILE] [--codec h264|h265] [--fps N]\n"
"             [--loss PCT] [--reorder]] [--local-ip IP] [--quiet]\n"
"             [--ruri id|domain|addr] [--restart-after S\n"
"             [--restart-new-port] [--restart-keep-cseq]]\n"
"       gbsim --send-only --to IP:PORT [--tcp] --ssrc N --video FILE\n"
"             [--audio FILE] [--duration S] [--loss PCT] [--reorder]\n"
"       gbsim --dump-ps FILE --video FILE [--audio FILE]\n";

double
gbsim_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
gbsim_event(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int
gbsim_fd_add(struct gbsim_fd *f, int fd, uint32_t events,
    void (*cb)(struct gbsim_fd *, uint32_t), void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = f };

	f->fd = fd;
	f->events = events;
	f->cb = cb;
	f->arg = arg;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		f->fd = -1;
		close(fd);
		return errno;
	}
	return 0;
}

void
gbsim_fd_mod(struct gbsim_fd *f, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = f };

	if (f->fd == -1 || f->events == events)
		return;
	f->events = events;
	(void)epoll_ctl(epfd, EPOLL_CTL_MOD, f->fd, &ev);
}

void
gbsim_fd_close(struct gbsim_fd *f)
{
	if (f->fd == -1)
		return;
	(void)epoll_ctl(epfd, EPOLL_CTL_DEL, f->fd, NULL);
	close(f->fd);
	f->fd = -1;
}

int
gbsim_obuf_flush(struct gbsim_obuf *o, struct gbsim_fd *f)
{
	ssize_t n;

	while (o->off < o->len) {
		n = send(f->fd, o->b + o->off, o->len - o->off, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == ENOTCONN))
			break;
		if (n == -1)
			return errno;
		o->off += n;
	}
	if (o->off == o->len)
		o->off = o->len = 0;
	gbsim_fd_mod(f, o->len ? f->events | EPOLLOUT :
	    f->events & ~EPOLLOUT);
	return 0;
}

int
gbsim_obuf_send(struct gbsim_obuf *o, struct gbsim_fd *f, const void *p,
    size_t n)
{
	uint8_t *b;
	size_t cap;

	if (o->off > 0 && o->len + n > o->cap) {
		memmove(o->b, o->b + o->off, o->len - o->off);
		o->len -= o->off;
		o->off = 0;
	}
	if (o->len + n > o->cap) {
		for (cap = o->cap ? o->cap : 4096; cap < o->len + n; cap *= 2)
			;
		if ((b = realloc(o->b, cap)) == NULL)
			return ENOMEM;
		o->b = b;
		o->cap = cap;
	}
	memcpy(o->b + o->len, p, n);
	o->len += n;
	if (f == NULL)
		return 0;
	return f->fd == -1 ? EPIPE : gbsim_obuf_flush(o, f);
}

void
gbsim_obuf_free(struct gbsim_obuf *o)
{
	free(o->b);
	memset(o, 0, sizeof(*o));
}

static int
parse_addr(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon;
	long port;

	if ((colon = strrchr(s, ':')) == NULL ||
	    (size_t)(colon - s) >= sizeof(host))
		return EINVAL;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	port = strtol(colon + 1, NULL, 10);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (port <= 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return EINVAL;
	return 0;
}

static int
parse_id(const char *s, char *id, size_t len)
{
	if (strlen(s) != len || strspn(s, "0123456789") != len)
		return EINVAL;
	memcpy(id, s, len + 1);
	return 0;
}

static void
on_signal(int sig)
{
	quit = 1;
}

static void
on_send_end(void *arg, int error)
{
	gbsim_event("media-end");
	send_done = error ? error : -1;
}

/* The epoll loop: media and SIP timers, then socket events. */
static int
gbsim_loop(int sip)
{
	struct epoll_event evs[64];
	struct gbsim_fd *f;
	sigset_t none;
	double now, next, stop_by = 0;
	int i, n, stopping = 0;

	sigemptyset(&none);
	for (;;) {
		now = gbsim_now();
		if (quit && !stopping) {
			stopping = 1;
			stop_by = now + 5;
			if (sip)
				gbsim_sip_stop();
		}
		if (send_done > 0)
			return send_done;
		if (send_done || (stopping && (!sip || gbsim_sip_done() ||
		    now > stop_by)) || (sip && gbsim_sip_done()))
			return 0;
		next = gbsim_media_tick(now);
		if (sip)
			next = fmin(next, gbsim_sip_tick(now));
		n = (int)ceil((next - gbsim_now()) * 1000);
		n = epoll_pwait(epfd, evs, 64, n < 0 ? 0 : n, &none);
		for (i = 0; i < n; i++) {
			f = evs[i].data.ptr;
			if (f->fd != -1)
				f->cb(f, evs[i].events);
		}
	}
}

/* Sends the files straight to a port, no SIP: for the media tests. */
static int
gbsim_send_only(const struct sockaddr_in *to, int tcp, uint32_t ssrc,
    double duration)
{
	struct gbsim_stream *s;
	uint16_t port;
	int error;

	if ((error = gbsim_stream_open(&s, to, tcp, ssrc, duration, &port,
	    on_send_end, NULL)) != 0)
		return error;
	gbsim_event("media-start %s:%d ssrc=%u", inet_ntoa(to->sin_addr),
	    ntohs(to->sin_port), ssrc);
	gbsim_stream_play(s);
	return gbsim_loop(0);
}

enum {
	O_SERVER = 256, O_SIPTR, O_SERVER_ID, O_DOMAIN, O_DEVICE_ID, O_COUNT,
	O_PASSWORD, O_CHANNELS, O_SPLIT, O_GB2312, O_KEEPALIVE, O_STOPKA,
	O_EXPIRES, O_UNREG, O_RETRY, O_NOUNREG, O_ALARM, O_VENDOR, O_MODEL,
	O_FIRMWARE, O_VIDEO, O_AUDIO, O_CODEC, O_FPS, O_LOSS, O_REORDER,
	O_LOCAL, O_QUIET, O_SENDONLY, O_TO, O_TCP, O_SSRC, O_DURATION, O_DUMP,
	O_WRONG, O_RURI, O_RESTART, O_RESTART_PORT, O_RESTART_CSEQ
};

static const struct option longopts[] = {
	{ "server",		required_argument,	NULL, O_SERVER },
	{ "sip-transport",	required_argument,	NULL, O_SIPTR },
	{ "server-id",		required_argument,	NULL, O_SERVER_ID },
	{ "domain",		required_argument,	NULL, O_DOMAIN },
	{ "device-id",		required_argument,	NULL, O_DEVICE_ID },
	{ "count",		required_argument,	NULL, O_COUNT },
	{ "password",		required_argument,	NULL, O_PASSWORD },
	{ "wrong-password",	no_argument,		NULL, O_WRONG },
	{ "channels",		required_argument,	NULL, O_CHANNELS },
	{ "catalog-split",	required_argument,	NULL, O_SPLIT },
	{ "gb2312",		no_argument,		NULL, O_GB2312 },
	{ "keepalive",		required_argument,	NULL, O_KEEPALIVE },
	{ "stop-keepalive-after", required_argument,	NULL, O_STOPKA },
	{ "expires",		required_argument,	NULL, O_EXPIRES },
	{ "unregister-after",	required_argument,	NULL, O_UNREG },
	{ "register-retry",	required_argument,	NULL, O_RETRY },
	{ "no-unregister",	no_argument,		NULL, O_NOUNREG },
	{ "alarm-after",	required_argument,	NULL, O_ALARM },
	{ "vendor",		required_argument,	NULL, O_VENDOR },
	{ "model",		required_argument,	NULL, O_MODEL },
	{ "firmware",		required_argument,	NULL, O_FIRMWARE },
	{ "video",		required_argument,	NULL, O_VIDEO },
	{ "audio",		required_argument,	NULL, O_AUDIO },
	{ "codec",		required_argument,	NULL, O_CODEC },
	{ "fps",		required_argument,	NULL, O_FPS },
	{ "loss",		required_argument,	NULL, O_LOSS },
	{ "reorder",		no_argument,		NULL, O_REORDER },
	{ "local-ip",		required_argument,	NULL, O_LOCAL },
	{ "quiet",		no_argument,		NULL, O_QUIET },
	{ "send-only",		no_argument,		NULL, O_SENDONLY },
	{ "to",			required_argument,	NULL, O_TO },
	{ "tcp",		no_argument,		NULL, O_TCP },
	{ "ssrc",		required_argument,	NULL, O_SSRC },
	{ "duration",		required_argument,	NULL, O_DURATION },
	{ "dump-ps",		required_argument,	NULL, O_DUMP },
	{ "ruri",		required_argument,	NULL, O_RURI },
	{ "restart-after",	required_argument,	NULL, O_RESTART },
	{ "restart-new-port",	no_argument,		NULL, O_RESTART_PORT },
	{ "restart-keep-cseq",	no_argument,		NULL, O_RESTART_CSEQ },
	{ NULL }
};

int
main(int argc, char *argv[])
{
	struct gbsim_opts *o = &gbsim_opt;
	struct sockaddr_in to = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct rlimit rl;
	sigset_t block;
	const char *dump = NULL;
	double duration = 0;
	uint32_t ssrc = 0;
	char *pw = NULL;
	unsigned seed;
	int ch, bad = 0, send_only = 0, tcp = 0, have_server = 0, wrong = 0;
	int error;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case O_SERVER:
			bad |= parse_addr(optarg, &o->server);
			have_server = 1;
			break;
		case O_SIPTR:
			o->sip_tcp = strcmp(optarg, "tcp") == 0;
			bad |= !o->sip_tcp && strcmp(optarg, "udp") != 0;
			break;
		case O_SERVER_ID:
			bad |= parse_id(optarg, o->server_id, GBSIM_ID_LEN);
			break;
		case O_DOMAIN:
			bad |= parse_id(optarg, o->domain, 10);
			break;
		case O_DEVICE_ID:
			bad |= parse_id(optarg, o->device_id, GBSIM_ID_LEN);
			break;
		case O_COUNT:	o->count = atoi(optarg);	break;
		case O_PASSWORD: o->password = optarg;		break;
		case O_WRONG:	wrong = 1;			break;
		case O_CHANNELS: o->channels = atoi(optarg);	break;
		case O_SPLIT:	o->catalog_split = atoi(optarg); break;
		case O_GB2312:	o->gb2312 = 1;			break;
		case O_KEEPALIVE: o->keepalive = atof(optarg);	break;
		case O_STOPKA:	o->stop_keepalive_after = atof(optarg); break;
		case O_EXPIRES:	o->expires = atof(optarg);	break;
		case O_UNREG:	o->unregister_after = atof(optarg); break;
		case O_RETRY:	o->register_retry = atof(optarg); break;
		case O_NOUNREG:	o->no_unregister = 1;		break;
		case O_ALARM:	o->alarm_after = atof(optarg);	break;
		case O_VENDOR:	o->vendor = optarg;		break;
		case O_MODEL:	o->model = optarg;		break;
		case O_FIRMWARE: o->firmware = optarg;		break;
		case O_VIDEO:	o->video = optarg;		break;
		case O_AUDIO:	o->audio = optarg;		break;
		case O_CODEC:
			o->codec = strcmp(optarg, "h265") == 0 ? GBSIM_H265 :
			    strcmp(optarg, "h264") == 0 ? GBSIM_H264 : -1;
			bad |= o->codec == -1;
			break;
		case O_FPS:	o->fps = atof(optarg);		break;
		case O_LOSS:	o->loss = atof(optarg);		break;
		case O_REORDER:	o->reorder = 1;			break;
		case O_LOCAL:
			bad |= strlen(optarg) >= sizeof(o->local_ip);
			snprintf(o->local_ip, sizeof(o->local_ip), "%s",
			    optarg);
			break;
		case O_QUIET:	o->quiet = 1;			break;
		case O_SENDONLY: send_only = 1;			break;
		case O_TO:	bad |= parse_addr(optarg, &to);	break;
		case O_TCP:	tcp = 1;			break;
		case O_SSRC:	ssrc = strtoul(optarg, NULL, 10); break;
		case O_DURATION: duration = atof(optarg);	break;
		case O_DUMP:	dump = optarg;			break;
		case O_RURI:
			o->ruri = strcmp(optarg, "domain") == 0 ?
			    GBSIM_RURI_DOMAIN : strcmp(optarg, "addr") == 0 ?
			    GBSIM_RURI_ADDR : strcmp(optarg, "id") == 0 ?
			    GBSIM_RURI_ID : -1;
			bad |= o->ruri == -1;
			break;
		case O_RESTART: o->restart_after = atof(optarg); break;
		case O_RESTART_PORT: o->restart_new_port = 1;	break;
		case O_RESTART_CSEQ: o->restart_keep_cseq = 1;	break;
		default:
			bad = 1;
		}
	}
	/* digest answers that the server must refuse */
	if (wrong && o->password && asprintf(&pw, "%s-wrong", o->password) > 0)
		o->password = pw;
	if (o->domain[0] == '\0')
		memcpy(o->domain, o->server_id, 10);
	if (o->fps <= 0 || o->count < 1 || o->channels < 0 ||
	    o->keepalive <= 0 || o->expires < 0)
		bad = 1;
	if (dump || send_only)
		bad |= o->video == NULL || (send_only && to.sin_port == 0);
	else
		bad |= !have_server || !o->server_id[0] ||
		    !o->device_id[0] || o->password == NULL;
	if (bad || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	/* getpid() ^ time() repeats for two simulators started a second
	 * apart (even pid and second, then both + 1): the same branches and
	 * Call-IDs, answered from the server's retransmission cache */
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	srand(seed);
	if (o->video && (error = gbsim_media_load()) != 0) {
		fprintf(stderr, "gbsim: %s: %s\n", o->video, strerror(error));
		return 1;
	}
	if (dump) {
		if ((error = gbsim_media_dump(dump)) != 0)
			fprintf(stderr, "gbsim: %s: %s\n", dump,
			    strerror(error));
		return error ? 1 : 0;
	}
	/* a socket per device and per stream: take all the fds we may */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("gbsim: epoll_create1");
		return 1;
	}
	if (send_only)
		error = gbsim_send_only(&to, tcp, ssrc, duration);
	else if ((error = gbsim_sip_start()) == 0)
		error = gbsim_loop(1);
	if (error)
		fprintf(stderr, "gbsim: %s\n", strerror(error));
	return error ? 1 : 0;
}
