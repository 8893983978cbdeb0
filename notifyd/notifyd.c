/*
 * vigil-notifyd: delivers the callback outbox. One loop polls the outbox
 * for due rows, claims them (several dispatchers may run, on any node),
 * POSTs them concurrently and records the outcome. Signals only write a
 * byte to a self-pipe that the loop watches.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/log.h"
#include "common/netguard.h"
#include "common/pidfile.h"
#include "common/sigpipe.h"
#include "common/vault.h"
#include "common/vtime.h"
#include "notifyd.h"

#define NOTIFYD_POLL_US		250000ULL	/* outbox polling */
#define NOTIFYD_MAX_INFLIGHT	64		/* requests at once */
#define NOTIFYD_MAX_PER_URL	8		/* ... to one URL */
#define NOTIFYD_TIMEOUT_MS	5000L		/* per request */
#define NOTIFYD_LEASE_S		60		/* > the timeout */
#define NOTIFYD_DUE_MAX		256		/* rows per poll */

struct notifyd {
	struct vigil_conf	*conf;
	const char		*conf_path;
	struct db		*db;
	struct notifyd_send	*send;
	struct netguard		 guard;		/* where Callbacks may lead */
	int			 stopping;
	int			 db_down;	/* log the outage once */
};

/* Opens what a configuration needs: the master key and the database. */
static int
notifyd_open(const struct vigil_conf *c, struct db **dbp)
{
	int error;

	*dbp = NULL;
	if ((error = vault_init(c->master_key_file, 0)) != 0) {
		log_warnx("cannot load the master key %s: %s",
		    c->master_key_file, strerror(error));
		return error;
	}
	return db_open(dbp, c, NULL);
}

static void
notifyd_db_status(struct notifyd *n, int error)
{
	if (error == ENOTCONN && !n->db_down) {
		log_warnx("database unreachable: delivery paused");
		n->db_down = 1;
	} else if (error == 0 && n->db_down) {
		log_info("database reachable again");
		n->db_down = 0;
	}
}

/*
 * Claims due rows up to the free slots, at most NOTIFYD_MAX_PER_URL in
 * flight per receiver URL so a slow one cannot take every slot, and starts
 * them.
 */
static void
notifyd_poll(struct notifyd *n)
{
	struct notifyd_event *list = NULL, *e;
	struct notifyd_due *due = NULL;
	uint64_t ids[NOTIFYD_MAX_INFLIGHT];
	unsigned ndue = 0, nids = 0, room;
	int error;

	room = NOTIFYD_MAX_INFLIGHT - notifyd_send_count(n->send);
	if (room == 0)
		return;
	error = notifyd_outbox_due(n->db, NOTIFYD_DUE_MAX, &due, &ndue);
	notifyd_db_status(n, error);
	if (error != 0)
		return;
	for (unsigned i = 0; i < ndue && nids < room; i++) {
		unsigned busy = notifyd_send_count_url(n->send, due[i].url);

		for (unsigned j = 0; j < i; j++)
			if (strcmp(due[j].url, due[i].url) == 0 &&
			    due[j].id == 0)
				busy++;
		if (busy >= NOTIFYD_MAX_PER_URL)
			continue;
		ids[nids++] = due[i].id;
		due[i].id = 0;	/* taken: counts for its URL */
	}
	notifyd_outbox_due_free(due, ndue);
	if ((error = notifyd_outbox_claim(n->db, ids, nids, NOTIFYD_LEASE_S,
	    &list)) != 0) {
		notifyd_db_status(n, error);
		return;
	}
	while ((e = list) != NULL) {
		list = e->next;
		e->next = NULL;
		log_debug("event %" PRIu64 " of resource %" PRIu64 ": sending "
		    "(attempt %d)", e->id, e->resource_id, e->attempts + 1);
		if ((error = notifyd_send_start(n->send, e)) != 0) {
			/* the lease runs out and the row is taken again */
			log_warnx("event %" PRIu64 ": cannot start: %s", e->id,
			    strerror(error));
			notifyd_event_free(e);
		}
	}
}

