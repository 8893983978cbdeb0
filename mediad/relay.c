/*
 * The relay thread: frames queued by the loop are muxed with libavformat
 * (FLV over RTMP to the edge, or HLS files) off the loop thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>

#include "common/log.h"
#include "common/vtime.h"
#include "relay.h"

/* After relay_stop, blocking I/O gets this long to finish cleanly. */
#define RELAY_STOP_GRACE_US	(2ULL * 1000000)
#define RELAY_RW_TIMEOUT	"5000000"	/* us: a stalled edge ends it */

struct relay_pkt {
	struct relay_pkt	*next;
	int			 video;
	int			 key;
	int64_t			 pts, dts;
	size_t			 len;
	size_t			 cap;
	uint8_t			 data[];
};

struct relay {
	char			*name, *format, *url, *options;
	int			 hevc, audio;
	uint8_t			*vconfig, *aconfig;
	size_t			 vconfig_len, aconfig_len;
	unsigned		 rate, channels;
	unsigned		 width, height;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct relay_pkt	*head, *tail;	/* under mtx */
	atomic_size_t		 queued;	/* bytes */
	atomic_uint_fast64_t	 stop_at;	/* us, 0: running */
	atomic_int		 ended;
	atomic_uint_fast64_t	 dropped;
	/* the loop's side */
	struct relay_pkt	*pending;
	int			 started, need_key;
	int64_t			 origin;
	int64_t			 last_dts[2];
};

static int
relay_interrupt(void *arg)
{
	struct relay *r = arg;
	uint64_t at = atomic_load(&r->stop_at);

	return at != 0 && vtime_mono_us() > at + RELAY_STOP_GRACE_US;
}

/* A copy of n bytes with the zeroed padding libavcodec wants. */
static uint8_t *
relay_extradata(const uint8_t *p, size_t n)
{
	uint8_t *x = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);

	if (x != NULL && n > 0)
		memcpy(x, p, n);
	return x;
}

static int
relay_streams(struct relay *r, AVFormatContext *oc)
{
	AVStream *st;
	AVCodecParameters *par;

	if ((st = avformat_new_stream(oc, NULL)) == NULL)
		return AVERROR(ENOMEM);
	st->time_base = (AVRational){ 1, 1000 };
	par = st->codecpar;
	par->codec_type = AVMEDIA_TYPE_VIDEO;
	par->codec_id = r->hevc ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
	par->width = (int)r->width;
	par->height = (int)r->height;
	if ((par->extradata = relay_extradata(r->vconfig,
	    r->vconfig_len)) == NULL)
		return AVERROR(ENOMEM);
	par->extradata_size = (int)r->vconfig_len;
	if (!r->audio)
		return 0;
	if ((st = avformat_new_stream(oc, NULL)) == NULL)
		return AVERROR(ENOMEM);
	st->time_base = (AVRational){ 1, 1000 };
	par = st->codecpar;
	par->codec_type = AVMEDIA_TYPE_AUDIO;
	par->codec_id = AV_CODEC_ID_AAC;
	par->sample_rate = (int)r->rate;
	av_channel_layout_default(&par->ch_layout, (int)r->channels);
	par->frame_size = 1024;
	if ((par->extradata = relay_extradata(r->aconfig,
	    r->aconfig_len)) == NULL)
		return AVERROR(ENOMEM);
	par->extradata_size = (int)r->aconfig_len;
	return 0;
}

/* Takes everything queued, waiting for some; NULL when stopping. */
static struct relay_pkt *
relay_take(struct relay *r)
{
	struct relay_pkt *list;

	pthread_mutex_lock(&r->mtx);
	while (r->head == NULL && atomic_load(&r->stop_at) == 0)
		pthread_cond_wait(&r->cond, &r->mtx);
	list = atomic_load(&r->stop_at) == 0 ? r->head : NULL;
	if (list != NULL)
		r->head = r->tail = NULL;
	pthread_mutex_unlock(&r->mtx);
	return list;
}

static int
relay_write(struct relay *r, AVFormatContext *oc, AVPacket *pkt)
{
	struct relay_pkt *list, *p;
	int e = 0;

	while (e >= 0 && (list = relay_take(r)) != NULL)
		for (; list != NULL; list = p) {
			p = list->next;
			if (e >= 0) {
				/* not refcounted: muxers read, never keep */
				pkt->data = list->data;
				pkt->size = (int)list->len;
				pkt->stream_index = list->video ? 0 : 1;
				pkt->pts = list->pts;
				pkt->dts = list->dts;
				pkt->flags = list->key ? AV_PKT_FLAG_KEY : 0;
				av_packet_rescale_ts(pkt, (AVRational){ 1,
				    1000 }, oc->streams[pkt->stream_index]->
				    time_base);
				e = av_write_frame(oc, pkt);
				av_packet_unref(pkt);
			}
			atomic_fetch_sub(&r->queued, list->len);
			free(list);
		}
	return e;
}

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	AVFormatContext *oc = NULL;
	AVDictionary *opts = NULL;
	AVPacket *pkt = av_packet_alloc();
	struct relay_pkt *p;
	char err[128];
	int e, header = 0;

	if (pkt == NULL) {
		e = AVERROR(ENOMEM);
		goto out;
	}
	if ((e = avformat_alloc_output_context2(&oc, NULL, r->format,
	    r->url)) < 0)
		goto out;
	oc->interrupt_callback.callback = relay_interrupt;
	oc->interrupt_callback.opaque = r;
	if ((e = relay_streams(r, oc)) < 0)
		goto out;
	if (r->options != NULL &&
	    (e = av_dict_parse_string(&opts, r->options, "=", ":", 0)) < 0)
		goto out;
	av_dict_set(&opts, "rw_timeout", RELAY_RW_TIMEOUT, 0);
	if (!(oc->oformat->flags & AVFMT_NOFILE) &&
	    (e = avio_open2(&oc->pb, r->url, AVIO_FLAG_WRITE,
	    &oc->interrupt_callback, &opts)) < 0)
		goto out;
	if ((e = avformat_write_header(oc, &opts)) < 0)
		goto out;
	header = 1;
	log_info("relay %s: started", r->name);
	e = relay_write(r, oc, pkt);
