/*
 * MANSCDP bodies: the strict XML parser (manscdp.h) and the dispatch of a
 * parsed body by (root element, CmdType) to its handler.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "manscdp.h"

struct manscdp_node {
	const char		*name;
	const char		*text;		/* trimmed, never NULL */
	const char		*attrs;		/* nattrs "name\0value\0" */
	unsigned		 nattrs;
	struct manscdp_node	*child, *last, *next;
};

struct manscdp_doc {
	struct manscdp_node	*nodes;
	unsigned		 nnodes, maxnodes;
	char			*arena;		/* every string of the tree */
	size_t			 alen, acap;
	const char		*charset;
};

/* The parser's cursor and its stack of open elements. */
struct manscdp_parser {
	struct manscdp_doc	*doc;
	const char		*p, *end;
	struct manscdp_node	*open[MANSCDP_DEPTH_MAX];
	const char		*open_name[MANSCDP_DEPTH_MAX];
	size_t			 open_namelen[MANSCDP_DEPTH_MAX];
	size_t			 text_start[MANSCDP_DEPTH_MAX];
	int			 depth;
	/* the text of open elements, innermost on top */
	char			*text;
	size_t			 tlen;
};

const struct manscdp_ops *manscdp_ops = &manscdp_db_ops;

/* --- encoding --- */

static int
manscdp_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
manscdp_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* 1 valid UTF-8 with some non-ASCII, 0 plain ASCII, -1 not UTF-8. */
static int
manscdp_utf8_scan(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	int wide = 0;
	size_t i = 0, k;

	while (i < n) {
		if ((k = manscdp_utf8_seq(u + i, n - i)) == 0)
			return -1;
		wide |= k > 1;
		i += k;
	}
	return wide;
}

/* The encoding="..." of an <?xml ...?> declaration at the start, or "". */
static void
manscdp_declared(const char *s, size_t n, char *enc, size_t encsz)
{
	const char *p = s, *end, *q, *v;
	char quote;

	enc[0] = '\0';
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < s + n && manscdp_space(*p))
		p++;
	if ((size_t)(s + n - p) < 6 || memcmp(p, "<?xml", 5) != 0)
		return;
	end = p;
	while (end + 1 < s + n && !(end[0] == '?' && end[1] == '>'))
		end++;
	for (q = p + 5; q + 8 <= end; q++) {
		if (memcmp(q, "encoding", 8) != 0 || !manscdp_space(q[-1]))
			continue;
		q += 8;
		while (q < end && manscdp_space(*q))
			q++;
		if (q >= end || *q++ != '=')
			return;
		while (q < end && manscdp_space(*q))
			q++;
		if (q >= end || (*q != '"' && *q != '\''))
			return;
		quote = *q++;
		for (v = q; v < end && *v != quote; v++)
			;
		if (v < end && (size_t)(v - q) < encsz) {
			memcpy(enc, q, (size_t)(v - q));
			enc[v - q] = '\0';
		}
		return;
	}
}

static int
manscdp_is_gb(const char *enc)
{
	static const char *const gb[] = { "GB2312", "GBK", "GB18030",
	    "GB_2312-80", "CP936", "X-GBK", NULL };

	for (int i = 0; gb[i] != NULL; i++)
		if (strcasecmp(enc, gb[i]) == 0)
			return 1;
	return 0;
}

/* GB18030 (a superset of GB2312 and GBK) to UTF-8 into a malloc'd copy. */
static int
manscdp_from_gb(const char *in, size_t n, char **outp, size_t *outlen)
{
	static iconv_t cd = (iconv_t)-1;
	size_t cap = 2 * n + 16, left = n, room = cap;
	char *src = (char *)in, *out, *dst;

	if (cd == (iconv_t)-1 &&
	    (cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1) {
		log_warn("iconv_open GB18030");
		return EBADMSG;
	}
	if ((out = malloc(cap)) == NULL)
		return ENOMEM;
	dst = out;
	(void)iconv(cd, NULL, NULL, NULL, NULL);
	/* invalid or truncated sequences (EILSEQ, EINVAL) refuse the body */
	if (iconv(cd, &src, &left, &dst, &room) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &dst, &room) == (size_t)-1) {
		free(out);
		return EBADMSG;
	}
	*outp = out;
	*outlen = (size_t)(dst - out);
	return 0;
}

