/*
 * Where demuxed GB28181 frames go: H.264 to the edge over RTMP (the relay
 * thread), H.265 to mediad's own HTTP-FLV session (codec id 12) and HLS;
 * G.711 through the transcode thread to AAC, AAC as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/vtime.h"
#include "aac.h"
#include "flv.h"
#include "gb.h"
#include "nal.h"
#include "relay.h"
#include "transcode.h"
#include "upstream.h"

#define GBOUT_RETRY_MAX_S	30	/* relay restarts back off to this */
#define GBOUT_RELAY_STEADY_US	(30ULL * 1000000)
#define GBOUT_PTS_MASK		((1LL << 33) - 1)

static const char *const gbout_codecs[] = {
	[PS_CODEC_NONE] = "none", [PS_CODEC_H264] = "H.264",
	[PS_CODEC_H265] = "H.265", [PS_CODEC_AAC] = "AAC",
	[PS_CODEC_G711A] = "G.711A", [PS_CODEC_G711U] = "G.711U",
};

static const char *
gbout_codec(enum ps_codec c)
{
	return (unsigned)c < sizeof(gbout_codecs) / sizeof(gbout_codecs[0]) &&
	    gbout_codecs[c] != NULL ? gbout_codecs[c] : "unknown";
}

static void gbout_video_out(struct gb_stream *, int, int64_t, int64_t,
    const uint8_t *, size_t);
static void gbout_audio_out(struct gb_stream *, int64_t, const uint8_t *,
    size_t);

/* The FLV time of a frame of track i, or -1 to drop it (before start). */
static int64_t
gbout_flv_ts(struct gb_stream *gs, int i, int64_t ms)
{
	int64_t t = ms - gs->flv_origin;

	if (t < 0)
		return -1;
	if (t < gs->flv_last[i])
		t = gs->flv_last[i];
	gs->flv_last[i] = t;
	return t;
}

static void
gbout_flv_feed(struct gb_stream *gs, enum upstream_kind kind, int video,
    int key)
{
	if (gs->flv != NULL && gs->tag.len > 0)
		session_local_feed(gs->flv, kind, video, key, gs->tag.p,
		    gs->tag.len);
}

static void
gbout_flv_vseq(struct gb_stream *gs)
{
	buf_reset(&gs->tag);
	if (flv_video_codec(&gs->tag, FLV_CODEC_HEVC, 0, 1, FLV_AVC_SEQ_HEADER,
	    0, gs->vconfig.p, gs->vconfig.len) == 0)
		gbout_flv_feed(gs, UPSTREAM_VSEQ, 1, 1);
}

static void
gbout_flv_aseq(struct gb_stream *gs)
{
	buf_reset(&gs->tag);
	if (flv_audio(&gs->tag, 0, FLV_AAC_SEQ_HEADER, gs->asc,
	    sizeof(gs->asc)) == 0)
		gbout_flv_feed(gs, UPSTREAM_ASEQ, 0, 1);
}

/* Scratch room for the length-prefixed form of n bytes of Annex B. */
static uint8_t *
gbout_lp(struct gb_stream *gs, size_t n)
{
	size_t need = NAL_LP_MAX(n);
	uint8_t *p;

	if (need > gs->lpcap) {
		if ((p = realloc(gs->lp, need)) == NULL)
			return NULL;
		gs->lp = p;
		gs->lpcap = need;
	}
	return gs->lp;
}

