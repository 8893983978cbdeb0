/*
 * Leveled logging: one write(2) per line so lines from workers never
 * interleave, and a line repeated in a burst (a database outage, a peer
 * sending garbage) written only LOG_BURST times per window, then counted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_BURST	3	/* lines of one text per window */
#define LOG_SLOTS	16	/* texts followed at once */
#define LOG_SHOWN	80	/* bytes of a text in its summary */

int log_verbosity = LOG_LVL_INFO;
uint64_t log_repeat_window_us = 10 * 1000000ULL;
static const char *log_tag = "vigil";

/* A recent text: when its window began, how often it came in it. */
static struct log_slot {
	uint64_t	hash;
	uint64_t	since_us;
	uint64_t	used_us;
	unsigned	count;
	int		level;
	char		text[LOG_SHOWN + 1];
} log_slots[LOG_SLOTS];
/* mediad's FFmpeg threads log too */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const log_names[] = { "error", "warn", "info", "debug" };

void
log_init(const char *tag)
{
	log_tag = tag;
}

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(name, log_names[i]) == 0)
			return (int)i;
	return -1;
}

static uint64_t
log_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* One line: timestamp, tag, pid, level, then text (len bytes). */
static void
log_write(int level, const char *text, size_t len)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - n, ".%03ldZ %s[%d] %s: ",
	    ts.tv_nsec / 1000000, log_tag, (int)getpid(), log_names[level]);
	if (len > sizeof(line) - n - 1)
		len = sizeof(line) - n - 1;
	memcpy(line + n, text, len);
	n += len;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

/* Says how many lines of a slot's text were held back, and resets it. */
static void
log_summarise(struct log_slot *sl, uint64_t now)
{
	char text[LOG_SHOWN + 96];

	if (sl->count > LOG_BURST)
		log_write(sl->level, text, (size_t)snprintf(text,
		    sizeof(text), "%u more lines like \"%s\" in %.0f s",
		    sl->count - LOG_BURST, sl->text,
		    (double)(now - sl->since_us) / 1e6));
	sl->count = 0;
}

/*
 * True when text may be written now. Ends the windows that are over first,
 * so a burst's count is told with the next line, whatever it says.
 */
static int
log_admit(int level, const char *text, size_t len)
{
	struct log_slot *sl = NULL, *lru = &log_slots[0];
	uint64_t now = log_now_us(), h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
	for (size_t i = 0; i < LOG_SLOTS; i++) {
		struct log_slot *s = &log_slots[i];

		if (s->count > 0 && now - s->since_us >= log_repeat_window_us)
			log_summarise(s, now);
		if (s->count > 0 && s->hash == h)
			sl = s;
		/* the least recently used, a slot counting a burst last */
		if ((s->count > LOG_BURST) == (lru->count > LOG_BURST) ?
		    s->used_us < lru->used_us : lru->count > LOG_BURST)
			lru = s;
	}
	if (sl == NULL) {
		sl = lru;
		log_summarise(sl, now);
		sl->hash = h;
		sl->level = level;
		sl->since_us = now;
		snprintf(sl->text, sizeof(sl->text), "%.*s", (int)len, text);
	}
	sl->used_us = now;
	return ++sl->count <= LOG_BURST;
}

void
log_emit(int level, int with_errno, const char *fmt, ...)
{
	char text[1900];
	int saved = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	n = (size_t)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (with_errno && n < sizeof(text))
		n += (size_t)snprintf(text + n, sizeof(text) - n, ": %s",
		    strerror(saved));
	if (n > sizeof(text) - 1)
		n = sizeof(text) - 1;
	pthread_mutex_lock(&log_lock);
	if (log_admit(level, text, n))
		log_write(level, text, n);
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}