/*
 * Decides how to read the body. A declared GB2312, GBK or GB18030 body is
 * converted from GB18030, unless it is plain ASCII, or it does not convert
 * and is valid UTF-8 (devices that declare GB2312 and send UTF-8 exist).
 * Any other body is read as UTF-8 when it is valid UTF-8, as GB18030 when
 * not (devices that send GB2312 without saying so exist too).
 */
static int
manscdp_decode(const char *body, size_t len, char **copy, size_t *clen,
    const char **charset)
{
	char enc[32];
	int scan = manscdp_utf8_scan(body, len), error;

	*copy = NULL;
	*charset = "UTF-8";
	manscdp_declared(body, len, enc, sizeof(enc));
	if (scan == 0 || (scan == 1 && !manscdp_is_gb(enc)))
		return 0;
	error = manscdp_from_gb(body, len, copy, clen);
	if (error == EBADMSG && scan == 1) {
		log_debug("manscdp: declared %s, read as UTF-8", enc);
		return 0;
	}
	if (error == 0)
		*charset = "GB18030";
	return error;
}

/* --- the tree --- */

static char *
manscdp_store(struct manscdp_doc *d, const char *s, size_t n)
{
	char *r;

	if (d->alen + n + 1 > d->acap)
		return NULL;
	r = d->arena + d->alen;
	memcpy(r, s, n);
	r[n] = '\0';
	d->alen += n + 1;
	return r;
}

static int
manscdp_name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    c == ':' || c >= 0x80;
}

static int
manscdp_name_char(unsigned char c)
{
	return manscdp_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.';
}

/* A name at the cursor; its length, 0 when there is none. */
static size_t
manscdp_name_len(struct manscdp_parser *mp)
{
	const char *q = mp->p;

	if (q >= mp->end || !manscdp_name_start((unsigned char)*q))
		return 0;
	while (q < mp->end && manscdp_name_char((unsigned char)*q))
		q++;
	return (size_t)(q - mp->p);
}

static void
manscdp_skip_space(struct manscdp_parser *mp)
{
	while (mp->p < mp->end && manscdp_space(*mp->p))
		mp->p++;
}

/* Skips past the next occurrence of tag; EBADMSG when there is none. */
static int
manscdp_skip_past(struct manscdp_parser *mp, const char *tag)
{
	size_t tl = strlen(tag);

	for (const char *q = mp->p; q + tl <= mp->end; q++)
		if (memcmp(q, tag, tl) == 0) {
			mp->p = q + tl;
			return 0;
		}
	return EBADMSG;
}

static void
manscdp_put_utf8(char *out, size_t *n, unsigned cp)
{
	if (cp < 0x80)
		out[(*n)++] = (char)cp;
	else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | cp >> 6);
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xe0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | cp >> 18);
		out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/*
 * Decodes the reference at the cursor ('&') into out at *n. Every form is
 * at least as long as what it decodes to, so out never outgrows the input.
 */
