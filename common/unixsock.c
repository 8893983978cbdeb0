/* Listening unix sockets of the daemons. */
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "unixsock.h"

int
unixsock_listen(const char *path, mode_t mode, const char *group, int flags)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | flags, 0)) == -1) {
		log_warn("socket");
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, mode) == -1 || listen(fd, 1024) == -1) {
		log_warn("listen on %s", path);
		close(fd);
		return -1;
	}
	if (group != NULL && group[0] != '\0') {
		struct group *g = getgrnam(group);

		if (g == NULL || chown(path, (uid_t)-1, g->gr_gid) == -1)
			log_warnx("cannot give %s to group %s", path, group);
	}
	return fd;
}
