/*
 * vigil-sipd: GB28181 signalling of Vigil. One process, one loop: SIP over
 * UDP and TCP (libosip2 transactions), registrations and keepalives in
 * memory, media sessions from the job table, MANSCDP bodies handed over.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/id.h"
#include "common/job.h"
#include "common/log.h"
#include "common/pidfile.h"
#include "common/sigpipe.h"
#include "common/vault.h"
#include "mediad/loop.h"
#include "sip.h"

#define MAIN_STATS_S	60

static void
main_on_signal(void *arg, uint32_t events)
{
	struct loop *l = arg;
	int sig;

	while ((sig = sigpipe_next()) != 0) {
		if (sig == SIGHUP) {
			log_info("SIGHUP: sipd has nothing to reload; restart"
			    " it for a new configuration");
			continue;
		}
		log_info("stopping");
		loop_stop(l);
	}
}

/* Every second: silent devices, MANSCDP timers, INVITEs, idle TCP. */
static void
main_second(void *arg)
{
	struct sipd *sd = arg;
	struct sip_ctx *c = sip_ctx(sd);
	static time_t stats_at;

	keepalive_sweep(sd);
	manscdp_tick(sd);
	invite_sweep(sd);
	transport_sweep(c->tp, c->now);
	if (c->now - stats_at >= MAIN_STATS_S) {
		unsigned conns;

		transport_stats(c->tp, &conns);
		if (stats_at != 0)
			log_info("%zu devices, %zu transactions, %u tcp, "
			    "%llu in (%llu bad), %llu out", c->devs.n,
			    c->trs.n, conns, (unsigned long long)c->rx,
			    (unsigned long long)c->rx_bad,
			    (unsigned long long)c->tx);
		stats_at = c->now;
	}
}

static const struct {
	unsigned	 ms;
	loop_timer_cb	 cb;
} main_timers[] = {
	{ SIP_TICK_MS, sip_tick },
	{ 200, jobs_poll },
	{ 1000, main_second },
	{ 10000, keepalive_flush },
};

static void
main_owner(struct sipd *sd, struct sip_ctx *c)
{
	job_owner(sd->owner, sizeof(sd->owner), c->owner_like,
	    sizeof(c->owner_like));
}

static int
main_run(struct vigil_conf *cf)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sipd sd = { .conf = cf };
	struct loop *l = NULL;
	struct loop_ev sig_ev = { .fd = -1 };
	int rc = 1;

	log_init("vigil-sipd");
	if (pidfile_write(cf->sipd_pid_file) != 0 ||
	    sigpipe_open(sigs, sizeof(sigs) / sizeof(sigs[0])) != 0 ||
	    vault_init(cf->master_key_file, 0) != 0 ||
	    loop_alloc(&l) != 0 || db_open(&sd.db, cf, id_claim_slot) != 0)
		goto out;
	sig_ev = (struct loop_ev){ .fd = sigpipe_fd(), .events = EPOLLIN,
	    .cb = main_on_signal, .arg = l };
	if (loop_add(l, &sig_ev) != 0 || sip_init(&sd, l) != 0)
		goto out;
	main_owner(&sd, sip_ctx(&sd));
	if (db_connect(sd.db) != 0)
		log_warnx("database unreachable: retrying as work comes");
	else if (register_restore(&sd) != 0)
		log_warnx("registrations not restored");
	for (size_t i = 0; i < sizeof(main_timers) / sizeof(main_timers[0]);
	    i++)
		loop_every(l, main_timers[i].ms, main_timers[i].cb, &sd);
	loop_after(l, sip_reap, &sd);
	log_info("running as %s", sd.owner);
	rc = loop_run(l) != 0;
	keepalive_flush(&sd);
out:
	if (sd.priv != NULL)
		sip_free(&sd);
	db_close(sd.db);
	loop_free(l);
	unlink(cf->sipd_pid_file);
	log_info("stopped");
	conf_free(cf);
	return rc;
}

int
main(int argc, char **argv)
{
	struct vigil_conf *c;
	const char *path;
	int test;

	if (conf_cli(argc, argv, "vigil-sipd", &c, &path, &test) != 0)
		return 1;
	if (test) {
		fprintf(stderr, "vigil-sipd: configuration %s is ok\n",
		    path ? path : "(defaults)");
		conf_free(c);
		return 0;
	}
	return main_run(c);
}
