/* vigil-mediad: the HTTP-FLV server and media-plane jobs of Vigil. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/conf.h"
#include "common/log.h"
#include "master.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: vigil-mediad [-c file] [-t]\n"
	    "  -c file  configuration (default: built-in values)\n"
	    "  -t       test the configuration and exit\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct vigil_conf *c;
	const char *path = NULL;
	int ch, test = 0;

	log_init("vigil-mediad");
	while ((ch = getopt(argc, argv, "c:th")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (conf_load(&c, path) != 0)
		return 1;
	log_verbosity = c->log_level;
	if (test) {
		fprintf(stderr, "vigil-mediad: configuration %s is ok\n",
		    path ? path : "(defaults)");
		conf_free(c);
		return 0;
	}
	return master_run(c, path);
}