/* Records finished requests; returns how many were delivered. */
static unsigned
notifyd_finish(struct notifyd *n)
{
	struct notifyd_event *e;
	const char *why;
	unsigned delivered = 0;
	long status;
	int error, refused;

	while ((e = notifyd_send_done(n->send, &status, &why,
	    &refused)) != NULL) {
		if (refused)
			error = notifyd_outbox_dead(n->db, e, why);
		else if (why[0] == '\0') {
			delivered++;
			log_debug("event %" PRIu64 " of resource %" PRIu64
			    ": delivered (HTTP %ld)", e->id, e->resource_id,
			    status);
			error = notifyd_outbox_done(n->db, e);
		} else
			error = notifyd_outbox_retry(n->db, e, why);
		/* unrecorded: the lease runs out and it is sent again */
		if (error != 0)
			log_warnx("event %" PRIu64 ": outcome not recorded "
			    "(%s)", e->id, strerror(error));
		notifyd_event_free(e);
	}
	return delivered;
}

static void
notifyd_reload(struct notifyd *n)
{
	struct vigil_conf *c;
	struct db *db;

	if (conf_load(&c, n->conf_path) != 0) {
		log_warnx("reload of %s failed: keeping the running "
		    "configuration", n->conf_path);
		return;
	}
	if (notifyd_open(c, &db) != 0) {
		log_warnx("reload: keeping the running configuration");
		/* a half-read key file may have touched the loaded key */
		(void)vault_init(n->conf->master_key_file, 0);
		conf_free(c);
		return;
	}
	if (strcmp(c->notifyd_pid_file, n->conf->notifyd_pid_file) != 0)
		log_warnx("media.notifyd_pid_file changes only on restart");
	db_close(n->db);
	n->db = db;
	conf_free(n->conf);
	n->conf = c;
	netguard_init(&n->guard, c);
	log_verbosity = c->log_level;
	log_info("configuration reloaded");
}

static void
notifyd_signals(struct notifyd *n)
{
	int sig;

	while ((sig = sigpipe_next()) != 0) {
		if (sig == SIGHUP) {
			if (!n->stopping)
				notifyd_reload(n);
		} else if (!n->stopping) {
			log_info("stopping: finishing %u request(s) in flight",
			    notifyd_send_count(n->send));
			n->stopping = 1;
		}
	}
}

static int
notifyd_run(struct notifyd *n)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	uint64_t next_poll = 0;
	int kick = 0;

	if (sigpipe_open(sigs, sizeof(sigs) / sizeof(sigs[0])) != 0)
		return 1;
	if (pidfile_write(n->conf->notifyd_pid_file) != 0)
		return 1;
	log_info("delivering the outbox (poll %llu ms, %d requests at most, "
	    "timeout %ld ms)", NOTIFYD_POLL_US / 1000, NOTIFYD_MAX_INFLIGHT,
	    NOTIFYD_TIMEOUT_MS);

	while (!n->stopping || notifyd_send_count(n->send) > 0) {
		uint64_t now = vtime_mono_us();
		int wait_ms;

		/* a delivery frees the next row of its resource: go on now */
		if (!n->stopping && (kick || now >= next_poll)) {
			notifyd_poll(n);
			next_poll = now + NOTIFYD_POLL_US;
			kick = 0;
		}
		wait_ms = (int)((next_poll - now) / 1000) + 1;
		if (notifyd_send_wait(n->send, sigpipe_fd(), wait_ms) != 0)
			log_warnx("curl multi failed");
		if (notifyd_finish(n) > 0)
			kick = 1;
		notifyd_signals(n);
	}
	unlink(n->conf->notifyd_pid_file);
	log_info("stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	struct notifyd n = { 0 };
	const char *path;
	int test, rc = 1;

	if (conf_cli(argc, argv, "vigil-notifyd", &n.conf, &path, &test) != 0)
		return 1;
	n.conf_path = path;
	if (test) {
		if (vault_init(n.conf->master_key_file, 0) != 0) {
			fprintf(stderr, "vigil-notifyd: cannot load the master "
			    "key %s\n", n.conf->master_key_file);
			goto out;
		}
		fprintf(stderr, "vigil-notifyd: configuration %s is ok\n",
		    path ? path : "(defaults)");
		rc = 0;
		goto out;
	}
	netguard_init(&n.guard, n.conf);
	if (notifyd_open(n.conf, &n.db) != 0 ||
	    notifyd_send_alloc(&n.send, NOTIFYD_MAX_INFLIGHT,
	    NOTIFYD_TIMEOUT_MS, &n.guard) != 0)
		goto out;
	rc = notifyd_run(&n);
out:
	notifyd_send_free(n.send);
	if (n.db != NULL)
		db_close(n.db);
	conf_free(n.conf);
	return rc;
}
