/* Parameters: form decoding of hostile query strings and bodies. */
#include <errno.h>
#include <stdlib.h>

#include "fcgi/params.h"
#include "t.h"

static struct params p;
static char why[160];

/* Parses s alone into a fresh set and finishes it; 0 or the first errno. */
static int
parse(const char *s)
{
	int error;

	params_free(&p);
	why[0] = '\0';
	if ((error = params_parse(&p, s, strlen(s), why, sizeof(why))) != 0)
		return error;
	return params_finish(&p, why, sizeof(why));
}

static const char *
get(const char *name)
{
	return params_get(&p, name);
}

static void
test_plain(void)
{
	T_OK(parse("Action=DescribeGroup&Version=2018-12-12") == 0, "plain");
	T_OK(p.n == 2, "two pairs, got %zu", p.n);
	T_STREQ(get("Action"), "DescribeGroup");
	T_STREQ(get("Version"), "2018-12-12");
	T_OK(get("action") == NULL, "names are case-sensitive");
	T_OK(parse("") == 0 && p.n == 0, "empty string");
	T_OK(get("Action") == NULL, "nothing in an empty set");
}

static void
test_escapes(void)
{
	T_OK(parse("a=x+y&b=%2b&c=%2B&d=%7e%7E&e=%20") == 0, "escapes");
	T_STREQ(get("a"), "x y");
	T_STREQ(get("b"), "+");
	T_STREQ(get("c"), "+");
	T_STREQ(get("d"), "~~");
	T_STREQ(get("e"), " ");
	/* the name is decoded as well as the value */
	T_OK(parse("Tag%2EName=v&x+y=1") == 0, "escaped name");
	T_STREQ(get("Tag.Name"), "v");
	T_STREQ(get("x y"), "1");
	/* '=' inside the value is data: only the first one splits */
	T_OK(parse("k=a=b%3Dc") == 0, "= in value");
	T_STREQ(get("k"), "a=b=c");
	T_OK(parse("Name=%E8%A7%86%E9%A2%91") == 0, "Chinese");
	T_STREQ(get("Name"), "视频");
	T_OK(parse("%E5%90%8D=%f0%9f%98%80") == 0, "UTF-8 name, 4-byte value");
	T_STREQ(get("名"), "\xf0\x9f\x98\x80");
}

static void
test_malformed(void)
{
	static const char *const bad[] = {
		"a=%", "a=%4", "a=%zz", "a=%G1", "a=%1G", "a=1%", "a=%%41",
		"%=1", "%4=1", "a%zz=1",
		"a=%00", "a%00=1", "a=x%00y",
		"a=%80", "a=%C0%AF", "a=%C1%BF", "a=%E0%80%AF", "a=%ED%A0%80",
		"a=%ED%BF%BF", "a=%F5%80%80%80", "a=%F4%90%80%80",
		"a=%F0%80%80%80", "a=%FF", "a=%FE", "a=%E8%A7", "a=%E8",
		"a=%F0%9F%98", "a=%E8%A7%86%E9%A2", "a=%C3%28", "a=%E8%28%86",
		"%80=1", "=x", "=", "a=1&=x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int error = parse(bad[i]);

		T_OK(error == EINVAL, "\"%s\" gave %d, not EINVAL", bad[i],
		    error);
		T_OK(why[0] != '\0', "\"%s\": why is empty", bad[i]);
	}
	/* a raw NUL inside the given length is rejected, not truncated */
	params_free(&p);
	T_OK(params_parse(&p, "a=1\0b", 5, why, sizeof(why)) == EINVAL,
	    "raw NUL in value");
	params_free(&p);
	T_OK(params_parse(&p, "a\0=1", 4, why, sizeof(why)) == EINVAL,
	    "raw NUL in name");
	/* raw (unescaped) invalid UTF-8 bytes too */
	T_OK(parse("a=\x80") == EINVAL, "raw 0x80");
	T_OK(parse("a=\xc0\xaf") == EINVAL, "raw overlong");
	T_OK(parse("a=视频") == 0, "raw valid UTF-8");
	T_STREQ(get("a"), "视频");
}

static void
test_why(void)
{
	T_OK(parse("Good=1&GroupName=%E8%A7") == EINVAL, "truncated UTF-8");
	T_OK(strstr(why, "GroupName") != NULL, "why names it: %s", why);
	T_OK(parse("Good=1&Tag=%zz") == EINVAL, "bad escape");
	T_OK(strstr(why, "Tag") != NULL, "why names it: %s", why);
	T_OK(parse("=x") == EINVAL && strstr(why, "name") != NULL,
	    "empty name said: %s", why);
	T_OK(parse("a=1&Dup=2&Dup=3") == EINVAL, "duplicate");
	T_OK(strstr(why, "Dup") != NULL, "why names it: %s", why);
	/* a long name is cut in the message, never overflowing it */
	{
		char q[600];

		memset(q, 'N', 500);
		strcpy(q + 500, "=%zz");
		T_OK(parse(q) == EINVAL, "long name");
		T_OK(strstr(why, "NNNNNNNNNNNNNNNN") != NULL, "cut name: %s",
		    why);
	}
}

