/* vigil-api: the signed HTTP API as a pre-forked FastCGI server. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/secret.h"
#include "master.h"
#include "migrate.h"
#include "rekey.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: vigil-api [-c file] [-t | --migrate | --init-operator |\n"
	    "                 --rotate-master-key | --rotate-operator-key]\n"
	    "  -c file          configuration (default: built-in values)\n"
	    "  -t               test the configuration and exit\n"
	    "  --migrate        apply database migrations and exit\n"
	    "  --init-operator  create or re-register the operator key\n"
	    "  --rotate-master-key    re-seal every secret under a new master key\n"
	    "  --rotate-operator-key  a new operator key; the old ones revoked\n");
	exit(2);
}

static int
main_check(const struct vigil_conf *c)
{
	(void)c;
	fprintf(stderr, "vigil-api: configuration is ok\n");
	return 0;
}

/* The one-shot modes: each runs on the loaded configuration and exits. */
static const struct {
	int	  ch;
	int	(*run)(const struct vigil_conf *);
} main_modes[] = {
	{ 't', main_check },
	{ 'm', migrate_run },
	{ 'o', migrate_init_operator },
	{ 'K', rekey_master_key },
	{ 'O', rekey_operator },
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "migrate", no_argument, NULL, 'm' },
		{ "init-operator", no_argument, NULL, 'o' },
		{ "rotate-master-key", no_argument, NULL, 'K' },
		{ "rotate-operator-key", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct vigil_conf *c;
	const char *path = NULL;
	char *secret;
	int ch, mode = 0;

	log_init("vigil-api");
	while ((ch = getopt_long(argc, argv, "c:th", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
		case 'm':
		case 'o':
		case 'K':
		case 'O':
			mode = ch;
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
	for (size_t i = 0; i < sizeof(main_modes) / sizeof(main_modes[0]); i++)
		if (main_modes[i].ch == mode) {
			ch = main_modes[i].run(c) != 0;
			conf_free(c);
			return ch;
		}
	/* the workers need it: say so once here, not in every respawn */
	if (secret_read(c->internal_secret_file, &secret) != 0) {
		conf_free(c);
		return 1;
	}
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
	return master_run(c, path);
}
