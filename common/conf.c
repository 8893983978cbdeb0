/* Configuration: every option, its default and its check, in one table. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <libconfig.h>

#include "conf.h"
#include "log.h"

enum conf_type { CT_STR, CT_INT, CT_BOOL, CT_PATH, CT_MODE, CT_LEVEL,
	CT_GBDOMAIN };

struct conf_opt {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;
	const char	*def;
	long		 min, max;
};

#define O(f)	offsetof(struct vigil_conf, f)
static const struct conf_opt conf_opts[] = {
	{ "var_dir", CT_STR, O(var_dir), "var", 0, 0 },
	{ "log_level", CT_LEVEL, O(log_level), "info", 0, 0 },
	{ "api.listen", CT_PATH, O(listen), "run/vigil-api.sock", 0, 0 },
	{ "api.listen_mode", CT_MODE, O(listen_mode), "0660", 0, 0777 },
	{ "api.listen_group", CT_STR, O(listen_group), "", 0, 0 },
	{ "api.workers", CT_INT, O(workers), "4", 1, 256 },
	{ "api.pid_file", CT_PATH, O(pid_file), "run/vigil-api.pid", 0, 0 },
	{ "api.max_request", CT_INT, O(max_request), "1048576", 1024,
	    64 * 1024 * 1024 },
	{ "api.timestamp_window", CT_INT, O(timestamp_window), "900", 1,
	    86400 },
	{ "api.nonce_ttl", CT_INT, O(nonce_ttl), "1800", 60, 86400 },
	{ "api.host_id", CT_STR, O(host_id), "vigil.local", 0, 0 },
	{ "api.master_key_file", CT_PATH, O(master_key_file), "master.key",
	    0, 0 },
	{ "api.internal_secret_file", CT_PATH, O(internal_secret_file),
	    "internal.secret", 0, 0 },
	{ "api.access_log", CT_BOOL, O(access_log), "true", 0, 0 },
	{ "database.host", CT_STR, O(db_host), "localhost", 0, 0 },
	{ "database.port", CT_INT, O(db_port), "3306", 1, 65535 },
	{ "database.socket", CT_PATH, O(db_socket), "run/mysqld.sock", 0, 0 },
	{ "database.name", CT_STR, O(db_name), "vigil", 0, 0 },
	{ "database.user", CT_STR, O(db_user), "vigil", 0, 0 },
	{ "database.password_file", CT_PATH, O(db_password_file), "db.secret",
	    0, 0 },
	{ "public.host", CT_STR, O(public_host), "127.0.0.1", 0, 0 },
	{ "public.http_port", CT_INT, O(http_port), "8080", 1, 65535 },
	{ "public.rtmp_port", CT_INT, O(rtmp_port), "1935", 1, 65535 },
	{ "public.gb_ip", CT_STR, O(gb_ip), "127.0.0.1", 0, 0 },
	{ "public.gb_udp_port", CT_INT, O(gb_udp_port), "5060", 1, 65535 },
	{ "public.gb_tcp_port", CT_INT, O(gb_tcp_port), "5060", 1, 65535 },
	{ "public.gb_domain", CT_GBDOMAIN, O(gb_domain), "3402000000", 0, 0 },
	{ "media.flv_listen", CT_PATH, O(flv_listen), "run/mediad.sock", 0, 0 },
	{ "media.mediad_pid_file", CT_PATH, O(mediad_pid_file),
	    "run/mediad.pid", 0, 0 },
	{ "media.notifyd_pid_file", CT_PATH, O(notifyd_pid_file),
	    "run/notifyd.pid", 0, 0 },
	{ "media.edge_control", CT_STR, O(edge_control),
	    "unix:run/private/edge.sock", 0, 0 },
	{ "media.edge_rtmp", CT_STR, O(edge_rtmp), "rtmp://127.0.0.1:1935", 0,
	    0 },
	{ "media.hls_dir", CT_PATH, O(hls_dir), "hls", 0, 0 },
	{ "media.rtp_ip", CT_STR, O(rtp_ip), "127.0.0.1", 0, 0 },
	{ "media.rtp_port_min", CT_INT, O(rtp_port_min), "30000", 1024,
	    65535 },
	{ "media.rtp_port_max", CT_INT, O(rtp_port_max), "30999", 1024,
	    65535 },
	{ "media.no_media_timeout", CT_INT, O(no_media_timeout), "10", 1,
	    3600 },
	{ "media.lazy_idle", CT_INT, O(lazy_idle), "30", 1, 86400 },
	{ "sip.bind", CT_STR, O(sip_bind), "", 0, 0 },
	{ "sip.pid_file", CT_PATH, O(sipd_pid_file), "run/sipd.pid", 0, 0 },
	{ "sip.keepalive_interval", CT_INT, O(keepalive_interval), "60", 1,
	    3600 },
	{ "sip.keepalive_misses", CT_INT, O(keepalive_misses), "3", 1, 100 },
	{ "sip.lock_failures", CT_INT, O(lock_failures), "5", 1, 1000 },
	{ "sip.lock_window", CT_INT, O(lock_window), "600", 1, 86400 },
	{ "sip.lock_duration", CT_INT, O(lock_duration), "600", 1, 604800 },
	{ "sip.register_expires_max", CT_INT, O(register_expires_max), "3600",
	    60, 86400 },
	{ "callback.allow_private", CT_BOOL, O(callback_allow_private),
	    "false", 0, 0 },
	{ "callback.allow_loopback", CT_BOOL, O(callback_allow_loopback),
	    "false", 0, 0 },
};
#undef O

#define FIELD(c, o, t)	((t *)((char *)(c) + (o)->off))

static int
conf_set(struct vigil_conf *c, const struct conf_opt *o, const char *v,
    const char *where)
{
	char *end;
	long n;

	switch (o->type) {
	case CT_GBDOMAIN:
		if (strlen(v) != 10 || strspn(v, "0123456789") != 10)
			goto bad;
		/* FALLTHROUGH */
	case CT_STR:
	case CT_PATH:
		free(*FIELD(c, o, char *));
		if ((*FIELD(c, o, char *) = strdup(v)) == NULL)
			return ENOMEM;
		return 0;
	case CT_LEVEL:
		if ((*FIELD(c, o, int) = log_level_parse(v)) < 0)
			goto bad;
		return 0;
	case CT_BOOL:
		if (strcmp(v, "true") == 0)
			*FIELD(c, o, int) = 1;
		else if (strcmp(v, "false") == 0)
			*FIELD(c, o, int) = 0;
		else
			goto bad;
		return 0;
	case CT_INT:
	case CT_MODE:
		errno = 0;
		n = strtol(v, &end, o->type == CT_MODE ? 8 : 10);
		if (errno || *v == '\0' || *end != '\0' || n < o->min ||
		    n > o->max)
			goto bad;
		*FIELD(c, o, int) = (int)n;
		return 0;
	}
