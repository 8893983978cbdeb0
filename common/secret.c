/* The stack's internal secret: read once, compared in constant time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "log.h"
#include "secret.h"

#define SECRET_MIN	16
#define SECRET_MAX	256

int
secret_read(const char *path, char **sp)
{
	char line[SECRET_MAX];
	struct stat st;
	FILE *f;
	int error = 0;

	*sp = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		error = errno;
		log_warn("internal secret %s", path);
		return error;
	}
	if (fstat(fileno(f), &st) == -1)
		error = errno;
	else if (st.st_mode & S_IRWXO)
		error = EPERM;
	else if (fgets(line, sizeof(line), f) == NULL)
		error = EINVAL;
	fclose(f);
	if (error == 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strlen(line) < SECRET_MIN)
			error = EINVAL;
		else if ((*sp = strdup(line)) == NULL)
			error = ENOMEM;
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (error == EPERM)
		log_warnx("internal secret %s: others may read it", path);
	else if (error == EINVAL)
		log_warnx("internal secret %s: shorter than %d characters",
		    path, SECRET_MIN);
	return error;
}

int
secret_equal(const char *want, const char *got)
{
	return want != NULL && got != NULL && crypto_streq(want, got);
}
