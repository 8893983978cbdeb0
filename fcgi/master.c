/*
 * Master: binds the FastCGI socket, forks the workers, respawns one that dies
 * (with backoff when it keeps dying), reloads on SIGHUP, and stops gracefully
 * on SIGTERM. Signals only write a byte to a self-pipe; the loop acts.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/pidfile.h"
#include "common/sigpipe.h"
#include "common/unixsock.h"
#include "common/vtime.h"
#include "master.h"
#include "worker.h"

#define MASTER_MAX_WORKERS	512
#define MASTER_STOP_TIMEOUT_US	(30ULL * 1000000)
#define MASTER_QUICK_DEATH_US	(2ULL * 1000000)
#define MASTER_BACKOFF_MAX_US	(10ULL * 1000000)
#define MASTER_DRAIN_POLL_US	20000ULL
#define MASTER_DRAIN_IDLE_US	100000ULL

struct master_worker {
	pid_t		pid;		/* 0: slot waits for a respawn */
	int		retiring;	/* replaced by a reload: no respawn */
	uint64_t	started_us;
	uint64_t	respawn_at_us;
	unsigned	quick_deaths;
};

static struct master_worker master_workers[MASTER_MAX_WORKERS];
static unsigned master_nworkers;

static void
master_spawn(struct master_worker *w, const struct vigil_conf *c, int fd)
{
	pid_t master = getpid(), pid = fork();

	if (pid == -1) {
		log_warn("fork");
		w->respawn_at_us = vtime_mono_us() + 1000000;
		return;
	}
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = SIG_DFL };

		sigaction(SIGCHLD, &sa, NULL);
		sigpipe_child(master, SIGTERM);
		_exit(worker_run(c, fd));
	}
	w->pid = pid;
	w->started_us = vtime_mono_us();
	w->respawn_at_us = 0;
}

static struct master_worker *
master_find(pid_t pid)
{
	for (unsigned i = 0; i < master_nworkers; i++)
		if (master_workers[i].pid == pid)
			return &master_workers[i];
	return NULL;
}

static void
master_reap(int stopping)
{
	struct master_worker *w;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		uint64_t now = vtime_mono_us();

		if ((w = master_find(pid)) == NULL)
			continue;
		if (WIFSIGNALED(st))
			log_warnx("worker %d killed by signal %d%s", (int)pid,
			    WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
		else if (WEXITSTATUS(st) != 0 || (!stopping && !w->retiring))
			log_warnx("worker %d exited with status %d", (int)pid,
			    WEXITSTATUS(st));
		w->pid = 0;
		if (stopping || w->retiring) {
			/* the slot is dropped: compact the table */
			*w = master_workers[--master_nworkers];
			continue;
		}
		/* A worker that keeps dying young is respawned ever later. */
		if (now - w->started_us < MASTER_QUICK_DEATH_US) {
			uint64_t d = 100000ULL << (w->quick_deaths < 7 ?
			    w->quick_deaths : 7);

			w->quick_deaths++;
			w->respawn_at_us = now + (d < MASTER_BACKOFF_MAX_US ?
			    d : MASTER_BACKOFF_MAX_US);
			log_warnx("respawning in %llu ms",
			    (unsigned long long)(w->respawn_at_us - now) /
			    1000);
		} else {
			w->quick_deaths = 0;
			w->respawn_at_us = now;
		}
	}
}

/* Starts workers for the (new) configuration; old ones finish and exit. */
static void
master_add_generation(const struct vigil_conf *c, int fd)
{
	for (unsigned i = 0; i < master_nworkers; i++)
		if (master_workers[i].pid != 0) {
			master_workers[i].retiring = 1;
			kill(master_workers[i].pid, SIGTERM);
		}
	/* waiting slots of the old generation are simply dropped */
	for (unsigned i = 0; i < master_nworkers; )
		if (master_workers[i].pid == 0)
			master_workers[i] = master_workers[--master_nworkers];
		else
			i++;
	for (int i = 0; i < c->workers &&
	    master_nworkers < MASTER_MAX_WORKERS; i++) {
		struct master_worker *w = &master_workers[master_nworkers++];

		memset(w, 0, sizeof(*w));
		master_spawn(w, c, fd);
	}
}