bad:
	log_warnx("%s: %s: invalid value \"%s\"", where, o->name, v);
	return EINVAL;
}

/* Reads one option from the parsed file as text, so one setter checks all. */
static int
conf_read(struct vigil_conf *c, const config_t *cf, const struct conf_opt *o,
    const char *path)
{
	config_setting_t *s = config_lookup(cf, o->name);
	char buf[64];
	const char *v;

	if (s == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		v = config_setting_get_string(s);
		break;
	case CONFIG_TYPE_INT:
		/*
		 * libconfig has no octal literals and reads 0660 as decimal
		 * 660: the digits of a mode as written are octal.
		 */
		snprintf(buf, sizeof(buf), o->type == CT_MODE &&
		    config_setting_get_format(s) == CONFIG_FORMAT_HEX ? "%o" :
		    "%d", config_setting_get_int(s));
		v = buf;
		break;
	case CONFIG_TYPE_BOOL:
		v = config_setting_get_bool(s) ? "true" : "false";
		break;
	default:
		log_warnx("%s:%d: %s: unsupported type", path,
		    config_setting_source_line(s), o->name);
		return EINVAL;
	}
	return conf_set(c, o, v, path);
}

char *
conf_path(const struct vigil_conf *c, const char *p)
{
	char *r;

	if (p[0] == '/' || p[0] == '\0')
		return strdup(p);
	if (asprintf(&r, "%s/%s", c->var_dir, p) < 0)
		return NULL;
	return r;
}

int
conf_load(struct vigil_conf **cp, const char *path)
{
	struct vigil_conf *c;
	config_t cf;
	size_t i, n = sizeof(conf_opts) / sizeof(conf_opts[0]);
	int error = 0;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ENOMEM;
	config_init(&cf);
	for (i = 0; i < n && error == 0; i++)
		error = conf_set(c, &conf_opts[i], conf_opts[i].def, "default");
	if (error == 0 && path != NULL) {
		if (config_read_file(&cf, path) != CONFIG_TRUE) {
			log_warnx("%s:%d: %s", config_error_file(&cf) ?
			    config_error_file(&cf) : path,
			    config_error_line(&cf), config_error_text(&cf));
			error = EINVAL;
		}
		for (i = 0; i < n && error == 0; i++)
			error = conf_read(c, &cf, &conf_opts[i], path);
	}
	/* Relative paths are resolved once, against the final var_dir. */
	for (i = 0; i < n && error == 0; i++) {
		char **f, *abs;

		if (conf_opts[i].type != CT_PATH)
			continue;
		f = FIELD(c, &conf_opts[i], char *);
		if ((abs = conf_path(c, *f)) == NULL)
			error = ENOMEM;
		else {
			free(*f);
			*f = abs;
		}
	}
	config_destroy(&cf);
	if (error) {
		conf_free(c);
		return error;
	}
	*cp = c;
	return 0;
}

void
conf_free(struct vigil_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < sizeof(conf_opts) / sizeof(conf_opts[0]); i++)
		if (conf_opts[i].type == CT_STR || conf_opts[i].type == CT_PATH ||
		    conf_opts[i].type == CT_GBDOMAIN)
			free(*FIELD(c, &conf_opts[i], char *));
	free(c);
}

static void
conf_usage(const char *prog)
{
	fprintf(stderr,
	    "usage: %s [-c file] [-t]\n"
	    "  -c file  configuration (default: built-in values)\n"
	    "  -t       test the configuration and exit\n", prog);
	exit(2);
}

int
conf_cli(int argc, char **argv, const char *prog, struct vigil_conf **cp,
    const char **pathp, int *test)
{
	int ch;

	log_init(prog);
	*pathp = NULL;
	*test = 0;
	while ((ch = getopt(argc, argv, "c:th")) != -1) {
		switch (ch) {
		case 'c':
			*pathp = optarg;
			break;
		case 't':
			*test = 1;
			break;
		default:
			conf_usage(prog);
		}
	}
	if (optind != argc)
		conf_usage(prog);
	if (conf_load(cp, *pathp) != 0)
		return 1;
	log_verbosity = (*cp)->log_level;
	return 0;
}