static void
gbout_relay_open(struct gb_stream *gs)
{
	struct mediad *md = gs->md;
	struct relay_params p = { 0 };
	char name[128], url[1024], opts[1024], dir[768];
	int hevc = gs->vcodec == PS_CODEC_H265, e;

	snprintf(name, sizeof(name), "%s %s/%llu", hevc ? "hls" : "rtmp",
	    gs->app, (unsigned long long)gs->stream_id);
	p.name = name;
	p.hevc = hevc;
	p.width = gs->width;
	p.height = gs->height;
	if (hevc) {
		/* the edge's layout: <hls_dir>/<App>/<id>.m3u8, <id>-<n>.ts */
		snprintf(dir, sizeof(dir), "%s/%s", md->conf->hls_dir, gs->app);
		if (mkdir(dir, 0750) == -1 && errno != EEXIST)
			log_warn("gb stream %llu: %s", (unsigned long long)
			    gs->stream_id, dir);
		snprintf(url, sizeof(url), "%s/%llu.m3u8", dir,
		    (unsigned long long)gs->stream_id);
		snprintf(opts, sizeof(opts), "hls_time=2:hls_list_size=6:"
		    "hls_flags=delete_segments:hls_start_number_source=epoch:"
		    "hls_segment_filename=%s/%llu-%%d.ts", dir,
		    (unsigned long long)gs->stream_id);
		p.format = "hls";
		p.options = opts;
		p.vconfig = (const uint8_t *)gs->vsets.p;
		p.vconfig_len = gs->vsets.len;
	} else {
		if (gs->token == NULL) {
			log_warnx("gb stream %llu: no push token, not"
			    " republished", (unsigned long long)gs->stream_id);
			gs->relay_retry_us = UINT64_MAX;
			return;
		}
		snprintf(url, sizeof(url), "%s/%s/%llu?token=%s",
		    md->conf->edge_rtmp, gs->app,
		    (unsigned long long)gs->stream_id, gs->token);
		p.format = "flv";
		/* RTMP cannot seek back to fix the header at the end */
		p.options = "flvflags=no_duration_filesize";
		p.vconfig = (const uint8_t *)gs->vconfig.p;
		p.vconfig_len = gs->vconfig.len;
	}
	p.url = url;
	if (gs->acodec != PS_CODEC_NONE && gs->arate != 0) {
		p.audio = 1;
		p.aconfig = gs->asc;
		p.aconfig_len = sizeof(gs->asc);
		p.rate = gs->arate;
		p.channels = gs->achannels;
	}
	e = relay_start(&gs->relay, &p);
	explicit_bzero(url, sizeof(url));
	if (e != 0) {
		log_warnx("gb stream %llu: relay: %s",
		    (unsigned long long)gs->stream_id, strerror(e));
		gs->relay = NULL;
		gs->relay_fails++;
		gs->relay_retry_us = vtime_mono_us() + 1000000ULL *
		    (gs->relay_fails > 4 ? GBOUT_RETRY_MAX_S :
		    1u << gs->relay_fails);
		return;
	}
	gs->relay_audio = p.audio;
	gs->relay_since_us = vtime_mono_us();
}

static void
gbout_hold(struct gb_stream *gs, int video, int key, int64_t pts,
    int64_t dts, const uint8_t *data, size_t len)
{
	struct gb_held *h;

	if (gs->held_bytes + len > GB_HOLD_MAX ||
	    (h = malloc(sizeof(*h) + len)) == NULL)
		return;
	h->next = NULL;
	h->video = video;
	h->key = key;
	h->pts = pts;
	h->dts = dts;
	h->len = len;
	memcpy(h->data, data, len);
	if (gs->held == NULL)
		gs->held_tail = &gs->held;
	*gs->held_tail = h;
	gs->held_tail = &h->next;
	gs->held_bytes += len;
}

static void
gbout_held_free(struct gb_stream *gs)
{
	struct gb_held *h;

	while ((h = gs->held) != NULL) {
		gs->held = h->next;
		free(h);
	}
	gs->held_bytes = 0;
}

/* Video and (if known by now) audio are settled: the outputs start. */
static void
gbout_start(struct gb_stream *gs)
{
	struct gb_held *h;

	gs->started = 1;
	gs->flv_origin = gs->first_key_ms;
	gs->flv_last[0] = gs->flv_last[1] = 0;
	log_info("gb stream %llu: %s %ux%u%s%s", (unsigned long long)
	    gs->stream_id, gbout_codec(gs->vcodec), gs->width, gs->height,
	    gs->acodec ? " + " : ", no audio",
	    gs->acodec ? gbout_codec(gs->acodec) : "");
	if (gs->vcodec == PS_CODEC_H265) {
		/* not on the edge: mediad says it is on, and serves it */
		gb_status(gs->md, gs->stream_id, gs->group_id, 1);
		if (session_local_open(gs->md, &gs->flv, gs->app,
		    gs->stream_id, gs->tenant_id) == 0) {
			gbout_flv_vseq(gs);
			if (gs->arate != 0)
				gbout_flv_aseq(gs);
		}
	}
	gbout_relay_open(gs);
	while ((h = gs->held) != NULL) {
		gs->held = h->next;
		if (h->video)
			gbout_video_out(gs, h->key, h->pts, h->dts, h->data,
			    h->len);
		else
			gbout_audio_out(gs, h->dts, h->data, h->len);
		free(h);
	}
	gs->held_bytes = 0;
}

