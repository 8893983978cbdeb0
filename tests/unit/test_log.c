/* The log's burst limit: a repeated text is written 3 times, then counted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "t.h"

/* Every line written to stderr since the last call, in buf. */
static unsigned
t_lines(FILE *f, char *buf, size_t size)
{
	size_t n;
	unsigned lines = 0;

	fflush(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	return lines;
}

int
main(void)
{
	char path[] = "/tmp/vigil-test-log.XXXXXX", buf[65536];
	int fd = mkstemp(path), out = dup(STDERR_FILENO);
	FILE *f = fopen(path, "r");

	unlink(path);
	dup2(fd, STDERR_FILENO);
	log_repeat_window_us = 300000;

	for (int i = 0; i < 500; i++)
		log_warnx("database connect: %s", "Can't connect");
	T_OK(t_lines(f, buf, sizeof(buf)) == 3, "a burst of 500: 3 lines");
	for (int i = 0; i < 50; i++)
		log_info("request %d", i);
	T_OK(t_lines(f, buf, sizeof(buf)) == 50, "distinct texts all written");
	usleep(350000);
	log_info("database reconnected");
	T_OK(t_lines(f, buf, sizeof(buf)) == 2, "summary, then the line");
	T_OK(strstr(buf, "497 more lines like \"database connect: Can't "
	    "connect\" in") != NULL, "the summary counts: %s", buf);
	T_OK(strstr(buf, "database reconnected") > strstr(buf, "497 more"),
	    "the summary comes first");
	log_warnx("database connect: %s", "Can't connect");
	T_OK(t_lines(f, buf, sizeof(buf)) == 1, "a new window writes again");
	/* more texts than slots at once: none is lost without a count */
	for (int r = 0; r < 5; r++)
		for (int i = 0; i < 40; i++)
			log_warnx("peer %d sends garbage", i);
	T_OK(t_lines(f, buf, sizeof(buf)) >= 40 * 3, "every text shown");

	dup2(out, STDERR_FILENO);
	return T_DONE();
}
