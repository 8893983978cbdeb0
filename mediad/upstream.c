/* The upstream pull thread: libavformat RTMP input to FLV tags. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#include "common/buf.h"
#include "common/log.h"
#include "flv.h"
#include "upstream.h"

#define UPSTREAM_MAX_STREAMS	8
/* logs show the URL without its query: the push token stays secret */
#define URL_SHOWN(u)	(int)strcspn((u), "?"), (u)

struct upstream {
	char			*url;
	int			 efd;
	pthread_t		 thread;
	atomic_int		 stop;
	pthread_mutex_t		 mtx;
	struct upstream_tag	*head, *tail;
	int			 ended;		/* under mtx */
};

static void
upstream_signal(struct upstream *up)
{
	uint64_t one = 1;

	(void)!write(up->efd, &one, sizeof(one));
}

static void
upstream_push(struct upstream *up, enum upstream_kind kind, int video,
    int key, const struct buf *b)
{
	struct upstream_tag *t;

	if ((t = malloc(sizeof(*t) + b->len)) == NULL)
		return;
	t->next = NULL;
	t->kind = kind;
	t->video = video;
	t->key = key;
	t->len = b->len;
	memcpy(t->data, b->p, b->len);
	pthread_mutex_lock(&up->mtx);
	if (up->tail != NULL)
		up->tail->next = t;
	else
		up->head = t;
	up->tail = t;
	pthread_mutex_unlock(&up->mtx);
	upstream_signal(up);
}

static int
upstream_interrupt(void *arg)
{
	struct upstream *up = arg;

	return atomic_load(&up->stop);
}

/* Emits a sequence header when a stream's codec config is new. */
static void
upstream_seq(struct upstream *up, const AVCodecParameters *par,
    const uint8_t *x, size_t xn, uint32_t ts, struct buf *b)
{
	int video = par->codec_type == AVMEDIA_TYPE_VIDEO;

	buf_reset(b);
	if (video)
		flv_video(b, ts, 1, FLV_AVC_SEQ_HEADER, 0, x, xn);
	else
		flv_audio(b, ts, FLV_AAC_SEQ_HEADER, x, xn);
	upstream_push(up, video ? UPSTREAM_VSEQ : UPSTREAM_ASEQ, video, 1, b);
}

static void
upstream_packet(struct upstream *up, AVFormatContext *ic, AVPacket *pkt,
    int *seq_sent, struct buf *b)
{
	AVStream *st = ic->streams[pkt->stream_index];
	const AVCodecParameters *par = st->codecpar;
	AVRational ms = { 1, 1000 };
	int64_t dts, pts;
	const uint8_t *x;
	size_t xn;
	int key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;

	if (par->codec_id != AV_CODEC_ID_H264 && par->codec_id != AV_CODEC_ID_AAC)
		return;
	dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
	pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : dts;
	if (dts == AV_NOPTS_VALUE)
		return;
	dts = av_rescale_q(dts, st->time_base, ms);
	pts = av_rescale_q(pts, st->time_base, ms);
	x = av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, &xn);
	if (x != NULL && xn > 0)
		upstream_seq(up, par, x, xn, (uint32_t)dts, b);
	else if (pkt->stream_index < UPSTREAM_MAX_STREAMS &&
	    !seq_sent[pkt->stream_index] && par->extradata_size > 0)
		upstream_seq(up, par, par->extradata,
		    (size_t)par->extradata_size, (uint32_t)dts, b);
	if (pkt->stream_index < UPSTREAM_MAX_STREAMS)
		seq_sent[pkt->stream_index] = 1;
	buf_reset(b);
	if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
		if (flv_video(b, (uint32_t)dts, key, FLV_AVC_NALU,
		    (int32_t)(pts - dts), pkt->data, (size_t)pkt->size) == 0)
			upstream_push(up, UPSTREAM_TAG, 1, key, b);
	} else if (flv_audio(b, (uint32_t)dts, FLV_AAC_RAW, pkt->data,
	    (size_t)pkt->size) == 0)
		upstream_push(up, UPSTREAM_TAG, 0, 0, b);
}

static void *
upstream_main(void *arg)
{
	struct upstream *up = arg;
	AVFormatContext *ic;
	AVDictionary *opts = NULL;
	AVPacket *pkt = av_packet_alloc();
	int seq_sent[UPSTREAM_MAX_STREAMS] = { 0 }, e;
	struct buf b = { 0 };
	char err[128];

	if ((ic = avformat_alloc_context()) == NULL || pkt == NULL)
		goto out;
	ic->interrupt_callback.callback = upstream_interrupt;
	ic->interrupt_callback.opaque = up;
	av_dict_set(&opts, "rtmp_live", "live", 0);
	/* a stall of the edge ends the pull instead of hanging it */
	av_dict_set(&opts, "rw_timeout", "5000000", 0);
	if ((e = avformat_open_input(&ic, up->url, NULL, &opts)) < 0) {
		av_strerror(e, err, sizeof(err));
		log_info("upstream %.*s: %s", URL_SHOWN(up->url), err);
		goto out;
	}
	log_debug("upstream %.*s open", URL_SHOWN(up->url));
	while (!atomic_load(&up->stop)) {
		if ((e = av_read_frame(ic, pkt)) < 0) {
			av_strerror(e, err, sizeof(err));
			log_info("upstream %.*s ended: %s", URL_SHOWN(up->url), err);
			break;
		}
		upstream_packet(up, ic, pkt, seq_sent, &b);
		av_packet_unref(pkt);
	}
out:
	av_dict_free(&opts);
	avformat_close_input(&ic);
	av_packet_free(&pkt);
	buf_free(&b);
	pthread_mutex_lock(&up->mtx);
	up->ended = 1;
	pthread_mutex_unlock(&up->mtx);
	upstream_signal(up);
	return NULL;
}

int
upstream_start(struct upstream **upp, const char *url)
{
	struct upstream *up;
	int e;

	if ((up = calloc(1, sizeof(*up))) == NULL)
		return ENOMEM;
	pthread_mutex_init(&up->mtx, NULL);
	if ((up->url = strdup(url)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	if ((up->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		e = errno;
		goto out;
	}
	if ((e = pthread_create(&up->thread, NULL, upstream_main, up)) != 0) {
		close(up->efd);
		goto out;
	}
	*upp = up;
	return 0;
out:
	pthread_mutex_destroy(&up->mtx);
	free(up->url);
	free(up);
	return e;
}

int
upstream_fd(const struct upstream *up)
{
	return up->efd;
}

struct upstream_tag *
upstream_take(struct upstream *up, int *ended)
{
	struct upstream_tag *t;
	uint64_t n;

	(void)!read(up->efd, &n, sizeof(n));
	pthread_mutex_lock(&up->mtx);
	t = up->head;
	up->head = up->tail = NULL;
	*ended = up->ended;
	pthread_mutex_unlock(&up->mtx);
	return t;
}

void
upstream_stop(struct upstream *up)
{
	atomic_store(&up->stop, 1);
}

void
upstream_free(struct upstream *up)
{
	struct upstream_tag *t;

	if (up == NULL)
		return;
	upstream_stop(up);
	pthread_join(up->thread, NULL);
	while ((t = up->head) != NULL) {
		up->head = t->next;
		free(t);
	}
	close(up->efd);
	pthread_mutex_destroy(&up->mtx);
	explicit_bzero(up->url, strlen(up->url));
	free(up->url);
	free(up);
}