static int
manscdp_entity(struct manscdp_parser *mp, char *out, size_t *n)
{
	static const struct {
		const char	*name;
		char		 c;
	} named[] = {
		{ "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	const char *q = mp->p + 1;
	unsigned cp = 0;
	int digits = 0, hex;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t l = strlen(named[i].name);

		if ((size_t)(mp->end - q) >= l && memcmp(q, named[i].name,
		    l) == 0) {
			out[(*n)++] = named[i].c;
			mp->p = q + l;
			return 0;
		}
	}
	if (q >= mp->end || *q++ != '#')
		return EBADMSG;
	hex = q < mp->end && *q == 'x';
	q += hex;
	for (; q < mp->end && *q != ';'; q++, digits++) {
		int v;

		if (*q >= '0' && *q <= '9')
			v = *q - '0';
		else if (hex && *q >= 'a' && *q <= 'f')
			v = *q - 'a' + 10;
		else if (hex && *q >= 'A' && *q <= 'F')
			v = *q - 'A' + 10;
		else
			return EBADMSG;
		/* leading zeros would let a short output come from a long
		 * reference; no code point needs more than 7 digits */
		if (digits >= 7)
			return EBADMSG;
		cp = cp * (hex ? 16 : 10) + (unsigned)v;
	}
	if (q >= mp->end || digits == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff ||
	    (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
		return EBADMSG;
	manscdp_put_utf8(out, n, cp);
	mp->p = q + 1;
	return 0;
}

/* An attribute value up to quote, decoded into the arena. */
static int
manscdp_attr_value(struct manscdp_parser *mp, char quote)
{
	struct manscdp_doc *d = mp->doc;
	char *out = d->arena + d->alen;
	size_t n = 0;
	int error;

	while (mp->p < mp->end && *mp->p != quote) {
		if (d->alen + n + 8 > d->acap)
			return EBADMSG;
		if (*mp->p == '<' || *mp->p == '\0')
			return EBADMSG;
		if (*mp->p == '&') {
			if ((error = manscdp_entity(mp, out, &n)) != 0)
				return error;
		} else
			out[n++] = *mp->p++;
	}
	if (mp->p >= mp->end)
		return EBADMSG;
	mp->p++;
	out[n] = '\0';
	d->alen += n + 1;
	return 0;
}

/* A start tag after '<'; *empty when it was <name .../>. */
static int
manscdp_start_tag(struct manscdp_parser *mp, int *empty)
{
	struct manscdp_doc *d = mp->doc;
	struct manscdp_node *n, *parent;
	const char *name = mp->p, *attrs;
	size_t nl = manscdp_name_len(mp);
	int error;

	if (nl == 0)
		return EBADMSG;
	if (mp->depth >= MANSCDP_DEPTH_MAX || d->nnodes >= d->maxnodes)
		return EBADMSG;
	n = &d->nodes[d->nnodes++];
	memset(n, 0, sizeof(*n));
	n->text = "";
	if ((n->name = manscdp_store(d, name, nl)) == NULL)
		return EBADMSG;
	mp->p += nl;
	attrs = d->arena + d->alen;
	for (;;) {
		const char *an, *a = attrs;
		size_t al;
		int spaced = mp->p < mp->end && manscdp_space(*mp->p);
		char quote;

		manscdp_skip_space(mp);
		if (mp->p >= mp->end)
			return EBADMSG;
		if (*mp->p == '>' || *mp->p == '/')
			break;
		if (!spaced || (al = manscdp_name_len(mp)) == 0)
			return EBADMSG;
		an = mp->p;
		mp->p += al;
		/* a repeated attribute is not well-formed */
		for (unsigned i = 0; i < n->nattrs; i++) {
			if (strlen(a) == al && memcmp(a, an, al) == 0)
				return EBADMSG;
			a += strlen(a) + 1;
			a += strlen(a) + 1;
		}
		if (n->nattrs >= MANSCDP_ATTRS_MAX ||
		    manscdp_store(d, an, al) == NULL)
			return EBADMSG;
		manscdp_skip_space(mp);
		if (mp->p >= mp->end || *mp->p++ != '=')
			return EBADMSG;
		manscdp_skip_space(mp);
		if (mp->p >= mp->end || (*mp->p != '"' && *mp->p != '\''))
			return EBADMSG;
		quote = *mp->p++;
		if ((error = manscdp_attr_value(mp, quote)) != 0)
			return error;
		n->nattrs++;
	}
	n->attrs = n->nattrs > 0 ? attrs : NULL;
	if (*mp->p == '/') {
		if (mp->p + 1 >= mp->end || mp->p[1] != '>')
			return EBADMSG;
		mp->p += 2;
		*empty = 1;
	} else {
		mp->p++;
		*empty = 0;
	}
	if (mp->depth > 0) {
		parent = mp->open[mp->depth - 1];
		if (parent->last != NULL)
			parent->last->next = n;
		else
			parent->child = n;
		parent->last = n;
	}
	if (!*empty) {
		mp->open[mp->depth] = n;
		mp->open_name[mp->depth] = name;
		mp->open_namelen[mp->depth] = nl;
		mp->text_start[mp->depth] = mp->tlen;
		mp->depth++;
	}
	return 0;
}

/* The end tag after "</" of the innermost open element. */
static int
manscdp_end_tag(struct manscdp_parser *mp)
{
	struct manscdp_node *n;
	size_t nl = manscdp_name_len(mp), start;
	const char *t;
	size_t tl;
	int top = mp->depth - 1;

	if (top < 0 || nl != mp->open_namelen[top] ||
	    memcmp(mp->p, mp->open_name[top], nl) != 0)
		return EBADMSG;
	mp->p += nl;
	manscdp_skip_space(mp);
	if (mp->p >= mp->end || *mp->p++ != '>')
		return EBADMSG;
	n = mp->open[top];
	start = mp->text_start[top];
	t = mp->text + start;
	tl = mp->tlen - start;
	while (tl > 0 && manscdp_space(*t))
		t++, tl--;
	while (tl > 0 && manscdp_space(t[tl - 1]))
		tl--;
	if (tl > 0 && (n->text = manscdp_store(mp->doc, t, tl)) == NULL)
		return EBADMSG;
	mp->tlen = start;
	mp->depth--;
	return 0;
}

/* Comments, processing instructions and white space between elements. */
static int
manscdp_misc(struct manscdp_parser *mp, int *more)
{
	manscdp_skip_space(mp);
	*more = 0;
	if (mp->end - mp->p >= 4 && memcmp(mp->p, "<!--", 4) == 0) {
		mp->p += 4;
		*more = 1;
		return manscdp_skip_past(mp, "-->");
	}
	if (mp->end - mp->p >= 2 && memcmp(mp->p, "<?", 2) == 0) {
		mp->p += 2;
		*more = 1;
		return manscdp_skip_past(mp, "?>");
	}
	return 0;
}

/* Content of the open elements until the root closes. */
static int
manscdp_content(struct manscdp_parser *mp)
{
	int error, empty;

	while (mp->depth > 0) {
		const char *p = mp->p;
		size_t left = (size_t)(mp->end - p);

		if (left == 0)
			return EBADMSG;
		if (*p == '&') {
			if ((error = manscdp_entity(mp, mp->text,
			    &mp->tlen)) != 0)
				return error;
		} else if (*p == '\0')
			return EBADMSG;
		else if (*p != '<')
			mp->text[mp->tlen++] = *mp->p++;
		else if (left >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
			const char *s = p + 9;

			mp->p = s;
			if ((error = manscdp_skip_past(mp, "]]>")) != 0)
				return error;
			memcpy(mp->text + mp->tlen, s, (size_t)(mp->p - 3 - s));
			mp->tlen += (size_t)(mp->p - 3 - s);
		} else if (left >= 4 && memcmp(p, "<!--", 4) == 0) {
			mp->p += 4;
			if ((error = manscdp_skip_past(mp, "-->")) != 0)
				return error;
		} else if (left >= 2 && p[1] == '?') {
			mp->p += 2;
			if ((error = manscdp_skip_past(mp, "?>")) != 0)
				return error;
		} else if (left >= 2 && p[1] == '/') {
			mp->p += 2;
			if ((error = manscdp_end_tag(mp)) != 0)
				return error;
		} else {
			mp->p++;
			if ((error = manscdp_start_tag(mp, &empty)) != 0)
				return error;
		}
	}
	return 0;
}

static int
manscdp_tree(struct manscdp_parser *mp)
{
	int error, more, empty;

	if (mp->end - mp->p >= 3 && memcmp(mp->p, "\xef\xbb\xbf", 3) == 0)
		mp->p += 3;
	do {
		if ((error = manscdp_misc(mp, &more)) != 0)
			return error;
	} while (more);
	/* no DTD: no entity can be defined, none can expand */
	if (mp->p >= mp->end || *mp->p != '<')
		return EBADMSG;
	mp->p++;
	if ((error = manscdp_start_tag(mp, &empty)) != 0 ||
	    (error = manscdp_content(mp)) != 0)
		return error;
	do {
		if ((error = manscdp_misc(mp, &more)) != 0)
			return error;
	} while (more);
	/* some devices pad the body with NULs */
	while (mp->p < mp->end && *mp->p == '\0')
		mp->p++;
	return mp->p == mp->end ? 0 : EBADMSG;
}

int
manscdp_parse(struct manscdp_doc **docp, const char *body, size_t len)
{
	struct manscdp_parser mp;
	struct manscdp_doc *d = NULL;
	char *copy = NULL;
	size_t clen = 0, lt = 0;
	const char *src;
	int error;

	*docp = NULL;
	memset(&mp, 0, sizeof(mp));
	if (len == 0 || len > MANSCDP_BODY_MAX)
		return EBADMSG;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return ENOMEM;
	if ((error = manscdp_decode(body, len, &copy, &clen,
	    &d->charset)) != 0)
		goto out;
	src = copy != NULL ? copy : body;
	if (copy != NULL)
		len = clen;
	for (size_t i = 0; i < len; i++)
		lt += src[i] == '<';
	d->maxnodes = lt < MANSCDP_NODES_MAX ? (unsigned)lt : MANSCDP_NODES_MAX;
	/* every string comes from distinct input bytes, plus its NUL */
	d->acap = 2 * len + 16;
	if ((d->nodes = calloc(d->maxnodes + 1, sizeof(*d->nodes))) == NULL ||
	    (d->arena = malloc(d->acap)) == NULL ||
	    (mp.text = malloc(len + 1)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	mp.doc = d;
	mp.p = src;
	mp.end = src + len;
	error = manscdp_tree(&mp);
out:
	free(mp.text);
	free(copy);
	if (error != 0)
		manscdp_free(d);
	else
		*docp = d;
	return error;
}

void
manscdp_free(struct manscdp_doc *d)
{
	if (d == NULL)
		return;
	free(d->nodes);
	free(d->arena);
	free(d);
}

const struct manscdp_node *
manscdp_root(const struct manscdp_doc *d)
{
	return d->nnodes > 0 ? &d->nodes[0] : NULL;
}

const char *
manscdp_charset(const struct manscdp_doc *d)
{
	return d->charset;
}

const char *
manscdp_name(const struct manscdp_node *n)
{
	return n->name;
}

const struct manscdp_node *
manscdp_first(const struct manscdp_node *n)
{
	return n->child;
}

const struct manscdp_node *
manscdp_sibling(const struct manscdp_node *n)
{
	return n->next;
}

const struct manscdp_node *
manscdp_next(const struct manscdp_node *n)
{
	for (const struct manscdp_node *s = n->next; s != NULL; s = s->next)
		if (strcmp(s->name, n->name) == 0)
			return s;
	return NULL;
}

const struct manscdp_node *
manscdp_find(const struct manscdp_node *n, const char *path)
{
	while (n != NULL && path != NULL && *path != '\0') {
		const char *slash = strchr(path, '/');
		size_t l = slash ? (size_t)(slash - path) : strlen(path);
		const struct manscdp_node *c;

		for (c = n->child; c != NULL; c = c->next)
			if (strlen(c->name) == l && memcmp(c->name, path,
			    l) == 0)
				break;
		n = c;
		path = slash ? slash + 1 : NULL;
	}
	return n;
}

const char *
manscdp_text(const struct manscdp_node *n, const char *path)
{
	const struct manscdp_node *e = manscdp_find(n, path);

	return e != NULL ? e->text : NULL;
}

const char *
manscdp_attr(const struct manscdp_node *n, const char *name)
{
	const char *a = n->attrs;

	for (unsigned i = 0; i < n->nattrs; i++) {
		const char *v = a + strlen(a) + 1;

		if (strcmp(a, name) == 0)
			return v;
		a = v + strlen(v) + 1;
	}
	return NULL;
}

/* --- the MANSCDP side of sipd --- */

static struct mans_dev *manscdp_all;

static int64_t
manscdp_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct manscdp_ops manscdp_db_ops = {
	catalog_db_channel_known, catalog_db_apply, catalog_db_device_info,
	subscribe_db_position, subscribe_db_alarm, manscdp_clock_ms
};

void
manscdp_set_ops(const struct manscdp_ops *ops)
{
	manscdp_ops = ops != NULL ? ops : &manscdp_db_ops;
}

struct mans_dev *
manscdp_state(struct gb_dev *dev)
{
	struct mans_dev *m = dev->mans;

	if (m != NULL)
		return m;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_warn("manscdp state");
		return NULL;
	}
	m->dev = dev;
	m->next = manscdp_all;
	if (manscdp_all != NULL)
		manscdp_all->prev = m;
	manscdp_all = m;
	dev->mans = m;
	return m;
}

unsigned
manscdp_next_sn(void)
{
	static unsigned sn;

	/* a restart does not reuse the last run's SNs at once */
	if (sn == 0)
		sn = (unsigned)(time(NULL) % 100000) * 10 + 1;
	if (++sn > 999999999)
		sn = 1;
	return sn;
}

int
manscdp_belongs(struct sipd *sd, struct gb_dev *dev, const char *gb_id)
{
	if (gb_id == NULL || *gb_id == '\0')
		return 0;
	if (strcmp(gb_id, dev->gb_id) == 0)
		return 1;
	if (strlen(gb_id) != GB_ID_LEN ||
	    strspn(gb_id, "0123456789") != GB_ID_LEN)
		return 0;
	return manscdp_ops->channel_known(sd, dev, gb_id);
}

int
manscdp_time(const char *in, char out[20])
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";

	if (in == NULL)
		return 0;
	for (int i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? !(in[i] >= '0' && in[i] <= '9') :
		    !(in[i] == pat[i] || (pat[i] == 'T' && in[i] == ' ')))
			return 0;
	}
	/* fractions of a second are dropped; nothing else may follow */
	if (in[19] != '\0' && in[19] != '.')
		return 0;
	if (in[19] == '.' && strspn(in + 20, "0123456789") != strlen(in + 20))
		return 0;
	memcpy(out, in, 19);
	out[10] = ' ';
	out[19] = '\0';
	/* MariaDB refuses impossible dates; catch the obvious ones here */
	if (atoi(out + 5) < 1 || atoi(out + 5) > 12 || atoi(out + 8) < 1 ||
	    atoi(out + 8) > 31 || atoi(out + 11) > 23 || atoi(out + 14) > 59 ||
	    atoi(out + 17) > 60 || atoi(out) < 1970)
		return 0;
	return 1;
}

void
manscdp_chars(char *out, size_t outsz, const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	while (s[i] != '\0' && chars < max) {
		size_t k = 1;

		while ((s[i + k] & 0xc0) == 0x80)
			k++;
		if (i + k >= outsz)
			break;
		i += k;
		chars++;
	}
	memcpy(out, s, i);
	out[i] = '\0';
}

int
manscdp_coord_ok(const char *s, double lim)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || strlen(s) > 32 ||
	    strspn(s, "+-.0123456789") != strlen(s))
		return 0;
	v = strtod(s, &end);
	return *end == '\0' && v >= -lim && v <= lim;
}