static void
gbout_video_out(struct gb_stream *gs, int key, int64_t pts, int64_t dts,
    const uint8_t *data, size_t len)
{
	int hevc = gs->vcodec == PS_CODEC_H265;
	uint8_t *p;
	size_t n;
	int64_t t;

	if (gs->relay == NULL && key && vtime_mono_us() >= gs->relay_retry_us)
		gbout_relay_open(gs);
	if (gs->relay != NULL && !hevc &&
	    (p = relay_frame(gs->relay, NAL_LP_MAX(len))) != NULL) {
		n = nal_to_lp(NAL_H264, data, len, p);
		relay_push(gs->relay, 1, key, pts, dts, n);
	} else if (gs->relay != NULL && hevc &&
	    (p = relay_frame(gs->relay, len)) != NULL) {
		/* mpegts takes Annex B as it comes */
		memcpy(p, data, len);
		relay_push(gs->relay, 1, key, pts, dts, len);
	}
	if (gs->flv == NULL || (t = gbout_flv_ts(gs, 0, dts)) < 0 ||
	    (p = gbout_lp(gs, len)) == NULL)
		return;
	n = nal_to_lp(NAL_H265, data, len, p);
	buf_reset(&gs->tag);
	if (flv_video_codec(&gs->tag, FLV_CODEC_HEVC, (uint32_t)t, key,
	    FLV_AVC_NALU, (int32_t)(pts - dts), p, n) == 0)
		gbout_flv_feed(gs, UPSTREAM_TAG, 1, key);
}

static void
gbout_audio_out(struct gb_stream *gs, int64_t ms, const uint8_t *data,
    size_t len)
{
	uint8_t *p;
	int64_t t;

	if (!gs->started) {
		/* kept only once video is held: it starts the stream */
		if (gs->held != NULL)
			gbout_hold(gs, 0, 0, ms, ms, data, len);
		return;
	}
	if (gs->relay != NULL && gs->relay_audio &&
	    (p = relay_frame(gs->relay, len)) != NULL) {
		memcpy(p, data, len);
		relay_push(gs->relay, 0, 0, ms, ms, len);
	}
	if (gs->flv == NULL || (t = gbout_flv_ts(gs, 1, ms)) < 0)
		return;
	buf_reset(&gs->tag);
	if (flv_audio(&gs->tag, (uint32_t)t, FLV_AAC_RAW, data, len) == 0)
		gbout_flv_feed(gs, UPSTREAM_TAG, 0, 0);
}

/*
 * Takes the parameter sets of a keyframe: 0 when gs->vconfig holds them,
 * ENOENT when the keyframe lacks some (and none were seen before).
 */
static int
gbout_params(struct gb_stream *gs, const struct ps_frame *f)
{
	enum nal_codec c = f->codec == PS_CODEC_H265 ? NAL_H265 : NAL_H264;
	const uint8_t *q = f->data, *end = f->data + f->len, *nal;
	const uint8_t *vps = NULL, *sps = NULL, *pps = NULL;
	size_t len, vpsn = 0, spsn = 0, ppsn = 0;
	struct buf cfg = { 0 };
	unsigned w = 0, h = 0;
	int e;

	while (nal_next(&q, end, &nal, &len) == 0)
		switch (nal_type(c, nal, len)) {
		case NAL_H264_SPS:
			if (c == NAL_H264 && sps == NULL) {
				sps = nal;
				spsn = len;
			}
			break;
		case NAL_H264_PPS:
			if (c == NAL_H264 && pps == NULL) {
				pps = nal;
				ppsn = len;
			}
			break;
		case NAL_H265_VPS:
			if (vps == NULL) {
				vps = nal;
				vpsn = len;
			}
			break;
		case NAL_H265_SPS:
			if (sps == NULL) {
				sps = nal;
				spsn = len;
			}
			break;
		case NAL_H265_PPS:
			if (pps == NULL) {
				pps = nal;
				ppsn = len;
			}
			break;
		}
	if (sps == NULL || pps == NULL || (c == NAL_H265 && vps == NULL))
		return gs->vconfig.len > 0 ? 0 : ENOENT;
	if (c == NAL_H265)
		e = nal_hevc_config(&cfg, vps, vpsn, sps, spsn, pps, ppsn) ||
		    nal_hevc_size(sps, spsn, &w, &h) ? EBADMSG : 0;
	else
		e = nal_avc_config(&cfg, sps, spsn, pps, ppsn) ||
		    nal_avc_size(sps, spsn, &w, &h) ? EBADMSG : 0;
	if (e != 0) {
		buf_free(&cfg);
		if (!gs->mixed_logged++)
			log_warnx("gb stream %llu: parameter sets: %s",
			    (unsigned long long)gs->stream_id, strerror(e));
		return gs->vconfig.len > 0 ? 0 : e;
	}
	if (cfg.len == gs->vconfig.len &&
	    memcmp(cfg.p, gs->vconfig.p, cfg.len) == 0) {
		buf_free(&cfg);
		return 0;
	}
	if (gs->vconfig.len > 0)
		log_info("gb stream %llu: new parameter sets",
		    (unsigned long long)gs->stream_id);
	buf_free(&gs->vconfig);
	gs->vconfig = cfg;
	gs->width = w;
	gs->height = h;
	buf_reset(&gs->vsets);
	for (int i = vps != NULL ? 0 : 1; i < 3; i++) {
		const uint8_t *sets[] = { vps, sps, pps };
		const size_t lens[] = { vpsn, spsn, ppsn };

		buf_add(&gs->vsets, "\0\0\0\1", 4);
		buf_add(&gs->vsets, sets[i], lens[i]);
	}
	if (gs->started) {
		/* FLV viewers take a new sequence header; the edge a new
		 * publish from this keyframe on */
		if (gs->flv != NULL)
			gbout_flv_vseq(gs);
		if (gs->relay != NULL && c == NAL_H264) {
			gb_bury(gs->md, gs->relay);
			gs->relay = NULL;
			gs->relay_retry_us = 0;
		}
	}
	return 0;
}

