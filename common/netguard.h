/*
 * Where the stack may send a request on a tenant's behalf (a space's
 * Callback): never to itself, loopback, link-local, unspecified, multicast
 * or broadcast addresses; private ranges only when the operator allows.
 */
#ifndef VIGIL_NETGUARD_H
#define VIGIL_NETGUARD_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

#define NETGUARD_PORTS	8
#define NETGUARD_LOCALS	32

struct vigil_conf;

struct netguard {
	int			allow_private;
	int			allow_loopback;
	/* the stack's own ports, refused on any address of this host */
	uint16_t		ports[NETGUARD_PORTS];
	unsigned		nports;
	uint16_t		rtp_min, rtp_max;
	/* this host's addresses (getifaddrs), v4-mapped for IPv4 */
	struct in6_addr		locals[NETGUARD_LOCALS];
	unsigned		nlocals;
};

/* The rules of c (callback.allow_private, allow_loopback, the ports). */
void	netguard_init(struct netguard *g, const struct vigil_conf *c);
/* NULL when sa may be reached, else why not (a static string). */
const char *netguard_addr(const struct netguard *g, const struct sockaddr *sa);
/*
 * Checks an http:// or https:// URL with libcurl's own parser (the one that
 * makes the requests): its host is resolved and every address checked.
 * Returns 0, EINVAL (not such a URL), EACCES (*why says what is refused) or
 * EAGAIN (the host does not resolve now). A request made later must still
 * check the address it connects to (netguard_addr): DNS answers change.
 */
int	netguard_url(const struct netguard *g, const char *url,
	    const char **why);

#endif
