/* The edge's HTTP side (nginx-rtmp stat and control) through libcurl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/log.h"
#include "mediad.h"

/* Loopback: anything slower means the edge is in trouble. */
#define EDGE_TIMEOUT_MS	1000L

static size_t
edge_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_add(b, p, size * n) == 0 ? size * n : 0;
}

/*
 * GETs path of the edge's HTTP server, edge_control: "http://host:port" or
 * "unix:<socket>" (relative to var_dir).
 */
static int
edge_get(const struct vigil_conf *c, const char *path, struct buf *b)
{
	const char *base = c->edge_control;
	char url[1024], *sock = NULL;
	CURL *h;
	CURLcode rc;
	long code = 0;

	if (strncmp(base, "unix:", 5) == 0) {
		if ((sock = conf_path(c, base + 5)) == NULL)
			return ENOMEM;
		base = "http://localhost";
	}
	snprintf(url, sizeof(url), "%s%s", base, path);
	if ((h = curl_easy_init()) == NULL) {
		free(sock);
		return ENOMEM;
	}
	if (sock != NULL)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, EDGE_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, edge_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	free(sock);
	if (rc != CURLE_OK) {
		log_debug("edge %s: %s", url, curl_easy_strerror(rc));
		return ECONNREFUSED;
	}
	return code == 200 ? 0 : ENOENT;
}

int
edge_drop_publisher(const struct vigil_conf *c, const char *app,
    const char *name)
{
	struct buf b = { 0 };
	char path[512];
	int e;

	snprintf(path, sizeof(path), "/control/drop/publisher?app=%s&name=%s",
	    app, name);
	e = edge_get(c, path, &b);
	/* the module answers the number of dropped clients */
	log_info("edge: drop publisher %s/%s: %s%s", app, name,
	    e == 0 ? "dropped " : e == ENOENT ? "none live" : "edge down",
	    e == 0 && b.p ? b.p : "");
	buf_free(&b);
	return e == ENOENT ? 0 : e;
}

int
edge_stat(const struct vigil_conf *c, struct buf *b)
{
	return edge_get(c, "/stat", b);
}