static void
gbout_video(struct gb_stream *gs, const struct ps_frame *f, int64_t pts,
    int64_t dts)
{
	if (gs->vcodec == PS_CODEC_NONE) {
		if (!f->key)
			return;
		if (f->codec != PS_CODEC_H264 && f->codec != PS_CODEC_H265) {
			if (!gs->mixed_logged++)
				log_warnx("gb stream %llu: video %s not"
				    " supported", (unsigned long long)
				    gs->stream_id, gbout_codec(f->codec));
			return;
		}
		gs->vcodec = f->codec;
	}
	if (f->codec != gs->vcodec) {
		if (!gs->mixed_logged++)
			log_warnx("gb stream %llu: %s frames in a %s stream"
			    " dropped", (unsigned long long)gs->stream_id,
			    gbout_codec(f->codec), gbout_codec(gs->vcodec));
		return;
	}
	if (f->key && gbout_params(gs, f) != 0)
		return;
	if (gs->vconfig.len == 0)
		return;
	if (gs->started) {
		gbout_video_out(gs, f->key, pts, dts, f->data, f->len);
		return;
	}
	/* the first keyframe: wait a little to learn of audio */
	if (gs->held == NULL)
		gs->first_key_ms = dts;
	gbout_hold(gs, 1, f->key, pts, dts, f->data, f->len);
	if (gs->acodec != PS_CODEC_NONE ||
	    dts - gs->first_key_ms >= GB_AUDIO_WAIT_MS ||
	    gs->held_bytes > GB_HOLD_MAX / 2)
		gbout_start(gs);
}

static void
gbout_on_transcode(void *arg, uint32_t events)
{
	struct gb_stream *gs = arg;
	struct transcode_frame *f, *next;

	for (f = transcode_take(gs->tc); f != NULL; f = next) {
		next = f->next;
		gbout_audio_out(gs, f->ms, f->data, f->len);
		free(f);
	}
}

/* The first audio frame: what the outputs will carry. 0 or an errno. */
static int
gbout_audio_first(struct gb_stream *gs, const struct ps_frame *f)
{
	struct aac_adts h;
	int e;

	switch (f->codec) {
	case PS_CODEC_AAC:
		if (aac_adts_parse(f->data, f->len, &h) != 0)
			return EBADMSG;
		aac_config(gs->asc, h.object, h.rate_index, h.channels);
		gs->arate = h.rate;
		gs->achannels = h.channels;
		break;
	case PS_CODEC_G711A:
	case PS_CODEC_G711U: {
		char name[MEDIAD_APP_MAX + 24];

		snprintf(name, sizeof(name), "%s/%llu", gs->app,
		    (unsigned long long)gs->stream_id);
		if ((e = transcode_start(&gs->tc, f->codec == PS_CODEC_G711U,
		    name)) != 0)
			return e;
		gs->tc_ev = (struct loop_ev){ .fd = transcode_fd(gs->tc),
		    .events = EPOLLIN, .cb = gbout_on_transcode, .arg = gs };
		if ((e = loop_add(gs->md->loop, &gs->tc_ev)) != 0) {
			transcode_free(gs->tc);
			gs->tc = NULL;
			return e;
		}
		aac_config(gs->asc, AAC_LC, (unsigned)aac_rate_index(
		    TRANSCODE_RATE), TRANSCODE_CHANNELS);
		gs->arate = TRANSCODE_RATE;
		gs->achannels = TRANSCODE_CHANNELS;
		break;
	}
	default:
		return EOPNOTSUPP;
	}
	gs->acodec = f->codec;
	return 0;
}

