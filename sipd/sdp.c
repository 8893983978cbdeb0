/* GB28181 SDP offers and answers (see sdp.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

int
sdp_offer_build(char *out, size_t outsz, const struct sdp_offer *o)
{
	char t[48], u[48] = "";
	int n;

	if (o->playback) {
		snprintf(t, sizeof(t), "%" PRId64 " %" PRId64, o->start,
		    o->end);
		snprintf(u, sizeof(u), "u=%s:0\r\n", o->channel);
	} else
		snprintf(t, sizeof(t), "0 0");
	n = snprintf(out, outsz,
	    "v=0\r\n"
	    "o=%s 0 0 IN IP4 %s\r\n"
	    "s=%s\r\n"
	    "%s"
	    "c=IN IP4 %s\r\n"
	    "t=%s\r\n"
	    "m=video %d %sRTP/AVP 96 97 98\r\n"
	    "a=recvonly\r\n"
	    "a=rtpmap:96 PS/90000\r\n"
	    "a=rtpmap:97 MPEG4/90000\r\n"
	    "a=rtpmap:98 H264/90000\r\n"
	    "%s"
	    "y=%s\r\n",
	    o->origin, o->ip, o->playback ? "Playback" : "Play", u, o->ip, t,
	    o->port, o->tcp ? "TCP/" : "",
	    o->tcp ? "a=setup:passive\r\na=connection:new\r\n" : "", o->ssrc);
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}

/* Copies the n bytes of a field value, trimmed, into out[outsz]. */
static void
sdp_copy(char *out, size_t outsz, const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\r'))
		n--;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void
sdp_line(struct sdp_answer *a, const char *p, size_t n, int *in_video,
    int *media)
{
	char v[128], proto[32];
	int port;

	if (n < 2 || p[1] != '=')
		return;
	sdp_copy(v, sizeof(v), p + 2, n - 2);
	switch (p[0]) {
	case 'm':
		*media = 1;
		*in_video = 0;
		if (a->port == 0 && sscanf(v, "video %d %31s", &port,
		    proto) == 2 && port > 0 && port < 65536) {
			*in_video = 1;
			a->port = port;
			a->tcp = strncmp(proto, "TCP/", 4) == 0;
		}
		break;
	case 'c':
		/* session level, overridden by the video section's */
		if ((!*media || *in_video) && strncmp(v, "IN IP4 ", 7) == 0)
			sdp_copy(a->ip, sizeof(a->ip), v + 7, strlen(v + 7));
		break;
	case 'a':
		if (*in_video && strncmp(v, "setup:", 6) == 0)
			sdp_copy(a->setup, sizeof(a->setup), v + 6,
			    strlen(v + 6));
		break;
	case 'y':
		if (strlen(v) < SDP_SSRC_LEN &&
		    strspn(v, "0123456789") == strlen(v))
			snprintf(a->ssrc, sizeof(a->ssrc), "%s", v);
		break;
	}
}

int
sdp_answer_parse(const char *body, size_t len, struct sdp_answer *a)
{
	const char *p = body, *end = body + len;
	int in_video = 0, media = 0;

	memset(a, 0, sizeof(*a));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (nl ? nl : end) - p;

		sdp_line(a, p, n, &in_video, &media);
		p += n + (nl != NULL);
	}
	return a->port > 0 ? 0 : EBADMSG;
}
