/* The master process: listens, forks and supervises workers; no database. */
#ifndef VIGIL_MASTER_H
#define VIGIL_MASTER_H

struct vigil_conf;

/*
 * Runs until SIGTERM/SIGINT/SIGQUIT. SIGHUP reloads conf_path (kept on a
 * failed parse) and replaces the workers gracefully. Owns *c.
 */
int	master_run(struct vigil_conf *c, const char *conf_path);

#endif
