/* A pre-forked worker: FastCGI accept loop, one request at a time. */
#ifndef VIGIL_WORKER_H
#define VIGIL_WORKER_H

struct vigil_conf;

/* Serves requests on listen_fd until SIGTERM; returns the exit status. */
int	worker_run(const struct vigil_conf *c, int listen_fd);

#endif
