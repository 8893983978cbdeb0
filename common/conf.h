/* Configuration: a declarative option table over libconfig. */
#ifndef VIGIL_CONF_H
#define VIGIL_CONF_H

struct vigil_conf {
	char	*var_dir;
	int	 log_level;
	/* api */
	char	*listen;		/* FastCGI unix socket path */
	int	 listen_mode;
	char	*listen_group;
	int	 workers;
	char	*pid_file;
	int	 max_request;		/* bytes of query + body */
	int	 timestamp_window;	/* seconds */
	int	 nonce_ttl;		/* seconds */
	char	*host_id;
	char	*master_key_file;
	char	*internal_secret_file;	/* the web tier's proof (secret.h) */
	int	 access_log;
	/* database */
	char	*db_host;
	int	 db_port;
	char	*db_socket;
	char	*db_name;
	char	*db_user;
	char	*db_password_file;
	/* public addresses shown in URLs */
	char	*public_host;
	int	 http_port;
	int	 rtmp_port;
	char	*gb_ip;
	int	 gb_udp_port;
	int	 gb_tcp_port;
	char	*gb_domain;	/* 10 digits: SIP realm, prefix of GbIds */
	/* media plane */
	char	*flv_listen;	/* mediad's HTTP-FLV unix socket */
	char	*mediad_pid_file;
	char	*notifyd_pid_file;
	char	*edge_control;	/* the edge's stat/control HTTP base URL */
	char	*edge_rtmp;	/* where mediad pulls live streams from */
	char	*hls_dir;
	char	*rtp_ip;	/* where devices send GB28181 media (SDP c=) */
	int	 rtp_port_min;	/* mediad's RTP ports (UDP and TCP) */
	int	 rtp_port_max;
	int	 no_media_timeout;	/* s: a silent GB28181 stream closes */
	int	 lazy_idle;	/* s: a LazyPull stream without viewers stops */
	/* sipd */
	char	*sip_bind;	/* "" = public.gb_ip */
	char	*sipd_pid_file;
	int	 keepalive_interval;	/* s, the devices' keepalive period */
	int	 keepalive_misses;	/* missed periods before off */
	int	 lock_failures;	/* failed authentications that lock */
	int	 lock_window;	/* s, within which they count */
	int	 lock_duration;	/* s an address stays locked out */
	int	 register_expires_max;	/* s, cap on a REGISTER's Expires */
	/* callbacks (netguard.h) */
	int	 callback_allow_private;	/* 10/8, 192.168/16 ... */
	int	 callback_allow_loopback;	/* one-machine setups, tests */
};

/*
 * Parses and validates the file at path (NULL: defaults only). On success
 * *cp owns a new configuration (free with conf_free); on failure the reason
 * is logged and an errno returned.
 */
int	conf_load(struct vigil_conf **cp, const char *path);
void	conf_free(struct vigil_conf *c);
/*
 * A daemon's command line, [-c file] [-t]: starts logging as prog, loads
 * the configuration into *cp (from *pathp, NULL: defaults) and sets the
 * log level. 0 to go on (*test set for -t), or 1 when the configuration
 * does not load; a usage error exits with 2.
 */
int	conf_cli(int argc, char **argv, const char *prog,
	    struct vigil_conf **cp, const char **pathp, int *test);
/* Resolves a path option against var_dir; the result is malloc'd. */
char	*conf_path(const struct vigil_conf *c, const char *p);

#endif
