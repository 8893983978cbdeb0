/* Request parameters: query string and form body, decoded and checked. */
#ifndef VIGIL_PARAMS_H
#define VIGIL_PARAMS_H

#include <stddef.h>

#include "common/sign.h"

#define PARAMS_MAX	256

struct params {
	struct sign_param	*v;	/* sorted by name after params_finish */
	size_t			 n;
	size_t			 cap;
};

/*
 * Decodes one application/x-www-form-urlencoded string (a query string is
 * one too) and adds its pairs to p. Returns 0, EINVAL (malformed escape,
 * NUL, invalid UTF-8, empty name), E2BIG (too many parameters) or ENOMEM;
 * why (whylen bytes) says which parameter and what is wrong.
 */
int	params_parse(struct params *p, const char *s, size_t len, char *why,
	    size_t whylen);
/*
 * True when a Content-Type is application/x-www-form-urlencoded: that media
 * type exactly (any case), alone or before ";" parameters (charset=utf-8).
 */
int	params_is_form(const char *content_type);
/* Sorts the parameters; EINVAL naming the first duplicated name. */
int	params_finish(struct params *p, char *why, size_t whylen);
/* The value of name, or NULL; p must be finished. */
const char *params_get(const struct params *p, const char *name);
/* Checks that s[0..n) is well-formed UTF-8 (no overlongs, surrogates). */
int	params_utf8_valid(const unsigned char *s, size_t n);
void	params_free(struct params *p);

#endif
