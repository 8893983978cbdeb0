/*
 * The stack's internal secret (api.internal_secret_file): the web tier
 * sends it with the edge's hooks, its play checks and its requests to
 * mediad, so a local process that reaches those sockets cannot pass for it.
 */
#ifndef VIGIL_SECRET_H
#define VIGIL_SECRET_H

/*
 * Reads the first line of path into *sp (malloc'd, the caller frees it
 * after OPENSSL_cleanse). 0, or an errno: EPERM when others may read the
 * file, EINVAL when it is shorter than 16 characters. Never logs the value.
 */
int	secret_read(const char *path, char **sp);
/* True when got (may be NULL) equals want, in constant time. */
int	secret_equal(const char *want, const char *got);

#endif
