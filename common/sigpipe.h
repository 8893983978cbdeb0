/*
 * Signals as bytes on a self-pipe: the handler only writes the signal's
 * number, the daemon's loop polls sigpipe_fd() and reads them with
 * sigpipe_next(). SIGPIPE is ignored.
 */
#ifndef VIGIL_SIGPIPE_H
#define VIGIL_SIGPIPE_H

#include <stddef.h>
#include <sys/types.h>

/* Routes the n signals of sigs to the pipe (SA_RESTART); 0 or -1 (logged). */
int	sigpipe_open(const int *sigs, size_t n);
/* The end to poll for reading. */
int	sigpipe_fd(void);
/* The next signal received, or 0 when none is waiting. */
int	sigpipe_next(void);
/*
 * In a worker just forked by master: closes both ends and has the kernel
 * send it sig when master dies (at once if master is already gone), so no
 * worker outlives its master, even one killed with SIGKILL.
 */
void	sigpipe_child(pid_t master, int sig);

#endif
