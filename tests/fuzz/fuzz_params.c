/*
 * libFuzzer target for the form decoder: input is "query 0xFF body", parsed
 * into one set as the worker does, then checked against params.h's promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/sign.h"
#include "fcgi/params.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a crash, so libFuzzer keeps the input. */
#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* What a finished set promises: sorted, unique, well-formed, findable. */
static void
fuzz_check_set(const struct params *p)
{
	CHECK(p->n <= PARAMS_MAX);
	for (size_t i = 0; i < p->n; i++) {
		const char *name = p->v[i].name, *value = p->v[i].value;

		CHECK(name[0] != '\0');
		CHECK(params_utf8_valid((const unsigned char *)name,
		    strlen(name)));
		CHECK(params_utf8_valid((const unsigned char *)value,
		    strlen(value)));
		CHECK(i == 0 || strcmp(p->v[i - 1].name, name) < 0);
		CHECK(params_get(p, name) == value);
	}
}

/* Encoding a set and parsing it again gives the same set. */
static void
fuzz_round_trip(const struct params *p)
{
	struct params q = { 0 };
	struct buf b = { 0 };
	char why[160];

	for (size_t i = 0; i < p->n; i++) {
		CHECK((i == 0 || buf_addc(&b, '&') == 0) &&
		    sign_pct_encode(&b, p->v[i].name,
		    strlen(p->v[i].name)) == 0 && buf_addc(&b, '=') == 0 &&
		    sign_pct_encode(&b, p->v[i].value,
		    strlen(p->v[i].value)) == 0);
	}
	CHECK(params_parse(&q, b.p ? b.p : "", b.len, why, sizeof(why)) == 0);
	CHECK(params_finish(&q, why, sizeof(why)) == 0);
	CHECK(q.n == p->n);
	for (size_t i = 0; i < q.n; i++) {
		CHECK(strcmp(q.v[i].name, p->v[i].name) == 0);
		CHECK(strcmp(q.v[i].value, p->v[i].value) == 0);
	}
	params_free(&q);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "Action", "Signature",
	    "AccessKeyId", "Timestamp", "a", "" };
	const uint8_t *sep = memchr(data, 0xff, size);
	size_t qlen = sep ? (size_t)(sep - data) : size;
	struct params p = { 0 };
	struct buf sts = { 0 };
	char why[160];
	int error;

	why[0] = '\0';
	error = params_parse(&p, (const char *)data, qlen, why, sizeof(why));
	if (error == 0 && sep != NULL)
		error = params_parse(&p, (const char *)sep + 1,
		    size - qlen - 1, why, sizeof(why));
	if (error == 0)
		error = params_finish(&p, why, sizeof(why));
	/* every refusal says why */
	CHECK(error == 0 || (why[0] != '\0' && strlen(why) < sizeof(why)));
	if (error == 0) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			(void)params_get(&p, names[i]);
		fuzz_check_set(&p);
		fuzz_round_trip(&p);
		CHECK(sign_string_to_sign(&sts, "GET", p.v, p.n) == 0);
		CHECK(strlen(sts.p) == sts.len);
		buf_free(&sts);
	}
	params_free(&p);
	return 0;
}
