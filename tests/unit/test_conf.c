/* Configuration: defaults, overrides, checks, and the shipped vigil.conf. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "t.h"

/* Loads text as a configuration file; 0 or the errno of conf_load. */
static int
load_text(struct vigil_conf **cp, const char *text)
{
	char path[] = "/tmp/vigil-test-conf.XXXXXX";
	int fd, error;
	FILE *f;

	*cp = NULL;
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return EIO;
	fputs(text, f);
	if (fclose(f) != 0) {
		unlink(path);
		return EIO;
	}
	error = conf_load(cp, path);
	unlink(path);
	return error;
}

static void
test_defaults(void)
{
	struct vigil_conf *c;

	T_OK(conf_load(&c, NULL) == 0 && c != NULL, "defaults");
	if (c == NULL)
		return;
	T_STREQ(c->var_dir, "var");
	T_OK(c->log_level == LOG_LVL_INFO, "log_level %d", c->log_level);
	T_STREQ(c->listen, "var/run/vigil-api.sock");
	T_OK(c->listen_mode == 0660, "listen_mode %o", c->listen_mode);
	T_STREQ(c->listen_group, "");
	T_OK(c->workers == 4, "workers %d", c->workers);
	T_STREQ(c->pid_file, "var/run/vigil-api.pid");
	T_OK(c->max_request == 1048576, "max_request %d", c->max_request);
	T_OK(c->timestamp_window == 900, "timestamp_window %d",
	    c->timestamp_window);
	T_OK(c->nonce_ttl == 1800, "nonce_ttl %d", c->nonce_ttl);
	T_STREQ(c->host_id, "vigil.local");
	T_STREQ(c->master_key_file, "var/master.key");
	T_OK(c->access_log == 1, "access_log %d", c->access_log);
	T_STREQ(c->db_host, "localhost");
	T_OK(c->db_port == 3306, "db_port %d", c->db_port);
	T_STREQ(c->db_socket, "var/run/mysqld.sock");
	T_STREQ(c->db_name, "vigil");
	T_STREQ(c->db_user, "vigil");
	T_STREQ(c->db_password_file, "var/db.secret");
	T_STREQ(c->public_host, "127.0.0.1");
	T_OK(c->http_port == 8080, "http_port %d", c->http_port);
	T_OK(c->rtmp_port == 1935, "rtmp_port %d", c->rtmp_port);
	T_STREQ(c->gb_ip, "127.0.0.1");
	T_OK(c->gb_udp_port == 5060, "gb_udp_port %d", c->gb_udp_port);
	T_OK(c->gb_tcp_port == 5060, "gb_tcp_port %d", c->gb_tcp_port);
	conf_free(c);
}

static void
test_overrides(void)
{
	struct vigil_conf *c;
	char *p;

	T_OK(load_text(&c,
	    "var_dir = \"/srv/vigil\";\n"
	    "log_level = \"debug\";\n"
	    "api: {\n"
	    "  listen = \"/run/vigil/api.sock\";\n"
	    "  listen_mode = \"0600\";\n"
	    "  listen_group = \"www-data\";\n"
	    "  workers = 8;\n"
	    "  access_log = false;\n"
	    "  host_id = \"node-1\";\n"
	    "};\n"
	    "database: { port = 3307; password_file = \"secrets/db\"; };\n"
	    "public: { host = \"vs.example.com\"; };\n") == 0 && c != NULL,
	    "overrides");
	if (c == NULL)
		return;
	T_STREQ(c->var_dir, "/srv/vigil");
	T_OK(c->log_level == LOG_LVL_DEBUG, "log_level %d", c->log_level);
	T_STREQ(c->listen, "/run/vigil/api.sock");	/* absolute: kept */
	T_OK(c->listen_mode == 0600, "string mode %o", c->listen_mode);
	T_STREQ(c->listen_group, "www-data");
	T_OK(c->workers == 8, "workers %d", c->workers);
	T_OK(c->access_log == 0, "access_log %d", c->access_log);
	T_STREQ(c->host_id, "node-1");
	T_OK(c->db_port == 3307, "db_port %d", c->db_port);
	T_STREQ(c->public_host, "vs.example.com");
	/* relative paths below the file's var_dir, wherever it is set */
	T_STREQ(c->pid_file, "/srv/vigil/run/vigil-api.pid");
	T_STREQ(c->master_key_file, "/srv/vigil/master.key");
	T_STREQ(c->db_password_file, "/srv/vigil/secrets/db");
	T_STREQ(c->db_socket, "/srv/vigil/run/mysqld.sock");
	/* untouched options keep their defaults */
	T_OK(c->nonce_ttl == 1800 && c->http_port == 8080, "defaults kept");
	p = conf_path(c, "x/y");
	T_STREQ(p, "/srv/vigil/x/y");
	free(p);
	p = conf_path(c, "/abs");
	T_STREQ(p, "/abs");
	free(p);
	p = conf_path(c, "");
	T_STREQ(p, "");
	free(p);
	conf_free(c);
}

