/* Where a tenant's Callback may lead (see netguard.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "conf.h"
#include "netguard.h"

enum netguard_kind { NG_ALWAYS, NG_LOOPBACK, NG_PRIVATE };

/* Refused ranges, IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d, prefix + 96). */
static const struct netguard_net {
	const char		*prefix;
	unsigned		 len;
	enum netguard_kind	 kind;
	const char		*why;
} netguard_nets[] = {
	{ "::ffff:0.0.0.0", 104, NG_ALWAYS, "an unspecified address" },
	{ "::ffff:127.0.0.0", 104, NG_LOOPBACK, "a loopback address" },
	{ "::ffff:169.254.0.0", 112, NG_ALWAYS, "a link-local address" },
	{ "::ffff:224.0.0.0", 100, NG_ALWAYS, "a multicast address" },
	{ "::ffff:240.0.0.0", 100, NG_ALWAYS, "a reserved or broadcast "
	    "address" },
	{ "::ffff:10.0.0.0", 104, NG_PRIVATE, "a private address" },
	{ "::ffff:172.16.0.0", 108, NG_PRIVATE, "a private address" },
	{ "::ffff:192.168.0.0", 112, NG_PRIVATE, "a private address" },
	{ "::ffff:100.64.0.0", 106, NG_PRIVATE, "a shared (CGN) address" },
	{ "::", 128, NG_ALWAYS, "an unspecified address" },
	{ "::1", 128, NG_LOOPBACK, "a loopback address" },
	{ "fe80::", 10, NG_ALWAYS, "a link-local address" },
	{ "ff00::", 8, NG_ALWAYS, "a multicast address" },
	{ "fec0::", 10, NG_PRIVATE, "a site-local address" },
	{ "fc00::", 7, NG_PRIVATE, "a private (unique local) address" },
};

static int
netguard_in(const struct in6_addr *a, const char *prefix, unsigned len)
{
	struct in6_addr p;
	unsigned bytes = len / 8, bits = len % 8;

	if (inet_pton(AF_INET6, prefix, &p) != 1)
		return 0;
	if (memcmp(a->s6_addr, p.s6_addr, bytes) != 0)
		return 0;
	return bits == 0 || ((a->s6_addr[bytes] ^ p.s6_addr[bytes]) &
	    (0xff << (8 - bits))) == 0;
}

/*
 * The address as IPv6, IPv4 v4-mapped; IPv4 carried inside IPv6 (the
 * deprecated compatible form ::a.b.c.d, NAT64's 64:ff9b::/96) as the IPv4
 * it reaches.
 */
static int
netguard_norm(const struct sockaddr *sa, struct in6_addr *a, uint16_t *port)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(a->s6_addr, mapped, 12);
		memcpy(a->s6_addr + 12, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return EAFNOSUPPORT;
	*a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	*port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	if ((netguard_in(a, "::", 96) && !netguard_in(a, "::", 127)) ||
	    netguard_in(a, "64:ff9b::", 96))
		memcpy(a->s6_addr, mapped, 12);
	return 0;
}

/* libcurl's URL parser: the one that will make the request decides. */
static int
netguard_parse(const char *url, char **hostp, long *portp)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int error = EINVAL;

	*hostp = NULL;
	if (u == NULL)
		return ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	/* an IPv6 literal comes bracketed */
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if ((*hostp = strdup(host)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	*portp = strtol(port, NULL, 10);
	error = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return error;
}

static void
netguard_add_port(struct netguard *g, long port)
{
	if (port > 0 && port < 65536 && g->nports < NETGUARD_PORTS)
		g->ports[g->nports++] = (uint16_t)port;
}

void
netguard_init(struct netguard *g, const struct vigil_conf *c)
{
	struct ifaddrs *ifs, *i;
	char *host;
	long port;

	memset(g, 0, sizeof(*g));
	g->allow_private = c->callback_allow_private;
	g->allow_loopback = c->callback_allow_loopback;
	netguard_add_port(g, c->http_port);
	netguard_add_port(g, c->rtmp_port);
	netguard_add_port(g, c->db_port);
	netguard_add_port(g, c->gb_udp_port);
	netguard_add_port(g, c->gb_tcp_port);
	if (netguard_parse(c->edge_control, &host, &port) == 0) {
		netguard_add_port(g, port);
		free(host);
	}
	g->rtp_min = (uint16_t)c->rtp_port_min;
	g->rtp_max = (uint16_t)c->rtp_port_max;
	if (getifaddrs(&ifs) != 0)
		return;
	for (i = ifs; i != NULL && g->nlocals < NETGUARD_LOCALS;
	    i = i->ifa_next) {
		uint16_t unused;

		if (i->ifa_addr != NULL && netguard_norm(i->ifa_addr,
		    &g->locals[g->nlocals], &unused) == 0)
			g->nlocals++;
	}
	freeifaddrs(ifs);
}

/* True when a is loopback, unspecified or one of this host's addresses. */
static int
netguard_local(const struct netguard *g, const struct in6_addr *a)
{
	if (netguard_in(a, "::ffff:127.0.0.0", 104) ||
	    netguard_in(a, "::ffff:0.0.0.0", 104) || netguard_in(a, "::1", 128) ||
	    netguard_in(a, "::", 128))
		return 1;
	for (unsigned i = 0; i < g->nlocals; i++)
		if (memcmp(a, &g->locals[i], sizeof(*a)) == 0)
			return 1;
	return 0;
}

const char *
netguard_addr(const struct netguard *g, const struct sockaddr *sa)
{
	struct in6_addr a;
	uint16_t port;

	if (netguard_norm(sa, &a, &port) != 0)
		return "not an IP address";
	for (size_t i = 0; i < sizeof(netguard_nets) /
	    sizeof(netguard_nets[0]); i++) {
		const struct netguard_net *n = &netguard_nets[i];

		if (!netguard_in(&a, n->prefix, n->len) ||
		    (n->kind == NG_LOOPBACK && g->allow_loopback) ||
		    (n->kind == NG_PRIVATE && g->allow_private))
			continue;
		return n->why;
	}
	if (netguard_local(g, &a)) {
		for (unsigned i = 0; i < g->nports; i++)
			if (port == g->ports[i])
				return "a port of this stack";
		if (port >= g->rtp_min && port <= g->rtp_max)
			return "a media port of this stack";
	}
	return NULL;
}

int
netguard_url(const struct netguard *g, const char *url, const char **why)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *p;
	char *host;
	long port;
	int error;

	*why = NULL;
	if ((error = netguard_parse(url, &host, &port)) != 0)
		return error;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0) {
		free(host);
		return EAGAIN;
	}
	for (p = ai; p != NULL && *why == NULL; p = p->ai_next) {
		if (p->ai_family == AF_INET)
			((struct sockaddr_in *)p->ai_addr)->sin_port =
			    htons((uint16_t)port);
		else if (p->ai_family == AF_INET6)
			((struct sockaddr_in6 *)p->ai_addr)->sin6_port =
			    htons((uint16_t)port);
		*why = netguard_addr(g, p->ai_addr);
	}
	freeaddrinfo(ai);
	free(host);
	return *why != NULL ? EACCES : 0;
}
