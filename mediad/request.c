/* The HTTP-FLV request line and headers, parsed without allocation. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mediad.h"

#define REQUEST_ID_DIGITS	16

int
request_parse(const char *req, size_t n, char *app, size_t appsz,
    uint64_t *stream_id)
{
	const char *p = req, *end = req + n, *sp, *a, *id;
	size_t alen, i;

	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
		return EBADMSG;
	if ((size_t)(sp - p) != 3 || memcmp(p, "GET", 3) != 0)
		return (sp - p) > 0 && (sp - p) < 10 ? EOPNOTSUPP : EBADMSG;
	p = sp + 1;
	if (p >= end || *p != '/')
		return EBADMSG;
	a = ++p;
	while (p < end && (isalnum((unsigned char)*p) || *p == '_' ||
	    *p == '-'))
		p++;
	alen = (size_t)(p - a);
	if (p >= end || *p != '/' || alen == 0)
		return p < end && (*p == ' ' || *p == '?' || *p == '/' ||
		    *p == '.') ? ENOENT : EBADMSG;
	if (alen > MEDIAD_APP_MAX || alen >= appsz)
		return ENOENT;
	id = ++p;
	for (i = 0; p < end && isdigit((unsigned char)*p); i++)
		p++;
	if (i != REQUEST_ID_DIGITS || (size_t)(end - p) < 4 ||
	    memcmp(p, ".flv", 4) != 0)
		return ENOENT;
	p += 4;
	if (p < end && *p == '?')
		while (p < end && *p != ' ')
			p++;
	if (end - p < 9 || memcmp(p, " HTTP/1.", 8) != 0)
		return EBADMSG;
	memcpy(app, a, alen);
	app[alen] = '\0';
	*stream_id = strtoull(id, NULL, 10);
	return 0;
}

int
request_header(const char *req, size_t n, const char *name, char *out,
    size_t outsz)
{
	const char *p = req, *end = req + n, *eol;
	size_t nl = strlen(name);

	while ((eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = eol + 1;
		if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			const char *v = p + nl + 1, *ve;
			size_t len;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			ve = v;
			while (ve < end && *ve != '\n')
				ve++;
			while (ve > v && isspace((unsigned char)ve[-1]))
				ve--;
			len = (size_t)(ve - v);
			if (len >= outsz)
				len = outsz - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return 0;
		}
	}
	return ENOENT;
}
