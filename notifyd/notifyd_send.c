/*
 * Concurrent callback POSTs on libcurl's multi interface: every request runs
 * side by side with its own timeout, so a slow or dead receiver only ever
 * costs its own requests.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/netguard.h"
#include "notifyd.h"

struct notifyd_send_req {
	CURL			*easy;
	const struct netguard	*guard;
	const char		*refused;	/* why the guard said no */
	struct curl_slist	*headers;
	struct notifyd_event	*event;
	char			 errbuf[CURL_ERROR_SIZE];
	struct notifyd_send_req	*next;
};

struct notifyd_send {
	CURLM			*multi;
	unsigned		 max;
	long			 timeout_ms;
	unsigned		 count;
	const struct netguard	*guard;
	struct notifyd_send_req	*reqs;
	char			 error[CURL_ERROR_SIZE + 64];
};

static size_t
notifyd_send_discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/*
 * Every address libcurl is about to connect to, whatever the DNS said when
 * the Callback was set, and with no proxy in between: the guard decides.
 */
static curl_socket_t
notifyd_send_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct notifyd_send_req *r = arg;

	if ((r->refused = netguard_addr(r->guard, &a->addr)) != NULL)
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype, a->protocol);
}

int
notifyd_send_alloc(struct notifyd_send **sp, unsigned max, long timeout_ms,
    const struct netguard *guard)
{
	struct notifyd_send *s;

	*sp = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return EIO;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ENOMEM;
	if ((s->multi = curl_multi_init()) == NULL) {
		free(s);
		return ENOMEM;
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)max);
	s->max = max;
	s->timeout_ms = timeout_ms;
	s->guard = guard;
	*sp = s;
	return 0;
}

static void
notifyd_send_req_free(struct notifyd_send *s, struct notifyd_send_req *r)
{
	if (r->easy != NULL) {
		curl_multi_remove_handle(s->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	free(r);
}

void
notifyd_send_free(struct notifyd_send *s)
{
	struct notifyd_send_req *r;

	if (s == NULL)
		return;
	while ((r = s->reqs) != NULL) {
		s->reqs = r->next;
		notifyd_event_free(r->event);
		notifyd_send_req_free(s, r);
	}
	curl_multi_cleanup(s->multi);
	free(s);
	curl_global_cleanup();
}

int
notifyd_send_start(struct notifyd_send *s, struct notifyd_event *e)
{
	struct notifyd_send_req *r;
	struct curl_slist *h;
	char sig[96];
	int error = ENOMEM;

	if (s->count >= s->max)
		return EBUSY;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ENOMEM;
	if ((r->easy = curl_easy_init()) == NULL)
		goto out;
	snprintf(sig, sizeof(sig), "X-Signature: %s", e->signature);
	/* "Expect:" keeps curl from waiting for a 100 Continue */
	if ((h = curl_slist_append(NULL, "Content-Type: application/json")) ==
	    NULL)
		goto out;
	r->headers = h;
	if (curl_slist_append(h, sig) == NULL ||
	    curl_slist_append(h, "Expect:") == NULL)
		goto out;
	r->guard = s->guard;
	curl_easy_setopt(r->easy, CURLOPT_URL, e->url);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->easy, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(r->easy, CURLOPT_OPENSOCKETFUNCTION,
	    notifyd_send_socket);
	curl_easy_setopt(r->easy, CURLOPT_OPENSOCKETDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, e->body);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(e->body));
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT,
	    "vigil-notifyd/" PACKAGE_VERSION);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, notifyd_send_discard);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	if (curl_multi_add_handle(s->multi, r->easy) != CURLM_OK) {
		error = EIO;
		goto out;
	}
	r->event = e;
	e->handle = r;
	r->next = s->reqs;
	s->reqs = r;
	s->count++;
	return 0;
out:
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	r->easy = NULL;
	notifyd_send_req_free(s, r);
	return error;
}

unsigned
notifyd_send_count(const struct notifyd_send *s)
{
	return s->count;
}

unsigned
notifyd_send_count_url(const struct notifyd_send *s, const char *url)
{
	const struct notifyd_send_req *r;
	unsigned n = 0;

	for (r = s->reqs; r != NULL; r = r->next)
		if (strcmp(r->event->url, url) == 0)
			n++;
	return n;
}

int
notifyd_send_wait(struct notifyd_send *s, int fd, int timeout_ms)
{
	struct curl_waitfd w = { .fd = fd, .events = CURL_WAIT_POLLIN };
	int running;

	if (curl_multi_poll(s->multi, fd >= 0 ? &w : NULL, fd >= 0 ? 1 : 0,
	    timeout_ms, NULL) != CURLM_OK ||
	    curl_multi_perform(s->multi, &running) != CURLM_OK)
		return EIO;
	return 0;
}

struct notifyd_event *
notifyd_send_done(struct notifyd_send *s, long *status, const char **error,
    int *refused)
{
	struct notifyd_send_req *r, **rp;
	struct notifyd_event *e;
	CURLMsg *m;
	int left;

	*status = 0;
	*error = "";
	do {
		if ((m = curl_multi_info_read(s->multi, &left)) == NULL)
			return NULL;
	} while (m->msg != CURLMSG_DONE);
	curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
	*refused = r->refused != NULL;
	if (r->refused != NULL)
		snprintf(s->error, sizeof(s->error), "refused: the Callback "
		    "leads to %s", r->refused);
	else if (m->data.result != CURLE_OK)
		snprintf(s->error, sizeof(s->error), "%s",
		    r->errbuf[0] ? r->errbuf :
		    curl_easy_strerror(m->data.result));
	else {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, status);
		if (*status < 200 || *status > 299)
			snprintf(s->error, sizeof(s->error), "HTTP %ld",
			    *status);
		else
			s->error[0] = '\0';
	}
	*error = s->error;
	for (rp = &s->reqs; *rp != r; rp = &(*rp)->next)
		;
	*rp = r->next;
	s->count--;
	e = r->event;
	e->handle = NULL;
	notifyd_send_req_free(s, r);
	return e;
}
