/* Growable byte buffer, always NUL-terminated. */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stddef.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Each returns 0 or ENOMEM; on ENOMEM the buffer keeps its old content. */
int	buf_add(struct buf *b, const void *data, size_t n);
int	buf_addc(struct buf *b, char c);
int	buf_adds(struct buf *b, const char *s);
int	buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *b);
void	buf_free(struct buf *b);

#endif
