/* Key files shared by vigil-api (operator key) and vigilctl. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keyfile.h"

int
keyfile_read(const char *path, char id[KEYFILE_FIELD_MAX],
    char secret[KEYFILE_FIELD_MAX])
{
	char line[2 * KEYFILE_FIELD_MAX];
	FILE *f;

	id[0] = secret[0] = '\0';
	if ((f = fopen(path, "re")) == NULL)
		return errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "AccessKeyId=", 12) == 0)
			snprintf(id, KEYFILE_FIELD_MAX, "%.127s", line + 12);
		else if (strncmp(line, "AccessKeySecret=", 16) == 0)
			snprintf(secret, KEYFILE_FIELD_MAX, "%.127s", line + 16);
	}
	fclose(f);
	return id[0] && secret[0] ? 0 : EINVAL;
}

int
keyfile_write(const char *path, const char *id, const char *secret)
{
	FILE *f;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return errno;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return errno;
	}
	fprintf(f, "AccessKeyId=%s\nAccessKeySecret=%s\n", id, secret);
	if (fclose(f) != 0) {
		unlink(path);
		return EIO;
	}
	return 0;
}
