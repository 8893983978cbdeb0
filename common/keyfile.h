/* Key files: "AccessKeyId=<id>" and "AccessKeySecret=<secret>" lines. */
#ifndef VIGIL_KEYFILE_H
#define VIGIL_KEYFILE_H

#define KEYFILE_FIELD_MAX	128

/* Reads both fields; 0, ENOENT, or EINVAL when one is missing. */
int	keyfile_read(const char *path, char id[KEYFILE_FIELD_MAX],
	    char secret[KEYFILE_FIELD_MAX]);
/* Creates path with mode 0600 (fails with EEXIST if it exists). */
int	keyfile_write(const char *path, const char *id, const char *secret);

#endif
