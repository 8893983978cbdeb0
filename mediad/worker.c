/*
 * mediad's worker: one event loop with the HTTP-FLV listener, the upstream
 * sessions, GB28181 media and the timers of jobs, reconciliation and
 * metering.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/job.h"
#include "common/log.h"
#include "common/vault.h"
#include "mediad.h"

static const struct {
	unsigned	 ms;
	loop_timer_cb	 cb;
} worker_timers[] = {
	{ 200, jobs_poll },
	{ 2000, reconcile_run },
	{ 1000, session_sweep },
	{ 10000, usage_flush },
	{ 1000, gb_sweep },
};

static void
worker_on_signal(void *arg, uint32_t events)
{
	struct mediad *md = arg;
	struct signalfd_siginfo si;

	while (read(md->sig_ev.fd, &si, sizeof(si)) == sizeof(si))
		loop_stop(md->loop);
}

int
worker_run(struct vigil_conf *c, int listen_fd)
{
	struct mediad md = { .conf = c };
	sigset_t set;
	int rc = 1;

	log_init("mediad worker");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	job_owner(md.owner, sizeof(md.owner), NULL, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* push tokens are sealed: mediad pulls from the edge with them */
	if (vault_init(c->master_key_file, 0) != 0 ||
	    loop_alloc(&md.loop) != 0 || db_open(&md.db, c, NULL) != 0)
		goto out;
	md.sig_ev = (struct loop_ev){ .fd = signalfd(-1, &set,
	    SFD_NONBLOCK | SFD_CLOEXEC), .events = EPOLLIN,
	    .cb = worker_on_signal, .arg = &md };
	md.listen_ev = (struct loop_ev){ .fd = listen_fd, .events = EPOLLIN,
	    .cb = viewer_accept, .arg = &md };
	if (md.sig_ev.fd == -1 || loop_add(md.loop, &md.sig_ev) != 0 ||
	    loop_add(md.loop, &md.listen_ev) != 0 || gb_init(&md) != 0) {
		log_warn("worker setup");
		goto out;
	}
	for (size_t i = 0; i < sizeof(worker_timers) /
	    sizeof(worker_timers[0]); i++)
		loop_every(md.loop, worker_timers[i].ms, worker_timers[i].cb,
		    &md);
	loop_after(md.loop, session_reap, &md);
	usage_viewer_orphans(&md);
	log_info("serving HTTP-FLV on %s as %s", c->flv_listen, md.owner);
	rc = loop_run(md.loop) != 0;
	log_info("stopping");
	gb_stop_all(&md);
	session_stop_all(&md);
	usage_flush(&md);
out:
	while (md.usage != NULL) {
		struct usage_entry *u = md.usage;

		md.usage = u->next;
		free(u);
	}
	if (md.sig_ev.fd > 0)
		close(md.sig_ev.fd);
	db_close(md.db);
	loop_free(md.loop);
	curl_global_cleanup();
	return rc;
}
