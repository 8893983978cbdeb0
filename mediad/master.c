/*
 * mediad's master: binds the HTTP-FLV socket (so it outlives a worker),
 * forks the worker, respawns it with backoff when it dies, replaces it on
 * SIGHUP and stops it on SIGTERM. Signals only write to a self-pipe.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/pidfile.h"
#include "common/sigpipe.h"
#include "common/unixsock.h"
#include "common/vtime.h"
#include "master.h"
#include "mediad.h"

#define MASTER_QUICK_DEATH_US	(2ULL * 1000000)
#define MASTER_BACKOFF_MAX_US	(10ULL * 1000000)
#define MASTER_STOP_TIMEOUT_US	(10ULL * 1000000)

static pid_t
master_spawn(struct vigil_conf *c, int fd)
{
	pid_t master = getpid(), pid = fork();

	if (pid == -1) {
		log_warn("fork");
		return 0;
	}
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = SIG_DFL };

		sigaction(SIGCHLD, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigpipe_child(master, SIGTERM);
		_exit(worker_run(c, fd));
	}
	return pid;
}

int
master_run(struct vigil_conf *c, const char *conf_path)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	uint64_t started = 0, respawn_at = 0, deadline = 0;
	unsigned quick_deaths = 0;
	int fd, stopping = 0;
	pid_t pid = 0, old = 0;

	log_init("mediad master");
	/* the web server's group, as vigil-api's socket (api.listen_group) */
	if ((fd = unixsock_listen(c->flv_listen, 0660, c->listen_group,
	    SOCK_NONBLOCK)) == -1 || pidfile_write(c->mediad_pid_file) ||
	    sigpipe_open(sigs, sizeof(sigs) / sizeof(sigs[0])))
		return 1;
	log_info("HTTP-FLV on %s", c->flv_listen);

	while (!stopping || pid != 0 || old != 0) {
		struct pollfd pfd = { .fd = sigpipe_fd(), .events = POLLIN };
		uint64_t now = vtime_mono_us(), next = now + 1000000;
		pid_t dead;
		int st, sig;

		if (!stopping && pid == 0 && respawn_at <= now) {
			pid = master_spawn(c, fd);
			started = now;
			if (pid == 0)
				respawn_at = now + 1000000;
		}
		if (!stopping && pid == 0 && respawn_at < next)
			next = respawn_at;
		if (stopping && now > deadline) {
			log_warnx("worker still busy: killing it");
			if (pid != 0)
				kill(pid, SIGKILL);
			if (old != 0)
				kill(old, SIGKILL);
			deadline = now + MASTER_STOP_TIMEOUT_US;
		}
		if (poll(&pfd, 1, (int)((next - now) / 1000) + 1) <= 0)
			continue;
		while ((sig = sigpipe_next()) != 0) {
			struct vigil_conf *n;

			switch (sig) {
			case SIGCHLD:
				while ((dead = waitpid(-1, &st, WNOHANG)) > 0) {
					now = vtime_mono_us();
					if (dead == old) {
						old = 0;
						continue;
					}
					if (dead != pid)
						continue;
					pid = 0;
					if (stopping)
						continue;
					log_warnx("worker %d %s %d", (int)dead,
					    WIFSIGNALED(st) ? "killed by signal"
					    : "exited with status",
					    WIFSIGNALED(st) ? WTERMSIG(st) :
					    WEXITSTATUS(st));
					/* dying young again and again: back off */
					if (now - started < MASTER_QUICK_DEATH_US) {
						uint64_t d = 100000ULL <<
						    (quick_deaths < 7 ?
						    quick_deaths : 7);

						quick_deaths++;
						respawn_at = now +
						    (d < MASTER_BACKOFF_MAX_US ?
						    d : MASTER_BACKOFF_MAX_US);
					} else {
						quick_deaths = 0;
						respawn_at = now;
					}
				}
				break;
			case SIGHUP:
				if (stopping)
					break;
				if (conf_load(&n, conf_path) != 0) {
					log_warnx("reload of %s failed: keeping"
					    " the running configuration",
					    conf_path);
					break;
				}
				log_verbosity = n->log_level;
				log_info("configuration reloaded; replacing "
				    "the worker");
				if (pid != 0) {
					old = pid;
					kill(old, SIGTERM);
					pid = 0;
				}
				respawn_at = 0;
				conf_free(c);
				c = n;
				break;
			default:
				if (stopping)
					break;
				log_info("stopping");
				stopping = 1;
				unlink(c->flv_listen);
				deadline = vtime_mono_us() +
				    MASTER_STOP_TIMEOUT_US;
				if (pid != 0)
					kill(pid, SIGTERM);
				break;
			}
		}
	}
	close(fd);
	unlink(c->mediad_pid_file);
	log_info("stopped");
	conf_free(c);
	return 0;
}
