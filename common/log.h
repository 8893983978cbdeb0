/* Leveled logging to stderr; the level is checked before arguments are built. */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

#include <stdint.h>

extern int log_verbosity;
/* A text written 3 times within this window is counted, not written. */
extern uint64_t log_repeat_window_us;

/* Sets the process tag shown on every line ("api", "worker" ...). */
void	log_init(const char *tag);
/* Parses "error", "warn", "info" or "debug"; returns -1 when unknown. */
int	log_level_parse(const char *name);
void	log_emit(int level, int with_errno, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_at(lvl, e, ...) do {					\
	if ((lvl) <= log_verbosity)					\
		log_emit((lvl), (e), __VA_ARGS__);			\
} while (0)
#define log_warn(...)	log_at(LOG_LVL_WARN, 1, __VA_ARGS__)
#define log_warnx(...)	log_at(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_errx(...)	log_at(LOG_LVL_ERR, 0, __VA_ARGS__)
#define log_info(...)	log_at(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_debug(...)	log_at(LOG_LVL_DEBUG, 0, __VA_ARGS__)

#endif
