/*
 * Worker: FCGX_Accept_r loop. SIGTERM sets a flag and closes the listening
 * socket, so accept fails and the worker exits after its current request.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "common/conf.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/id.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/vault.h"
#include "common/vtime.h"
#include "api.h"
#include "auth.h"
#include "internal.h"
#include "reply.h"
#include "router.h"
#include "worker.h"

#define WORKER_GC_INTERVAL_US	(60ULL * 1000000)

static volatile sig_atomic_t worker_quit;
static int worker_listen_fd = -1;
static char *worker_secret;	/* the internal secret, for /internal/ */

static void
worker_on_term(int sig)
{
	(void)sig;
	worker_quit = 1;
	FCGX_ShutdownPending();
	if (worker_listen_fd != -1)
		close(worker_listen_fd);
	worker_listen_fd = -1;
}

/* Reads the parameters of the query string and a form body. */
static enum api_err
worker_params(struct api_req *r, FCGX_Request *rq)
{
	const char *qs = FCGX_GetParam("QUERY_STRING", rq->envp);
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
	const char *ct = FCGX_GetParam("CONTENT_TYPE", rq->envp);
	size_t qlen = qs ? strlen(qs) : 0;
	long blen = cl ? strtol(cl, NULL, 10) : 0;
	char why[160] = "";
	char *body = NULL;
	int error = 0;

	if (blen < 0 || (size_t)blen + qlen > (size_t)r->conf->max_request)
		return api_fail(r, AE_TOO_LARGE, "The request is larger than "
		    "%d bytes.", r->conf->max_request);
	if (qlen > 0)
		error = params_parse(&r->params, qs, qlen, why, sizeof(why));
	if (error == 0 && blen > 0 && strcmp(r->method, "POST") == 0 &&
	    params_is_form(ct)) {
		if ((body = malloc((size_t)blen)) == NULL)
			return api_fail_errno(r, ENOMEM, "body");
		if (FCGX_GetStr(body, (int)blen, rq->in) != blen) {
			free(body);
			return api_fail(r, AE_INVALID_PARAMETER,
			    "The request body is shorter than its "
			    "Content-Length.");
		}
		error = params_parse(&r->params, body, (size_t)blen, why,
		    sizeof(why));
		free(body);
	}
	if (error == 0)
		error = params_finish(&r->params, why, sizeof(why));
	if (error == ENOMEM)
		return api_fail_errno(r, error, "parameters");
	if (error)
		return api_fail(r, AE_INVALID_PARAMETER, "Invalid request: %s.",
		    why);
	return AE_OK;
}

static const char *
worker_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/*
 * libfcgi's own printf lacks %zu and friends: format here instead. An API
 * reply names its RequestId in X-Request-Id (rid, or NULL), for the web
 * server's access log, which logs no query or body.
 */
static void
worker_write_type(FCGX_Request *rq, int status, const char *type,
    const char *rid, const char *body, size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: "
	    "%s\r\n%s%s%sContent-Length: %zu\r\n\r\n", status,
	    worker_reason(status), type, rid ? "X-Request-Id: " : "",
	    rid ? rid : "", rid ? "\r\n" : "", len);
	FCGX_PutStr(head, n, rq->out);
	FCGX_PutStr(body, (int)len, rq->out);
}

static void
worker_write(FCGX_Request *rq, int status, const char *rid,
    const char *body, size_t len)
{
	worker_write_type(rq, status, "application/json;charset=utf-8", rid,
	    body, len);
}

/*
 * The edge's calls under /internal/ (internal.c): no signature, since
 * nginx and nginx-rtmp make them, but from loopback and with the internal
 * secret (VIGIL_SECRET, set by nginx's hooks server from the edge's "k"
 * argument, or by its auth check). The answer is a status line for nginx,
 * not an API reply.
 */
