/* Signals as bytes on a self-pipe (see sigpipe.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "sigpipe.h"

static int sigpipe_ends[2] = { -1, -1 };

static void
sigpipe_on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	(void)!write(sigpipe_ends[1], &b, 1);
	errno = saved;
}

int
sigpipe_open(const int *sigs, size_t n)
{
	struct sigaction sa = { .sa_handler = sigpipe_on_signal,
	    .sa_flags = SA_RESTART };

	if (pipe2(sigpipe_ends, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("pipe");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
sigpipe_fd(void)
{
	return sigpipe_ends[0];
}

int
sigpipe_next(void)
{
	unsigned char b;

	return read(sigpipe_ends[0], &b, 1) == 1 ? b : 0;
}

void
sigpipe_child(pid_t master, int sig)
{
	close(sigpipe_ends[0]);
	close(sigpipe_ends[1]);
	sigpipe_ends[0] = sigpipe_ends[1] = -1;
	/* The master may have died between fork() and prctl(). */
	if (prctl(PR_SET_PDEATHSIG, sig) == -1)
		log_warn("prctl");
	else if (getppid() != master)
		raise(sig);
}