static struct vigil_conf *
master_reload(struct vigil_conf *c, const char *conf_path, int fd)
{
	struct vigil_conf *n;

	if (conf_load(&n, conf_path) != 0) {
		log_warnx("reload of %s failed: keeping the running "
		    "configuration", conf_path);
		return c;
	}
	if (strcmp(n->listen, c->listen) != 0)
		log_warnx("api.listen changes only on restart");
	log_verbosity = n->log_level;
	log_info("configuration reloaded; replacing workers");
	master_add_generation(n, fd);
	conf_free(c);
	return n;
}

/* Sends SIGTERM to every worker; slots waiting for a respawn are dropped. */
static void
master_stop_workers(void)
{
	for (unsigned i = 0; i < master_nworkers; )
		if (master_workers[i].pid == 0)
			master_workers[i] = master_workers[--master_nworkers];
		else
			kill(master_workers[i++].pid, SIGTERM);
}

/* True while connections wait in the listen queue. */
static int
master_backlog(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/*
 * Stopping has two phases. Draining: the socket's path is removed, so no
 * new connection can queue (the web server gets a clean refusal), and the
 * workers serve what is queued; closing a listener with connections in its
 * queue would reset them. Stopping: once the queue stayed empty a moment,
 * the workers finish their request and exit.
 */
enum master_phase { MASTER_RUNNING, MASTER_DRAINING, MASTER_STOPPING };

int
master_run(struct vigil_conf *c, const char *conf_path)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	enum master_phase phase = MASTER_RUNNING;
	uint64_t deadline = 0, idle_since = 0;
	int fd;

	log_init("vigil-api master");
	if ((fd = unixsock_listen(c->listen, (mode_t)c->listen_mode,
	    c->listen_group, 0)) == -1 || pidfile_write(c->pid_file) ||
	    sigpipe_open(sigs, sizeof(sigs) / sizeof(sigs[0])))
		return 1;
	master_add_generation(c, fd);
	log_info("listening on %s with %d workers", c->listen, c->workers);

	while (phase != MASTER_STOPPING || master_nworkers > 0) {
		struct pollfd pfd = { .fd = sigpipe_fd(), .events = POLLIN };
		uint64_t now = vtime_mono_us(), next = now + 1000000;
		int sig;

		for (unsigned i = 0; i < master_nworkers &&
		    phase != MASTER_STOPPING; i++) {
			struct master_worker *w = &master_workers[i];

			if (w->pid == 0 && w->respawn_at_us <= now)
				master_spawn(w, c, fd);
			if (w->pid == 0 && w->respawn_at_us < next)
				next = w->respawn_at_us;
		}
		if (phase == MASTER_DRAINING) {
			next = now + MASTER_DRAIN_POLL_US;
			if (master_backlog(fd))
				idle_since = now;
			else if (now - idle_since > MASTER_DRAIN_IDLE_US ||
			    now > deadline) {
				phase = MASTER_STOPPING;
				master_stop_workers();
			}
		}
		if (phase == MASTER_STOPPING && now > deadline) {
			log_warnx("workers still busy: killing them");
			for (unsigned i = 0; i < master_nworkers; i++)
				kill(master_workers[i].pid, SIGKILL);
			deadline = now + MASTER_STOP_TIMEOUT_US;
		}
		if (poll(&pfd, 1, (int)((next - now) / 1000) + 1) <= 0)
			continue;
		while ((sig = sigpipe_next()) != 0) {
			switch (sig) {
			case SIGCHLD:
				master_reap(phase == MASTER_STOPPING);
				break;
			case SIGHUP:
				if (phase == MASTER_RUNNING)
					c = master_reload(c, conf_path, fd);
				break;
			default:
				if (phase != MASTER_RUNNING)
					break;
				log_info("stopping: draining the queue, then "
				    "waiting for workers to finish");
				unlink(c->listen);
				phase = MASTER_DRAINING;
				idle_since = vtime_mono_us();
				deadline = idle_since + MASTER_STOP_TIMEOUT_US;
				break;
			}
		}
	}
	close(fd);
	unlink(c->pid_file);
	log_info("stopped");
	conf_free(c);
	return 0;
}
