/* Pid files of the daemons (run.sh finds and stops them by these). */
#ifndef VIGIL_PIDFILE_H
#define VIGIL_PIDFILE_H

/* Writes this process's pid to path; 0, or -1 (logged). */
int	pidfile_write(const char *path);

#endif
