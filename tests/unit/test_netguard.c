/* The callback address guard: every refused range, the stack's own ports. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/netguard.h"
#include "t.h"

/* netguard_addr of a numeric address and port. */
static const char *
addr(const struct netguard *g, const char *ip, int port)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in in = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, ip, &in.sin_addr) == 1) {
		in.sin_port = htons((uint16_t)port);
		return netguard_addr(g, (struct sockaddr *)&in);
	}
	if (inet_pton(AF_INET6, ip, &in6.sin6_addr) != 1)
		return "unparsed";
	in6.sin6_port = htons((uint16_t)port);
	return netguard_addr(g, (struct sockaddr *)&in6);
}

static int
url(const struct netguard *g, const char *u)
{
	const char *why;

	return netguard_url(g, u, &why);
}

int
main(void)
{
	static const char *refused[] = { "127.0.0.1", "127.1.2.3", "::1",
	    "::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1", "0.0.0.0",
	    "0.1.2.3", "::", "169.254.169.254", "fe80::1", "224.0.0.1",
	    "239.255.255.250", "ff02::1", "255.255.255.255", "240.0.0.1",
	    "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
	    "100.64.0.1", "fd00::1", "fc00::1", "fec0::1",
	    "::ffff:10.0.0.1", "::ffff:169.254.169.254" };
	static const char *allowed[] = { "8.8.8.8", "172.32.0.1", "172.15.0.1",
	    "100.128.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8",
	    "64:ff9b::808:808", "1.1.1.1" };
	struct vigil_conf *c;
	struct netguard g;

	if (conf_load(&c, NULL) != 0)
		return 1;
	netguard_init(&g, c);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		T_OK(addr(&g, refused[i], 80) != NULL, "refused: %s",
		    refused[i]);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		T_OK(addr(&g, allowed[i], 80) == NULL, "allowed: %s: %s",
		    allowed[i], addr(&g, allowed[i], 80));

	/* URLs: libcurl's parser, getaddrinfo's number forms */
	T_OK(url(&g, "http://8.8.8.8/cb") == 0, "a public address");
	T_OK(url(&g, "https://[2001:4860:4860::8888]:8443/x") == 0, "IPv6");
	T_OK(url(&g, "http://2130706433/") == EACCES, "decimal 127.0.0.1");
	T_OK(url(&g, "http://0x7f.1/") == EACCES, "hex 127.0.0.1");
	T_OK(url(&g, "http://0177.0.0.1/") == EACCES, "octal 127.0.0.1");
	T_OK(url(&g, "http://localhost:8081/control") == EACCES, "localhost");
	T_OK(url(&g, "http://[::1]/") == EACCES, "[::1]");
	T_OK(url(&g, "http://[::ffff:127.0.0.1]/") == EACCES, "mapped");
	T_OK(url(&g, "http://169.254.169.254/latest/meta-data/") == EACCES,
	    "metadata");
	T_OK(url(&g, "http://8.8.8.8@127.0.0.1/") == EACCES, "userinfo");
	T_OK(url(&g, "http://127.0.0.1#@8.8.8.8/") == EACCES, "fragment");
	T_OK(url(&g, "ftp://8.8.8.8/") == EINVAL, "ftp");
	T_OK(url(&g, "gopher://8.8.8.8/") == EINVAL, "gopher");
	T_OK(url(&g, "file:///etc/passwd") == EINVAL, "file");
	T_OK(url(&g, "http://") == EINVAL, "no host");
	T_OK(url(&g, "not a url") == EINVAL, "not a URL");
	T_OK(url(&g, "http://no-such-host.invalid/") == EAGAIN,
	    "unresolved: checked on delivery");

	/* the operator's switches; the stack's own ports stay refused */
	g.allow_private = 1;
	T_OK(addr(&g, "10.1.2.3", 80) == NULL, "private allowed");
	T_OK(addr(&g, "fd00::1", 80) == NULL, "ULA allowed");
	T_OK(addr(&g, "127.0.0.1", 80) != NULL, "loopback still refused");
	T_OK(addr(&g, "169.254.169.254", 80) != NULL, "link-local always");
	g.allow_loopback = 1;
	T_OK(addr(&g, "127.0.0.1", 9999) == NULL, "loopback allowed");
	T_OK(addr(&g, "::1", 9999) == NULL, "::1 allowed");
	T_OK(addr(&g, "0.0.0.0", 9999) != NULL, "unspecified always");
	for (unsigned i = 0; i < g.nports; i++) {
		T_OK(addr(&g, "127.0.0.1", g.ports[i]) != NULL, "port %u",
		    g.ports[i]);
		T_OK(addr(&g, "::1", g.ports[i]) != NULL, "::1 port %u",
		    g.ports[i]);
		T_OK(addr(&g, "8.8.8.8", g.ports[i]) == NULL,
		    "another host's port %u", g.ports[i]);
	}
	T_OK(g.nports >= 5, "http, rtmp, database, sip ports: %u", g.nports);
	T_OK(addr(&g, "127.0.0.1", c->http_port) != NULL, "the API's port");
	T_OK(addr(&g, "127.0.0.1", c->db_port) != NULL, "the database's");
	T_OK(addr(&g, "127.0.0.1", c->rtp_port_min + 5) != NULL, "RTP");
	for (unsigned i = 0; i < g.nlocals; i++) {
		struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
		    .sin6_addr = g.locals[i],
		    .sin6_port = htons((uint16_t)c->http_port) };

		T_OK(netguard_addr(&g, (struct sockaddr *)&in6) != NULL,
		    "this host's address %u, the API's port", i);
	}
	conf_free(c);
	return T_DONE();
}