static void
test_pieces(void)
{
	T_OK(parse("a=1&&b=2") == 0 && p.n == 2, "empty piece");
	T_STREQ(get("a"), "1");
	T_STREQ(get("b"), "2");
	T_OK(parse("a=1&") == 0 && p.n == 1, "trailing &");
	T_OK(parse("&a=1") == 0 && p.n == 1, "leading &");
	T_OK(parse("&&&") == 0 && p.n == 0, "only &");
	T_OK(parse("flag&b=") == 0 && p.n == 2, "no '=' and empty value");
	T_STREQ(get("flag"), "");
	T_STREQ(get("b"), "");
	/* the length bounds the input: nothing after it is read */
	params_free(&p);
	T_OK(params_parse(&p, "a=1&b=2", 3, why, sizeof(why)) == 0 &&
	    params_finish(&p, why, sizeof(why)) == 0, "length-bounded");
	T_OK(p.n == 1 && get("b") == NULL, "b not seen");
	params_free(&p);
	T_OK(params_parse(&p, "a=%41", 4, why, sizeof(why)) == EINVAL,
	    "escape cut by length");
}

static void
test_duplicates(void)
{
	const char *q = "AccessKeyId=k&Action=A", *b = "Name=x&Action=B";

	T_OK(parse("a=1&a=1") == EINVAL, "same name and value");
	T_OK(parse("a=1&A=1") == 0, "case differs: distinct");
	T_OK(parse("a=1&a%3D=1") == 0, "\"a=\" is another name");
	T_OK(parse("x+y=1&x%20y=2") == EINVAL, "equal once decoded");
	T_OK(strstr(why, "x y") != NULL, "why: %s", why);
	/* query and body merge into one set: a name in both is a duplicate */
	params_free(&p);
	T_OK(params_parse(&p, q, strlen(q), why, sizeof(why)) == 0, "query");
	T_OK(params_parse(&p, b, strlen(b), why, sizeof(why)) == 0, "body");
	T_OK(p.n == 4, "merged %zu", p.n);
	T_OK(params_finish(&p, why, sizeof(why)) == EINVAL, "query + body");
	T_OK(strstr(why, "Action") != NULL, "why: %s", why);
	params_free(&p);
	b = "Name=x";
	T_OK(params_parse(&p, q, strlen(q), why, sizeof(why)) == 0 &&
	    params_parse(&p, b, strlen(b), why, sizeof(why)) == 0 &&
	    params_finish(&p, why, sizeof(why)) == 0, "disjoint merge");
	T_STREQ(get("Name"), "x");
	T_STREQ(get("Action"), "A");
}

/* Appends "pN=N" pairs for N in [from, to) to b. */
static void
add_pairs(struct buf *b, int from, int to)
{
	for (int i = from; i < to; i++)
		buf_addf(b, "%sp%d=%d", b->len ? "&" : "", i, i);
}

static void
test_limit(void)
{
	struct buf b = { 0 }, c = { 0 };

	add_pairs(&b, 0, PARAMS_MAX);
	T_OK(parse(b.p) == 0 && p.n == PARAMS_MAX, "PARAMS_MAX accepted");
	buf_reset(&b);
	add_pairs(&b, 0, PARAMS_MAX + 1);
	T_OK(parse(b.p) == E2BIG, "PARAMS_MAX + 1 refused");
	T_OK(strstr(why, "parameters") != NULL, "why: %s", why);
	buf_reset(&b);
	add_pairs(&b, 0, 5000);
	T_OK(parse(b.p) == E2BIG, "5000 refused");
	/* the limit holds across the query and the body */
	buf_reset(&b);
	add_pairs(&b, 0, PARAMS_MAX / 2);
	add_pairs(&c, PARAMS_MAX / 2, PARAMS_MAX + 1);
	params_free(&p);
	T_OK(params_parse(&p, b.p, b.len, why, sizeof(why)) == 0, "half");
	T_OK(params_parse(&p, c.p, c.len, why, sizeof(why)) == E2BIG,
	    "the rest overflows");
	/* empty pieces do not count */
	buf_reset(&b);
	add_pairs(&b, 0, PARAMS_MAX);
	for (int i = 0; i < 1000; i++)
		buf_addc(&b, '&');
	T_OK(parse(b.p) == 0, "& padding is free");
	buf_free(&b);
	buf_free(&c);
}