static int
manscdp_keepalive(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_node *root)
{
	keepalive_seen(sd, dev);
	return 200;
}

/* Handlers by (root element, CmdType); each returns the SIP status. */
static const struct {
	const char	*root;
	const char	*cmd;
	int		(*fn)(struct sipd *, struct gb_dev *,
			    const struct manscdp_node *);
} manscdp_handlers[] = {
	{ "Notify",	"Keepalive",		manscdp_keepalive },
	{ "Response",	"Catalog",		catalog_response },
	{ "Response",	"DeviceInfo",		catalog_device_info },
	{ "Notify",	"Alarm",		subscribe_alarm },
	{ "Response",	"Alarm",		subscribe_alarm },
	{ "Notify",	"MobilePosition",	subscribe_position },
};

int
manscdp_handle(struct sipd *sd, struct gb_dev *dev, const char *body,
    size_t len)
{
	struct manscdp_doc *doc;
	const struct manscdp_node *root;
	const char *cmd, *id;
	int error, status = 200, own;

	if ((error = manscdp_parse(&doc, body, len)) != 0) {
		log_info("manscdp from %s: %s", dev->gb_id, error == EBADMSG ?
		    "not a well-formed body" : strerror(error));
		return error == EBADMSG ? 400 : 500;
	}
	root = manscdp_root(doc);
	cmd = manscdp_text(root, "CmdType");
	id = manscdp_text(root, "DeviceID");
	if (cmd == NULL || *cmd == '\0') {
		log_info("manscdp from %s: %s without CmdType", dev->gb_id,
		    manscdp_name(root));
		status = 400;
		goto out;
	}
	if ((own = manscdp_belongs(sd, dev, id)) <= 0) {
		if (own < 0)
			status = 500;
		else {
			log_info("manscdp %s %s from %s: DeviceID %.20s is "
			    "not the device's", manscdp_name(root), cmd,
			    dev->gb_id, id ? id : "(none)");
			status = 400;
		}
		goto out;
	}
	for (size_t i = 0; i < sizeof(manscdp_handlers) /
	    sizeof(manscdp_handlers[0]); i++)
		if (strcasecmp(manscdp_handlers[i].root,
		    manscdp_name(root)) == 0 &&
		    strcasecmp(manscdp_handlers[i].cmd, cmd) == 0) {
			status = manscdp_handlers[i].fn(sd, dev, root);
			goto out;
		}
	log_debug("manscdp %s %.32s from %s: not handled",
	    manscdp_name(root), cmd, dev->gb_id);
out:
	manscdp_free(doc);
	return status;
}

void
manscdp_tick(struct sipd *sd)
{
	int64_t now = manscdp_ops->now_ms();

	for (struct mans_dev *m = manscdp_all; m != NULL; m = m->next) {
		catalog_tick(sd, m, now);
		subscribe_tick(sd, m, now);
	}
}

void
manscdp_forget(struct sipd *sd, struct gb_dev *dev)
{
	struct mans_dev *m = dev->mans;

	if (m == NULL)
		return;
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		manscdp_all = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	catalog_clear(m);
	free(m);
	dev->mans = NULL;
}
