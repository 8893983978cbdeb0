/* Listening unix sockets of the daemons (FastCGI, HTTP-FLV). */
#ifndef VIGIL_UNIXSOCK_H
#define VIGIL_UNIXSOCK_H

#include <sys/types.h>

/*
 * Replaces any file at path with a socket listening there, mode mode, group
 * group when not NULL or empty (a failure there is only logged); flags go to
 * socket(2) (e.g. SOCK_NONBLOCK). The fd, or -1 (logged).
 */
int	unixsock_listen(const char *path, mode_t mode, const char *group,
	    int flags);

#endif