static void
worker_internal(const struct vigil_conf *c, struct db *db, FCGX_Request *rq,
    const char *uri)
{
	struct api_req r = { 0 };
	const char *addr = FCGX_GetParam("REMOTE_ADDR", rq->envp);
	char body[64];
	uint64_t t0 = vtime_mono_us();
	int status, n, uri_len;

	r.conf = c;
	r.db = db;
	r.method = FCGX_GetParam("REQUEST_METHOD", rq->envp);
	if (r.method == NULL)
		r.method = "";
	/* the query is not logged: it may hold a key */
	uri_len = (int)strcspn(uri, "?");
	if (uri_len > 64)
		uri_len = 64;
	if (!internal_loopback(addr)) {
		log_warnx("internal %.*s from %s refused: not loopback",
		    uri_len, uri, addr ? addr : "-");
		status = 403;
	} else if (!secret_equal(worker_secret, FCGX_GetParam("VIGIL_SECRET",
	    rq->envp))) {
		log_warnx("internal %.*s refused: without the internal secret",
		    uri_len, uri);
		status = 403;
	} else if (worker_params(&r, rq) != AE_OK) {
		log_warnx("internal %.*s: %s", uri_len, uri, r.message);
		status = 400;
	} else
		status = internal_serve(&r, uri, FCGX_GetParam(
		    "VIGIL_ORIGINAL_URI", rq->envp), FCGX_GetParam(
		    "VIGIL_CLIENT_ADDR", rq->envp));
	n = snprintf(body, sizeof(body), "%d %s\n", status,
	    worker_reason(status));
	worker_write_type(rq, status, "text/plain", NULL, body, (size_t)n);
	if (c->access_log)
		log_info("access internal %.*s status=%d us=%" PRIu64, uri_len,
		    uri, status, vtime_mono_us() - t0);
	json_object_put(r.body);
	params_free(&r.params);
}

static void
worker_serve(const struct vigil_conf *c, struct db *db, FCGX_Request *rq)
{
	struct api_req r = { 0 };
	const char *uri = FCGX_GetParam("REQUEST_URI", rq->envp);
	const char *body;
	json_object *o;
	uint64_t t0 = vtime_mono_us();
	size_t len;

	if (uri != NULL && strncmp(uri, "/ping", 5) == 0 &&
	    (uri[5] == '\0' || uri[5] == '?')) {
		static const char pong[] = "{\"Status\":\"ok\"}";

		worker_write(rq, 200, NULL, pong, sizeof(pong) - 1);
		return;
	}
	if (internal_path(uri)) {
		worker_internal(c, db, rq, uri);
		return;
	}
	r.conf = c;
	r.db = db;
	r.method = FCGX_GetParam("REQUEST_METHOD", rq->envp);
	if (r.method == NULL)
		r.method = "";
	if (crypto_uuid(r.request_id) != 0)
		strcpy(r.request_id, "00000000-0000-0000-0000-000000000000");
	if (strcmp(r.method, "GET") != 0 && strcmp(r.method, "POST") != 0)
		api_fail(&r, AE_UNSUPPORTED_METHOD,
		    "The HTTP method %.16s is not supported: use GET or POST.",
		    r.method);
	else if (worker_params(&r, rq) == AE_OK && auth_check(&r) == AE_OK)
		router_dispatch(&r);
	o = reply_build(&r);
	body = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	worker_write(rq, api_err_status(r.err), r.request_id, body, len);
	if (c->access_log)
		log_info("access %s action=%s key=%s status=%d code=%s us=%"
		    PRIu64, r.request_id,
		    api_param(&r, "Action") ? api_param(&r, "Action") : "-",
		    r.key_id ? r.key_id : "-", api_err_status(r.err),
		    r.err ? api_err_code(r.err) : "-",
		    vtime_mono_us() - t0);
	json_object_put(o);
	json_object_put(r.body);
	params_free(&r.params);
}

int
worker_run(const struct vigil_conf *c, int listen_fd)
{
	struct sigaction sa = { 0 };
	FCGX_Request rq;
	struct db *db;
	uint64_t last_gc = 0;

	log_init("vigil-api worker");
	/* the router's pauses after a deadlock differ between workers */
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	worker_listen_fd = listen_fd;
	sa.sa_handler = worker_on_term;	/* no SA_RESTART: accept returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	if (vault_init(c->master_key_file, 0) != 0 ||
	    secret_read(c->internal_secret_file, &worker_secret) != 0)
		return 1;
	if (db_open(&db, c, id_claim_slot) != 0)
		return 1;
	(void)db_connect(db);	/* early, so the first request is fast */
	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&rq, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	while (!worker_quit) {
		uint64_t now;

		if (FCGX_Accept_r(&rq) < 0) {
			if (worker_quit || errno == EINTR)
				continue;
			log_warn("accept");
			break;
		}
		worker_serve(c, db, &rq);
		FCGX_Finish_r(&rq);
		now = vtime_mono_us();
		if (now - last_gc > WORKER_GC_INTERVAL_US) {
			auth_gc(db);
			last_gc = now;
		}
	}
	FCGX_Free(&rq, 1);
	db_close(db);
	return 0;
}
