/* vigil-mediad: the HTTP-FLV server and media-plane jobs of Vigil. */
#include <stdio.h>
#include <stdlib.h>

#include "common/conf.h"
#include "common/log.h"
#include "master.h"

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
	return master_run(c, path);
}