out:
	if (e < 0) {
		av_strerror(e, err, sizeof(err));
		log_info("relay %s: %s", r->name, err);
	}
	if (header && (e = av_write_trailer(oc)) < 0) {
		av_strerror(e, err, sizeof(err));
		log_debug("relay %s: trailer: %s", r->name, err);
	}
	if (oc != NULL && !(oc->oformat->flags & AVFMT_NOFILE))
		avio_closep(&oc->pb);
	avformat_free_context(oc);
	av_dict_free(&opts);
	av_packet_free(&pkt);
	pthread_mutex_lock(&r->mtx);
	while ((p = r->head) != NULL) {
		r->head = p->next;
		free(p);
	}
	r->tail = NULL;
	atomic_store(&r->queued, 0);
	pthread_mutex_unlock(&r->mtx);
	atomic_store(&r->ended, 1);
	return NULL;
}

static void
relay_release(struct relay *r)
{
	free(r->name);
	free(r->format);
	if (r->url != NULL)
		explicit_bzero(r->url, strlen(r->url));
	free(r->url);
	free(r->options);
	free(r->vconfig);
	free(r->aconfig);
	free(r->pending);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mtx);
	free(r);
}

static uint8_t *
relay_dup(const uint8_t *p, size_t n)
{
	uint8_t *x = malloc(n ? n : 1);

	if (x != NULL && n > 0)
		memcpy(x, p, n);
	return x;
}

int
relay_start(struct relay **rp, const struct relay_params *p)
{
	struct relay *r;
	int e;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ENOMEM;
	pthread_mutex_init(&r->mtx, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->hevc = p->hevc;
	r->audio = p->audio;
	r->rate = p->rate;
	r->channels = p->channels;
	r->width = p->width;
	r->height = p->height;
	r->vconfig_len = p->vconfig_len;
	r->aconfig_len = p->audio ? p->aconfig_len : 0;
	r->name = strdup(p->name);
	r->format = strdup(p->format);
	r->url = strdup(p->url);
	r->options = p->options ? strdup(p->options) : NULL;
	r->vconfig = relay_dup(p->vconfig, p->vconfig_len);
	r->aconfig = relay_dup(p->aconfig, r->aconfig_len);
	if (r->name == NULL || r->format == NULL || r->url == NULL ||
	    (p->options && r->options == NULL) || r->vconfig == NULL ||
	    r->aconfig == NULL) {
		relay_release(r);
		return ENOMEM;
	}
	if ((e = pthread_create(&r->thread, NULL, relay_main, r)) != 0) {
		relay_release(r);
		return e;
	}
	*rp = r;
	return 0;
}

uint8_t *
relay_frame(struct relay *r, size_t max)
{
	struct relay_pkt *p = r->pending;

	if (p != NULL && p->cap >= max)
		return p->data;
	free(p);
	r->pending = NULL;
	if ((p = malloc(sizeof(*p) + max + AV_INPUT_BUFFER_PADDING_SIZE)) ==
	    NULL)
		return NULL;
	p->cap = max;
	r->pending = p;
	return p->data;
}

int
relay_push(struct relay *r, int video, int key, int64_t pts, int64_t dts,
    size_t len)
{
	struct relay_pkt *p = r->pending;
	int i = video ? 0 : 1;

	if (atomic_load(&r->ended))
		return EPIPE;
	if (p == NULL || len > p->cap || (!video && !r->audio))
		return EINVAL;
	/* video starts at a keyframe, whose time is 0 */
	if (video && (r->need_key || !r->started) && !key)
		goto drop;
	if (!r->started) {
		if (!video)
			goto drop;
		r->started = 1;
		r->origin = dts;
		r->last_dts[0] = r->last_dts[1] = 0;
	}
	dts -= r->origin;
	pts -= r->origin;
	if (dts < 0)
		goto drop;
	/* the muxers want each track's dts not to decrease, pts >= dts */
	if (dts < r->last_dts[i])
		dts = r->last_dts[i];
	if (pts < dts)
		pts = dts;
	if (atomic_load(&r->queued) + len > RELAY_QUEUE_MAX) {
		atomic_fetch_add(&r->dropped, 1);
		if (video)
			r->need_key = 1;
		goto drop;
	}
	if (video && key)
		r->need_key = 0;
	r->last_dts[i] = dts;
	memset(p->data + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	p->next = NULL;
	p->video = video;
	p->key = key;
	p->pts = pts;
	p->dts = dts;
	p->len = len;
	r->pending = NULL;
	atomic_fetch_add(&r->queued, len);
	pthread_mutex_lock(&r->mtx);
	if (r->tail != NULL)
		r->tail->next = p;
	else
		r->head = p;
	r->tail = p;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
	return 0;
drop:
	/* the room stays for the next frame */
	return ENOBUFS;
}

int
relay_done(struct relay *r)
{
	return atomic_load(&r->ended);
}

uint64_t
relay_dropped(const struct relay *r)
{
	return atomic_load(&r->dropped);
}

void
relay_stop(struct relay *r)
{
	uint_fast64_t zero = 0;

	pthread_mutex_lock(&r->mtx);
	atomic_compare_exchange_strong(&r->stop_at, &zero, vtime_mono_us());
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	relay_stop(r);
	pthread_join(r->thread, NULL);
	relay_release(r);
}
