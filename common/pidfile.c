/* Pid files of the daemons. */
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

int
pidfile_write(const char *path)
{
	FILE *f = fopen(path, "we");

	if (f == NULL) {
		log_warn("pid file %s", path);
		return -1;
	}
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0) {
		log_warn("pid file %s", path);
		return -1;
	}
	return 0;
}