static void
test_modes(void)
{
	static const struct {
		const char	*text;
		int		 mode;
	} ok[] = {
		{ "api: { listen_mode = \"0660\"; };", 0660 },
		{ "api: { listen_mode = \"660\"; };", 0660 },
		{ "api: { listen_mode = \"0777\"; };", 0777 },
		{ "api: { listen_mode = \"0\"; };", 0 },
		/* libconfig reads 0660 as the decimal 660: still mode 0660 */
		{ "api: { listen_mode = 0660; };", 0660 },
		{ "api: { listen_mode = 0600; };", 0600 },
		{ "api: { listen_mode = 0444; };", 0444 },
		{ "api: { listen_mode = 0777; };", 0777 },
		{ "api: { listen_mode = 0x1B0; };", 0660 },
	};
	static const char *const bad[] = {
		"api: { listen_mode = \"0778\"; };",
		"api: { listen_mode = \"01000\"; };",
		"api: { listen_mode = \"rw\"; };",
		"api: { listen_mode = \"\"; };",
		"api: { listen_mode = \"-1\"; };",
		"api: { listen_mode = 0999; };",
		"api: { listen_mode = 01000; };",
		"api: { listen_mode = 0.5; };",
	};
	struct vigil_conf *c;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int error = load_text(&c, ok[i].text);

		T_OK(error == 0 && c->listen_mode == ok[i].mode,
		    "%s: error %d mode %o", ok[i].text, error,
		    c ? (unsigned)c->listen_mode : 0u);
		conf_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_OK(load_text(&c, bad[i]) == EINVAL && c == NULL,
		    "accepted %s", bad[i]);
		conf_free(c);
	}
}

static void
test_invalid(void)
{
	static const char *const bad[] = {
		"api: { workers = 0; };",
		"api: { workers = 257; };",
		"api: { workers = -1; };",
		"api: { workers = \"four\"; };",
		"api: { workers = \"4x\"; };",
		"api: { workers = \"\"; };",
		"api: { workers = 4.0; };",
		"api: { workers = true; };",
		"api: { max_request = 1023; };",
		"api: { timestamp_window = 0; };",
		"api: { nonce_ttl = 59; };",
		"api: { access_log = \"yes\"; };",
		"api: { access_log = 1; };",
		"database: { port = 70000; };",
		"database: { port = 0; };",
		"public: { http_port = 65536; };",
		"public: { gb_udp_port = -5060; };",
		"log_level = \"loud\";",
		"log_level = \"INFO\";",
		"log_level = 3;",
		"api: { workers = ; };",
		"api: { workers = 4;",
		"var_dir = \"unterminated;",
		"= 4;",
		"api: { host_id = [\"a\"]; };",
		"api: { listen = { x = 1; }; };",
	};
	struct vigil_conf *c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_OK(load_text(&c, bad[i]) == EINVAL && c == NULL,
		    "accepted %s", bad[i]);
		conf_free(c);
	}
	T_OK(conf_load(&c, "/nonexistent/vigil.conf") == EINVAL && c == NULL,
	    "missing file");
	/* strings and ints are interchangeable where unambiguous */
	T_OK(load_text(&c, "api: { workers = \"16\"; };") == 0 &&
	    c->workers == 16, "int as string");
	conf_free(c);
	T_OK(load_text(&c, "api: { workers = 256; };\n"
	    "database: { port = 65535; };") == 0 && c->workers == 256 &&
	    c->db_port == 65535, "upper bounds");
	conf_free(c);
	T_OK(load_text(&c, "") == 0 && c->workers == 4, "empty file");
	conf_free(c);
	T_OK(load_text(&c, "# nothing but a comment\n") == 0, "comment");
	conf_free(c);
}

#define SAME_S(f)	T_OK(strcmp(a->f, b->f) == 0, "vigil.conf " #f	\
	    " \"%s\" != default \"%s\"", b->f, a->f)
#define SAME_I(f)	T_OK(a->f == b->f, "vigil.conf " #f " %d != "	\
	    "default %d", b->f, a->f)

/* conf/vigil.conf documents the defaults: it must say what the table does. */
static void
test_shipped(void)
{
	const char *srcdir = getenv("srcdir");
	struct vigil_conf *a = NULL, *b = NULL;
	char path[1024];

	snprintf(path, sizeof(path), "%s/conf/vigil.conf",
	    srcdir ? srcdir : ".");
	T_OK(conf_load(&a, NULL) == 0, "defaults");
	T_OK(conf_load(&b, path) == 0, "%s parses", path);
	if (a == NULL || b == NULL) {
		conf_free(a);
		conf_free(b);
		return;
	}
	SAME_S(var_dir);
	SAME_I(log_level);
	SAME_S(listen);
	SAME_I(listen_mode);
	SAME_S(listen_group);
	SAME_I(workers);
	SAME_S(pid_file);
	SAME_I(max_request);
	SAME_I(timestamp_window);
	SAME_I(nonce_ttl);
	SAME_S(host_id);
	SAME_S(master_key_file);
	SAME_I(access_log);
	SAME_S(db_host);
	SAME_I(db_port);
	SAME_S(db_socket);
	SAME_S(db_name);
	SAME_S(db_user);
	SAME_S(db_password_file);
	SAME_S(public_host);
	SAME_I(http_port);
	SAME_I(rtmp_port);
	SAME_S(gb_ip);
	SAME_I(gb_udp_port);
	SAME_I(gb_tcp_port);
	SAME_S(gb_domain);
	SAME_S(flv_listen);
	SAME_S(mediad_pid_file);
	SAME_S(notifyd_pid_file);
	SAME_S(edge_control);
	SAME_S(edge_rtmp);
	SAME_S(hls_dir);
	SAME_S(rtp_ip);
	SAME_I(rtp_port_min);
	SAME_I(rtp_port_max);
	SAME_I(no_media_timeout);
	SAME_I(lazy_idle);
	SAME_S(sip_bind);
	SAME_S(sipd_pid_file);
	SAME_I(keepalive_interval);
	SAME_I(keepalive_misses);
	SAME_I(lock_failures);
	SAME_I(lock_window);
	SAME_I(register_expires_max);
	conf_free(a);
	conf_free(b);
}

int
main(void)
{
	test_defaults();
	test_overrides();
	test_modes();
	test_invalid();
	test_shipped();
	conf_free(NULL);
	return T_DONE();
}
