/* mediad's master: binds the HTTP-FLV socket and supervises one worker. */
#ifndef VIGIL_MEDIAD_MASTER_H
#define VIGIL_MEDIAD_MASTER_H

struct vigil_conf;

/* Runs until SIGTERM; takes ownership of c. Returns the exit status. */
int	master_run(struct vigil_conf *c, const char *conf_path);

#endif
