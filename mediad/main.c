/* vigil-mediad: the HTTP-FLV server and media-plane jobs of Vigil. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/secret.h"
#include "master.h"
#include "mediad.h"

char *mediad_secret;

int
main(int argc, char **argv)
{
	struct vigil_conf *c;
	const char *path;
	int test;

	if (conf_cli(argc, argv, "vigil-mediad", &c, &path, &test) != 0)
		return 1;
	if (test) {
		fprintf(stderr, "vigil-mediad: configuration %s is ok\n",
		    path ? path : "(defaults)");
		conf_free(c);
		return 0;
	}
	/* HLS files and anything else mediad writes: not for everyone */
	umask(027);
	if (secret_read(c->internal_secret_file, &mediad_secret) != 0)
		return 1;
	return master_run(c, path);
}
