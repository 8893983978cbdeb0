/* Request parameters: strict form decoding of untrusted input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "api.h"
#include "params.h"

int
params_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (need == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Decodes s[0..n) into a new string; '+' is a space as in any form. */
static int
params_decode(const char *s, size_t n, char **out)
{
	char *d;
	size_t j = 0;

	if ((d = malloc(n + 1)) == NULL)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n) {
				free(d);
				return EINVAL;
			}
			hi = crypto_hexval(s[i + 1]);
			lo = crypto_hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(d);
				return EINVAL;
			}
			d[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+')
			d[j++] = ' ';
		else if (s[i] == '\0') {
			free(d);
			return EINVAL;
		} else
			d[j++] = s[i];
	}
	d[j] = '\0';
	if (!params_utf8_valid((unsigned char *)d, j)) {
		free(d);
		return EINVAL;
	}
	*out = d;
	return 0;
}

int
params_parse(struct params *p, const char *s, size_t len, char *why,
    size_t whylen)
{
	const char *end = s + len;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *pe = amp ? amp : end, *eq;
		char *name = NULL, *value = NULL;
		int error;

		if (pe == s) {		/* "a=1&&b=2": empty piece */
			s = pe + 1;
			continue;
		}
		eq = memchr(s, '=', (size_t)(pe - s));
		if (eq == s) {
			snprintf(why, whylen, "empty parameter name");
			return EINVAL;
		}
		if ((error = params_decode(s, (size_t)((eq ? eq : pe) - s),
		    &name)) != 0) {
			snprintf(why, whylen, "malformed parameter name "
			    "(bad %%-escape, NUL or invalid UTF-8)");
			return error;
		}
		error = eq ? params_decode(eq + 1, (size_t)(pe - eq - 1),
		    &value) : (value = strdup("")) ? 0 : ENOMEM;
		if (error) {
			snprintf(why, whylen, "malformed value of parameter "
			    "%.64s (bad %%-escape, NUL or invalid UTF-8)",
			    name);
			free(name);
			return error;
		}
		if (p->n == p->cap) {
			struct sign_param *v;

			if (p->cap == PARAMS_MAX) {
				snprintf(why, whylen, "more than %d parameters",
				    PARAMS_MAX);
				free(name);
				free(value);
				return E2BIG;
			}
			p->cap = p->cap ? p->cap * 2 : 32;
			if ((v = realloc(p->v, p->cap * sizeof(*v))) == NULL) {
				free(name);
				free(value);
				return ENOMEM;
			}
			p->v = v;
		}
		p->v[p->n].name = name;
		p->v[p->n++].value = value;
		s = pe + 1;
	}
	return 0;
}

int
params_finish(struct params *p, char *why, size_t whylen)
{
	sign_sort(p->v, p->n);
	for (size_t i = 1; i < p->n; i++)
		if (strcmp(p->v[i - 1].name, p->v[i].name) == 0) {
			snprintf(why, whylen, "duplicate parameter %.64s",
			    p->v[i].name);
			return EINVAL;
		}
	return 0;
}

const char *
params_get(const struct params *p, const char *name)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, p->v[mid].name);

		if (c == 0)
			return p->v[mid].value;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void
params_free(struct params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free((char *)p->v[i].name);
		free((char *)p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

int
params_is_form(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";

	if (ct == NULL || strncasecmp(ct, form, sizeof(form) - 1) != 0)
		return 0;
	ct += sizeof(form) - 1;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

const char *
api_param(const struct api_req *r, const char *name)
{
	return params_get(&r->params, name);
}