static void
gbout_audio(struct gb_stream *gs, const struct ps_frame *f, int64_t ms)
{
	const uint8_t *p = f->data;
	size_t n = f->len;
	struct aac_adts h;
	int e;

	/* before the first keyframe (and its PSM) the codec is a guess */
	if (gs->vconfig.len == 0)
		return;
	if (gs->acodec == PS_CODEC_NONE &&
	    (e = gbout_audio_first(gs, f)) != 0) {
		if (!gs->mixed_logged++)
			log_warnx("gb stream %llu: audio %s: %s",
			    (unsigned long long)gs->stream_id,
			    gbout_codec(f->codec), strerror(e));
		return;
	}
	if (f->codec != gs->acodec)
		return;
	if (gs->started && gs->flv != NULL && gs->flv->aseq.len == 0)
		gbout_flv_aseq(gs);
	if (gs->tc != NULL)
		transcode_put(gs->tc, ms, p, n);
	else
		/* one PES may carry several ADTS frames */
		for (int64_t k = 0; aac_adts_parse(p, n, &h) == 0; k++) {
			gbout_audio_out(gs, ms + k * 1024 * 1000 /
			    (int64_t)gs->arate, p + h.header,
			    h.frame - h.header);
			p += h.frame;
			n -= h.frame;
		}
	if (!gs->started && gs->held != NULL)
		gbout_start(gs);
}

void
gbout_frame(void *arg, const struct ps_frame *f)
{
	struct gb_stream *gs = arg;
	int64_t dts90 = f->dts >= 0 ? f->dts : f->pts, pts, dts, d;

	if (dts90 < 0)
		dts = pts = gs->last_ms;
	else {
		dts = tsmap_ms(&gs->ts, dts90);
		d = f->pts >= 0 ? (f->pts - dts90) & GBOUT_PTS_MASK : 0;
		if (d >= 1LL << 32)
			d -= 1LL << 33;
		pts = d > 0 && d < TSMAP_JUMP ? dts + d / 90 : dts;
	}
	gs->last_ms = dts;
	if (f->video)
		gbout_video(gs, f, pts, dts);
	else
		gbout_audio(gs, f, dts);
}

void
gbout_tick(struct gb_stream *gs, uint64_t now)
{
	if (gs->relay == NULL)
		return;
	if (!relay_done(gs->relay)) {
		if (now - gs->relay_since_us > GBOUT_RELAY_STEADY_US)
			gs->relay_fails = 0;
		return;
	}
	gb_bury(gs->md, gs->relay);
	gs->relay = NULL;
	gs->edge_clients = 0;
	gs->relay_fails++;
	gs->relay_retry_us = now + 1000000ULL * (gs->relay_fails > 4 ?
	    GBOUT_RETRY_MAX_S : 1u << gs->relay_fails);
	log_info("gb stream %llu: relay ended, again in %llu s",
	    (unsigned long long)gs->stream_id,
	    (unsigned long long)((gs->relay_retry_us - now) / 1000000));
	/* a dead edge sends no publish_done: off until the next publish */
	if (gs->vcodec == PS_CODEC_H264)
		gb_status(gs->md, gs->stream_id, gs->group_id, 0);
}

void
gbout_close(struct gb_stream *gs)
{
	if (gs->relay != NULL) {
		gb_bury(gs->md, gs->relay);
		gs->relay = NULL;
	}
	if (gs->tc != NULL) {
		loop_del(gs->md->loop, &gs->tc_ev);
		transcode_free(gs->tc);
		gs->tc = NULL;
	}
	if (gs->flv != NULL) {
		session_local_close(gs->flv);
		gs->flv = NULL;
	}
	gbout_held_free(gs);
	buf_free(&gs->vconfig);
	buf_free(&gs->vsets);
	buf_free(&gs->tag);
	free(gs->lp);
	gs->lp = NULL;
	gs->lpcap = 0;
}
