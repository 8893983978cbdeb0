/*
 * The edge's internal endpoints under /internal/, reachable from loopback
 * only and with the internal secret: nginx-rtmp's on_publish,
 * on_publish_done, on_play and on_play_done notifications (through nginx's
 * private hooks socket), and nginx's auth_request check of HTTP play.
 */
#ifndef VIGIL_INTERNAL_H
#define VIGIL_INTERNAL_H

#include "api.h"

/*
 * True for an IPv4 (127/8) or IPv6 (::1, ::ffff:127/104) loopback address
 * written as an address: "127.evil.example" or "127.0.0.1x" is not one.
 */
int	internal_loopback(const char *addr);

/* True when path (a REQUEST_URI) is under /internal/. */
int	internal_path(const char *path);

/*
 * Serves the internal request for path; r holds the parsed parameters
 * (nginx-rtmp's form body). orig is the original request URI of an auth
 * check (NULL otherwise), addr the client's address for the logs. Returns
 * the HTTP status: 2xx allows, anything else refuses.
 */
int	internal_serve(struct api_req *r, const char *path, const char *orig,
	    const char *addr);

#endif
