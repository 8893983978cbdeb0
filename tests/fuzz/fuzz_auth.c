/*
 * libFuzzer target for authentication without a database: a first byte
 * 'P' means POST, any other GET; the rest is a query string checked as
 * auth_check would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/log.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* The spec's example key, so its signed URL in the corpus verifies. */
#define FUZZ_SECRET	"testsecret"

static struct vigil_conf *fuzz_conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_verbosity = LOG_LVL_ERR;
	if (conf_load(&fuzz_conf, NULL) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_req r = { 0 };
	enum api_err e;
	char why[160];

	if (size == 0)
		return 0;
	r.method = data[0] == 'P' ? "POST" : "GET";
	r.conf = fuzz_conf;
	strcpy(r.request_id, "00000000-0000-4000-8000-000000000000");
	if (params_parse(&r.params, (const char *)data + 1, size - 1, why,
	    sizeof(why)) == 0 && params_finish(&r.params, why,
	    sizeof(why)) == 0) {
		e = auth_precheck(&r);
		CHECK(e < AE_COUNT && (e == AE_OK) == (r.err == AE_OK));
		/*
		 * auth_check only gets here with a Signature; past the clock
		 * check too, but the fuzzer cannot forge a fresh Timestamp.
		 */
		if (api_param(&r, "Signature") != NULL)
			e = auth_signature(&r, FUZZ_SECRET);
		CHECK(e < AE_COUNT && api_err_status(e) >= 200);
		CHECK(e == AE_OK || (api_err_code(e) != NULL &&
		    strlen(r.message) < sizeof(r.message)));
	}
	params_free(&r.params);
	return 0;
}