static void
test_get(void)
{
	T_OK(parse("m=13&b=2&z=26&a=1&y=25&c=3&n=14") == 0, "parse");
	T_OK(p.n == 7, "seven");
	T_STREQ(p.v[0].name, "a");
	T_STREQ(p.v[6].name, "z");
	T_STREQ(get("a"), "1");		/* first */
	T_STREQ(get("z"), "26");	/* last */
	T_STREQ(get("m"), "13");
	T_STREQ(get("n"), "14");
	T_OK(get("0") == NULL, "before first");
	T_OK(get("zz") == NULL, "after last");
	T_OK(get("d") == NULL, "missing in the middle");
	T_OK(get("") == NULL, "empty name");
	/* byte order: uppercase sorts before lowercase */
	T_OK(parse("b=1&B=2&a=3&A=4") == 0, "mixed case");
	T_STREQ(p.v[0].name, "A");
	T_STREQ(p.v[3].name, "b");
	T_STREQ(get("B"), "2");
	T_STREQ(get("a"), "3");
	T_OK(parse("only=1") == 0, "one");
	T_STREQ(get("only"), "1");
	T_OK(get("onl") == NULL && get("only1") == NULL, "prefixes");
}

static int
utf8(const char *s)
{
	return params_utf8_valid((const unsigned char *)s, strlen(s));
}

static void
test_utf8(void)
{
	T_OK(utf8(""), "empty");
	T_OK(utf8("ascii \x7f"), "ASCII");
	T_OK(utf8("\xc2\x80"), "U+0080");
	T_OK(utf8("\xdf\xbf"), "U+07FF");
	T_OK(utf8("\xe0\xa0\x80"), "U+0800");
	T_OK(utf8("\xed\x9f\xbf"), "U+D7FF");
	T_OK(utf8("\xee\x80\x80"), "U+E000");
	T_OK(utf8("\xef\xbf\xbf"), "U+FFFF");
	T_OK(utf8("\xf0\x90\x80\x80"), "U+10000");
	T_OK(utf8("\xf4\x8f\xbf\xbf"), "U+10FFFF");
	T_OK(!utf8("\xf4\x90\x80\x80"), "U+110000");
	T_OK(!utf8("\xf7\xbf\xbf\xbf"), "U+1FFFFF");
	T_OK(!utf8("\x80"), "lone continuation");
	T_OK(!utf8("\xbf"), "lone continuation bf");
	T_OK(!utf8("\xc0\x80"), "overlong NUL");
	T_OK(!utf8("\xc1\xbf"), "overlong 2-byte");
	T_OK(!utf8("\xe0\x9f\xbf"), "overlong 3-byte");
	T_OK(!utf8("\xf0\x8f\xbf\xbf"), "overlong 4-byte");
	T_OK(!utf8("\xed\xa0\x80"), "U+D800");
	T_OK(!utf8("\xed\xbf\xbf"), "U+DFFF");
	T_OK(!utf8("\xf5\x80\x80\x80"), "F5 lead");
	T_OK(!utf8("\xf8\x88\x80\x80\x80"), "5-byte form");
	T_OK(!utf8("\xfe") && !utf8("\xff"), "FE FF");
	T_OK(!utf8("a\xc3"), "truncated 2 at end");
	T_OK(!utf8("a\xe8\xa7"), "truncated 3 at end");
	T_OK(!utf8("\xf0\x9f\x98"), "truncated 4 at end");
	T_OK(!utf8("\xc3\x28"), "bad continuation");
	T_OK(!utf8("\xe8\xa7\xc3\xa9"), "lead where continuation due");
	/* n bounds the check: a sequence cut by n is invalid */
	T_OK(!params_utf8_valid((const unsigned char *)"\xe8\xa7\x86", 2),
	    "cut by n");
	T_OK(params_utf8_valid((const unsigned char *)"ab\xe8", 2),
	    "bytes after n not read");
}

static void
test_is_form(void)
{
	static const char *yes[] = { "application/x-www-form-urlencoded",
	    "Application/X-WWW-Form-URLEncoded", "application/x-www-form-"
	    "urlencoded; charset=UTF-8", "application/x-www-form-urlencoded;"
	    "charset=utf-8", "application/x-www-form-urlencoded \t" };
	static const char *no[] = { "application/x-www-form-urlencodedX",
	    "application/x-www-form-urlencoded-evil", "application/x-www-form"
	    "-urlencoded,text/plain", "application/x-www-form-urlencode",
	    "text/plain", "multipart/form-data", "", " application/x-www-"
	    "form-urlencoded", NULL };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		T_OK(params_is_form(yes[i]), "form: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		T_OK(!params_is_form(no[i]), "not a form: %s",
		    no[i] ? no[i] : "(none)");
}

int
main(void)
{
	test_plain();
	test_escapes();
	test_malformed();
	test_why();
	test_pieces();
	test_duplicates();
	test_limit();
	test_get();
	test_utf8();
	test_is_form();
	params_free(&p);
	return T_DONE();
}
