/*
 * The transcode thread: G.711 decoded and AAC-LC encoded with libavcodec,
 * off the loop thread; results go back through a queue and an eventfd.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>

#include "common/log.h"
#include "transcode.h"

#define TRANSCODE_QUEUE_MAX	64	/* G.711 frames waiting */
#define TRANSCODE_BITRATE	24000	/* plenty for 8 kHz speech */
/* input this far off the sample clock re-anchors it (lost packets) */
#define TRANSCODE_RESYNC_MS	500
#define TRANSCODE_FIFO		4096	/* samples, > one AAC frame */

struct transcode_in {
	struct transcode_in	*next;
	int64_t			 ms;
	size_t			 len;
	uint8_t			 data[];
};

struct transcode {
	char			*name;
	int			 ulaw;
	int			 efd;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	/* under mtx */
	int			 stop;
	struct transcode_in	*in_head, *in_tail;
	unsigned		 nin;
	struct transcode_frame	*out_head, *out_tail;
};

/* The thread's codec state. */
struct transcode_ctx {
	AVCodecContext		*dec, *enc;
	AVFrame			*in, *out;
	AVPacket		*pkt;
	float			 fifo[TRANSCODE_FIFO];
	int			 nfifo;
	int			 anchored;
	int64_t			 anchor_ms;	/* time of sample 0 */
	int64_t			 samples;	/* decoded so far */
	int64_t			 next_pts;	/* of the next AAC frame */
};

static void
transcode_emit(struct transcode *t, int64_t ms, const AVPacket *pkt)
{
	struct transcode_frame *f;
	uint64_t one = 1;

	if ((f = malloc(sizeof(*f) + (size_t)pkt->size)) == NULL)
		return;
	f->next = NULL;
	f->ms = ms;
	f->len = (size_t)pkt->size;
	memcpy(f->data, pkt->data, f->len);
	pthread_mutex_lock(&t->mtx);
	if (t->out_tail != NULL)
		t->out_tail->next = f;
	else
		t->out_head = f;
	t->out_tail = f;
	pthread_mutex_unlock(&t->mtx);
	(void)!write(t->efd, &one, sizeof(one));
}

/* Encodes one full AAC frame from the FIFO and emits what comes out. */
static int
transcode_encode(struct transcode *t, struct transcode_ctx *x)
{
	int n = x->enc->frame_size, e;

	if ((e = av_frame_make_writable(x->out)) < 0)
		return e;
	memcpy(x->out->data[0], x->fifo, (size_t)n * sizeof(float));
	memmove(x->fifo, x->fifo + n, (size_t)(x->nfifo - n) * sizeof(float));
	x->nfifo -= n;
	x->out->pts = x->next_pts;
	x->next_pts += n;
	if ((e = avcodec_send_frame(x->enc, x->out)) < 0)
		return e;
	while ((e = avcodec_receive_packet(x->enc, x->pkt)) == 0) {
		transcode_emit(t, x->anchor_ms + x->pkt->pts * 1000 /
		    TRANSCODE_RATE, x->pkt);
		av_packet_unref(x->pkt);
	}
	return e == AVERROR(EAGAIN) ? 0 : e;
}

static int
transcode_one(struct transcode *t, struct transcode_ctx *x,
    const struct transcode_in *in)
{
	int64_t expect = x->anchor_ms + x->samples * 1000 / TRANSCODE_RATE;
	int e;

	if (!x->anchored || in->ms - expect > TRANSCODE_RESYNC_MS ||
	    expect - in->ms > TRANSCODE_RESYNC_MS) {
		x->anchor_ms = in->ms - x->samples * 1000 / TRANSCODE_RATE;
		x->anchored = 1;
	}
	x->pkt->data = (uint8_t *)in->data;
	x->pkt->size = (int)in->len;
	e = avcodec_send_packet(x->dec, x->pkt);
	x->pkt->data = NULL;
	x->pkt->size = 0;
	if (e < 0)
		return e;
	while (avcodec_receive_frame(x->dec, x->in) == 0) {
		const int16_t *s = (const int16_t *)x->in->data[0];

		for (int i = 0; i < x->in->nb_samples; i++) {
			x->fifo[x->nfifo++] = s[i] / 32768.0f;
			x->samples++;
			if (x->nfifo >= x->enc->frame_size &&
			    (e = transcode_encode(t, x)) < 0)
				break;
		}
		av_frame_unref(x->in);
		if (e < 0)
			return e;
	}
	return 0;
}

