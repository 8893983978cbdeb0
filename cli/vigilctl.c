/*
 * vigilctl: signs and sends one API request, prints the JSON reply.
 * Exit status: 0 success, 1 API error, 2 usage, 3 transport failure.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/keyfile.h"
#include "common/sign.h"
#include "common/vtime.h"

#define MAX_PARAMS	128

/*
 * Parameters that carry secrets: a request with one goes as POST, so the
 * secret stays out of URLs and the web server's logs. Their Actions:
 * CreateMtsService, CreateRtmpGroupStreamurl(s), Start{Device,Channel,
 * Stream}, BatchStart{Devices,Streams} (AccessInfo), CreateDevice and
 * ModifyDevice (Password), DescribeStreamURL, DeleteStreamAuthKey (AuthKey).
 */
static const char *const secret_params[] = {
	"AccessInfo", "Password", "AuthKey", "AccessKeySecret", NULL
};

static int
secret_param(const char *name)
{
	for (size_t i = 0; secret_params[i] != NULL; i++)
		if (strcasecmp(secret_params[i], name) == 0)
			return 1;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: vigilctl [--endpoint URL] [--key-file F | --access-key-id ID"
	    " --access-key-secret S]\n"
	    "                [--post] [--print-url [--count N]] Action"
	    " [Key=Value ...]\n"
	    "requests with AccessInfo, Password or AuthKey are sent as POST\n"
	    "defaults: endpoint http://127.0.0.1:$VIGIL_HTTP_PORT (8080),"
	    " key file $VIGIL_VAR/operator.key (var/)\n");
	exit(2);
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	return buf_add(arg, p, sz * n) == 0 ? sz * n : 0;
}

/* Sets q to the signed, percent-encoded query of sorted params v. */
static int
sign_query(struct buf *q, const char *method, const struct sign_param *v,
    size_t n, const char *secret)
{
	struct buf sts = { 0 };
	char sig[SIGN_B64_LEN];
	int error = -1;

	buf_reset(q);
	if (sign_string_to_sign(&sts, method, v, n) != 0)
		goto out;
	sign_compute(sig, secret, sts.p, sts.len);
	for (size_t i = 0; i < n; i++)
		if ((i && buf_addc(q, '&')) ||
		    sign_pct_encode(q, v[i].name, strlen(v[i].name)) ||
		    buf_addc(q, '=') ||
		    sign_pct_encode(q, v[i].value, strlen(v[i].value)))
			goto out;
	if (buf_adds(q, "&Signature=") || sign_pct_encode(q, sig, strlen(sig)))
		goto out;
	error = 0;
out:
	buf_free(&sts);
	return error;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "access-key-id", required_argument, NULL, 'i' },
		{ "access-key-secret", required_argument, NULL, 's' },
		{ "post", no_argument, NULL, 'p' },
		{ "print-url", no_argument, NULL, 'u' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char id[KEYFILE_FIELD_MAX] = "", secret[KEYFILE_FIELD_MAX] = "";
	char nonce[37], ts[VTIME_LEN], endpoint[512];
	char keyfile[512], *key_id = NULL, *key_secret = NULL;
	struct sign_param v[MAX_PARAMS];
	struct buf q = { 0 }, url = { 0 }, body = { 0 };
	const char *env, *method = "GET";
	size_t n = 0, k;
	int ch, print_url = 0, rc = 3;
	long count = 1;
	long status = 0;
	CURL *curl;

	env = getenv("VIGIL_HTTP_PORT");
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%s",
	    env ? env : "8080");
	env = getenv("VIGIL_VAR");
	snprintf(keyfile, sizeof(keyfile), "%s/operator.key", env ? env : "var");
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			snprintf(endpoint, sizeof(endpoint), "%s", optarg);
			break;
		case 'k':
			snprintf(keyfile, sizeof(keyfile), "%s", optarg);
			break;
		case 'i':
			key_id = optarg;
			break;
		case 's':
			key_secret = optarg;
			break;
		case 'p':
			method = "POST";
			break;
		case 'u':
			print_url = 1;
			break;
		case 'n':
			count = atol(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || (!key_id != !key_secret))
		usage();
	if (key_id == NULL) {
		if (keyfile_read(keyfile, id, secret) != 0) {
			fprintf(stderr, "vigilctl: cannot read key file %s\n",
			    keyfile);
			return 2;
		}
		key_id = id;
		key_secret = secret;
	}
	if (crypto_uuid(nonce) != 0)
		return 3;
	vtime_format(ts, time(NULL));
	v[n++] = (struct sign_param){ "Action", argv[optind] };
	v[n++] = (struct sign_param){ "Version", "2018-12-12" };
	v[n++] = (struct sign_param){ "Format", "JSON" };
	v[n++] = (struct sign_param){ "AccessKeyId", key_id };
	v[n++] = (struct sign_param){ "SignatureMethod", "HMAC-SHA1" };
	v[n++] = (struct sign_param){ "SignatureVersion", "1.0" };
	v[n++] = (struct sign_param){ "SignatureNonce", nonce };
	v[n++] = (struct sign_param){ "Timestamp", ts };
	for (int i = optind + 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL || eq == argv[i] || n == MAX_PARAMS)
			usage();
		*eq = '\0';
		/* a user value replaces a default (e.g. Version) */
		for (k = 0; k < n && strcmp(v[k].name, argv[i]) != 0; k++)
			;
		v[k] = (struct sign_param){ argv[i], eq + 1 };
		if (k == n)
			n++;
		if (secret_param(argv[i]))
			method = "POST";
	}
	sign_sort(v, n);
	/* --print-url --count N: N URLs, each with its own nonce */
	for (long i = 0; i < (print_url ? count : 1); i++) {
		if ((i > 0 && crypto_uuid(nonce) != 0) ||
		    sign_query(&q, method, v, n, key_secret) != 0)
			return 3;
		buf_reset(&url);
		if (strcmp(method, "GET") == 0)
			buf_addf(&url, "%s/?%s", endpoint, q.p);
		else
			buf_addf(&url, "%s/", endpoint);
		if (print_url)
			printf("%s\n", strcmp(method, "GET") == 0 ? url.p : q.p);
	}
	if (print_url)
		return 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((curl = curl_easy_init()) == NULL)
		return 3;
	curl_easy_setopt(curl, CURLOPT_URL, url.p);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, q.p);
	if (curl_easy_perform(curl) != CURLE_OK) {
		fprintf(stderr, "vigilctl: cannot reach %s\n", endpoint);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	printf("%s\n", body.p ? body.p : "");
	rc = status >= 200 && status < 300 ? 0 : 1;
out:
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	buf_free(&q);
	buf_free(&url);
	buf_free(&body);
	return rc;
}