static int
transcode_open(struct transcode *t, struct transcode_ctx *x)
{
	const AVCodec *dc = avcodec_find_decoder(t->ulaw ?
	    AV_CODEC_ID_PCM_MULAW : AV_CODEC_ID_PCM_ALAW);
	const AVCodec *ec = avcodec_find_encoder(AV_CODEC_ID_AAC);
	AVDictionary *opts = NULL;
	int e;

	if (dc == NULL || ec == NULL)
		return AVERROR_DECODER_NOT_FOUND;
	if ((x->dec = avcodec_alloc_context3(dc)) == NULL ||
	    (x->enc = avcodec_alloc_context3(ec)) == NULL ||
	    (x->in = av_frame_alloc()) == NULL ||
	    (x->out = av_frame_alloc()) == NULL ||
	    (x->pkt = av_packet_alloc()) == NULL)
		return AVERROR(ENOMEM);
	x->dec->sample_rate = TRANSCODE_RATE;
	av_channel_layout_default(&x->dec->ch_layout, TRANSCODE_CHANNELS);
	if ((e = avcodec_open2(x->dec, dc, NULL)) < 0)
		return e;
	x->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
	x->enc->sample_rate = TRANSCODE_RATE;
	av_channel_layout_default(&x->enc->ch_layout, TRANSCODE_CHANNELS);
	x->enc->bit_rate = TRANSCODE_BITRATE;
	x->enc->time_base = (AVRational){ 1, TRANSCODE_RATE };
	x->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	/*
	 * The default two-loop coder costs 3-4 times more (0.8% of a core per
	 * stream); speech from a camera needs neither PNS nor TNS.
	 */
	av_dict_set(&opts, "aac_coder", "fast", 0);
	av_dict_set(&opts, "aac_pns", "0", 0);
	av_dict_set(&opts, "aac_tns", "0", 0);
	e = avcodec_open2(x->enc, ec, &opts);
	av_dict_free(&opts);
	if (e < 0)
		return e;
	if (x->enc->frame_size <= 0 || x->enc->frame_size > TRANSCODE_FIFO / 2)
		return AVERROR(EINVAL);
	x->out->nb_samples = x->enc->frame_size;
	x->out->format = x->enc->sample_fmt;
	x->out->sample_rate = TRANSCODE_RATE;
	if ((e = av_channel_layout_copy(&x->out->ch_layout,
	    &x->enc->ch_layout)) < 0)
		return e;
	return av_frame_get_buffer(x->out, 0);
}

static void *
transcode_main(void *arg)
{
	struct transcode *t = arg;
	struct transcode_ctx *x;
	struct transcode_in *list, *in;
	char err[128];
	int e;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	if ((e = transcode_open(t, x)) < 0) {
		av_strerror(e, err, sizeof(err));
		log_warnx("transcode %s: %s", t->name, err);
	}
	for (;;) {
		pthread_mutex_lock(&t->mtx);
		while (t->in_head == NULL && !t->stop)
			pthread_cond_wait(&t->cond, &t->mtx);
		list = t->stop ? NULL : t->in_head;
		if (list != NULL) {
			t->in_head = t->in_tail = NULL;
			t->nin = 0;
		}
		pthread_mutex_unlock(&t->mtx);
		if (list == NULL)
			break;
		for (; list != NULL; list = in) {
			in = list->next;
			if (e >= 0 && (e = transcode_one(t, x, list)) < 0) {
				av_strerror(e, err, sizeof(err));
				log_warnx("transcode %s: %s (audio stops)",
				    t->name, err);
			}
			free(list);
		}
	}
	avcodec_free_context(&x->dec);
	avcodec_free_context(&x->enc);
	av_frame_free(&x->in);
	av_frame_free(&x->out);
	av_packet_free(&x->pkt);
	free(x);
	return NULL;
}

int
transcode_start(struct transcode **tp, int ulaw, const char *name)
{
	struct transcode *t;
	int e;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ENOMEM;
	t->ulaw = ulaw;
	pthread_mutex_init(&t->mtx, NULL);
	pthread_cond_init(&t->cond, NULL);
	if ((t->name = strdup(name)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	if ((t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		e = errno;
		goto out;
	}
	if ((e = pthread_create(&t->thread, NULL, transcode_main, t)) != 0) {
		close(t->efd);
		goto out;
	}
	*tp = t;
	return 0;
out:
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mtx);
	free(t->name);
	free(t);
	return e;
}

int
transcode_fd(const struct transcode *t)
{
	return t->efd;
}

int
transcode_put(struct transcode *t, int64_t ms, const uint8_t *p, size_t n)
{
	struct transcode_in *in;

	if ((in = malloc(sizeof(*in) + n)) == NULL)
		return ENOMEM;
	in->next = NULL;
	in->ms = ms;
	in->len = n;
	memcpy(in->data, p, n);
	pthread_mutex_lock(&t->mtx);
	if (t->nin >= TRANSCODE_QUEUE_MAX) {
		pthread_mutex_unlock(&t->mtx);
		free(in);
		return ENOBUFS;
	}
	if (t->in_tail != NULL)
		t->in_tail->next = in;
	else
		t->in_head = in;
	t->in_tail = in;
	t->nin++;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->mtx);
	return 0;
}

struct transcode_frame *
transcode_take(struct transcode *t)
{
	struct transcode_frame *f;
	uint64_t n;

	(void)!read(t->efd, &n, sizeof(n));
	pthread_mutex_lock(&t->mtx);
	f = t->out_head;
	t->out_head = t->out_tail = NULL;
	pthread_mutex_unlock(&t->mtx);
	return f;
}

void
transcode_free(struct transcode *t)
{
	struct transcode_frame *f;
	struct transcode_in *in;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mtx);
	t->stop = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->mtx);
	pthread_join(t->thread, NULL);
	while ((in = t->in_head) != NULL) {
		t->in_head = in->next;
		free(in);
	}
	while ((f = t->out_head) != NULL) {
		t->out_head = f->next;
		free(f);
	}
	close(t->efd);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mtx);
	free(t->name);
	free(t);
}
