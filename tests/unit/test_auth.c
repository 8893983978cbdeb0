/* Authentication without a database: common parameters, time, signature. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/vtime.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "t.h"

#define SECRET	"s3cret"

static struct vigil_conf *conf;
static char now_ts[VTIME_LEN];

/* The parameters of a good request; a test overrides or drops some. */
static const char *const base[][2] = {
	{ "AccessKeyId", "LTAItestid" },
	{ "Action", "DescribeGroup" },
	{ "Format", "JSON" },
	{ "GroupId", "1551312000000007" },
	{ "SignatureMethod", "HMAC-SHA1" },
	{ "SignatureNonce", "c2fe8fbb-2977-4414-8d39-348d02419c1c" },
	{ "SignatureVersion", "1.0" },
	{ "Timestamp", now_ts },
	{ "Version", "2018-12-12" },
};

static void
add_pair(struct buf *q, const char *name, const char *value)
{
	if (q->len > 0)
		buf_addc(q, '&');
	sign_pct_encode(q, name, strlen(name));
	buf_addc(q, '=');
	sign_pct_encode(q, value, strlen(value));
}

/*
 * Writes the base query to q with name set to value (NULL: left out; a name
 * not in the base is added), then a Signature made by secret for method
 * (secret NULL: no Signature).
 */
static void
build(struct buf *q, const char *name, const char *value,
    const char *method, const char *secret)
{
	struct params p = { 0 };
	struct buf sts = { 0 };
	char why[160], sig[SIGN_B64_LEN];
	int found = 0;

	buf_reset(q);
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		if (name != NULL && strcmp(base[i][0], name) == 0) {
			found = 1;
			if (value != NULL)
				add_pair(q, name, value);
		} else
			add_pair(q, base[i][0], base[i][1]);
	}
	if (name != NULL && !found && value != NULL)
		add_pair(q, name, value);
	if (secret == NULL)
		return;
	if (params_parse(&p, q->p, q->len, why, sizeof(why)) != 0 ||
	    params_finish(&p, why, sizeof(why)) != 0 ||
	    sign_string_to_sign(&sts, method, p.v, p.n) != 0)
		printf("# cannot sign %s: %s\n", q->p, why);
	else {
		sign_compute(sig, secret, sts.p, sts.len);
		add_pair(q, "Signature", sig);
	}
	buf_free(&sts);
	params_free(&p);
}

/* Makes r the request of query q arriving with method; 0 when q parses. */
static int
req(struct api_req *r, const char *method, const char *q)
{
	char why[160];

	params_free(&r->params);
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->conf = conf;
	strcpy(r->request_id, "00000000-0000-4000-8000-000000000000");
	if (params_parse(&r->params, q, strlen(q), why, sizeof(why)) != 0 ||
	    params_finish(&r->params, why, sizeof(why)) != 0) {
		printf("# %s: %s\n", q, why);
		return -1;
	}
	return 0;
}

/* Both checks in the order auth_check runs them. */
static enum api_err
check(struct api_req *r, const char *secret)
{
	enum api_err e;

	if ((e = auth_precheck(r)) != AE_OK)
		return e;
	return auth_signature(r, secret);
}

/* Builds, signs with SECRET for GET and checks a request with one change. */
static enum api_err
check_one(struct api_req *r, const char *name, const char *value)
{
	struct buf q = { 0 };
	enum api_err e = AE_INTERNAL;

	build(&q, name, value, "GET", SECRET);
	if (req(r, "GET", q.p) == 0)
		e = check(r, SECRET);
	buf_free(&q);
	return e;
}

static int
said(const struct api_req *r, const char *word)
{
	return strstr(r->message, word) != NULL;
}

static void
test_good(void)
{
	struct api_req r = { 0 };
	struct buf q = { 0 };

	build(&q, NULL, NULL, "GET", SECRET);
	T_OK(req(&r, "GET", q.p) == 0, "parses");
	T_OK(auth_precheck(&r) == AE_OK, "precheck: %s", r.message);
	T_OK(auth_signature(&r, SECRET) == AE_OK, "signature: %s", r.message);
	T_OK(r.err == AE_OK, "no error recorded");
	/* the same request signed for POST and sent as a form body */
	build(&q, NULL, NULL, "POST", SECRET);
	T_OK(req(&r, "POST", q.p) == 0 && check(&r, SECRET) == AE_OK,
	    "POST: %s", r.message);
	T_OK(check_one(&r, "Format", "json") == AE_OK, "Format=json: %s",
	    r.message);
	T_OK(check_one(&r, "Format", NULL) == AE_OK, "Format absent: %s",
	    r.message);
	T_OK(check_one(&r, "GroupName", "视频 监控/1+1=2&*~") == AE_OK,
	    "Chinese and reserved characters: %s", r.message);
	T_OK(check_one(&r, "Empty", "") == AE_OK, "empty value: %s",
	    r.message);
	params_free(&r.params);
	buf_free(&q);
}

static void
test_incomplete(void)
{
	static const char *const signing[] = { "AccessKeyId",
	    "SignatureMethod", "SignatureVersion", "SignatureNonce" };
	struct api_req r = { 0 };
	struct buf q = { 0 };
	char nonce[200];

	build(&q, NULL, NULL, "GET", NULL);
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_INCOMPLETE_SIGNATURE, "no Signature");
	T_OK(said(&r, "Signature"), "message: %s", r.message);
	build(&q, "Signature", "", "GET", NULL);
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_INCOMPLETE_SIGNATURE, "empty Signature");
	for (size_t i = 0; i < sizeof(signing) / sizeof(signing[0]); i++) {
		T_OK(check_one(&r, signing[i], NULL) ==
		    AE_INCOMPLETE_SIGNATURE, "no %s", signing[i]);
		T_OK(said(&r, signing[i]), "message: %s", r.message);
		T_OK(check_one(&r, signing[i], "") ==
		    AE_INCOMPLETE_SIGNATURE, "empty %s", signing[i]);
		T_OK(said(&r, signing[i]), "message: %s", r.message);
	}
	T_OK(check_one(&r, "SignatureMethod", "HMAC-SHA256") ==
	    AE_INCOMPLETE_SIGNATURE, "HMAC-SHA256");
	T_OK(said(&r, "SignatureMethod"), "message: %s", r.message);
	T_OK(check_one(&r, "SignatureMethod", "hmac-sha1") ==
	    AE_INCOMPLETE_SIGNATURE, "method is case-sensitive");
	T_OK(check_one(&r, "SignatureVersion", "2.0") ==
	    AE_INCOMPLETE_SIGNATURE, "SignatureVersion 2.0");
	T_OK(said(&r, "SignatureVersion"), "message: %s", r.message);
	memset(nonce, 'n', 129);
	nonce[129] = '\0';
	T_OK(check_one(&r, "SignatureNonce", nonce) ==
	    AE_INCOMPLETE_SIGNATURE, "129-character nonce");
	nonce[128] = '\0';
	T_OK(check_one(&r, "SignatureNonce", nonce) == AE_OK,
	    "128-character nonce: %s", r.message);
	params_free(&r.params);
	buf_free(&q);
}

static void
test_common(void)
{
	struct api_req r = { 0 };

	T_OK(check_one(&r, "Version", NULL) == AE_MISSING_PARAMETER,
	    "no Version");
	T_OK(said(&r, "Version"), "message: %s", r.message);
	T_OK(check_one(&r, "Version", "") == AE_MISSING_PARAMETER,
	    "empty Version");
	T_OK(check_one(&r, "Version", "2014-05-26") == AE_INVALID_VERSION,
	    "wrong Version");
	T_OK(said(&r, "Version"), "message: %s", r.message);
	T_OK(check_one(&r, "Format", "XML") == AE_INVALID_PARAMETER, "XML");
	T_OK(said(&r, "Format"), "message: %s", r.message);
	T_OK(check_one(&r, "Format", "") == AE_INVALID_PARAMETER,
	    "empty Format");
	params_free(&r.params);
}

static void
test_timestamp(void)
{
	struct api_req r = { 0 };
	char ts[VTIME_LEN];
	time_t now = time(NULL);

	T_OK(check_one(&r, "Timestamp", NULL) == AE_MISSING_PARAMETER,
	    "no Timestamp");
	T_OK(said(&r, "Timestamp"), "message: %s", r.message);
	T_OK(check_one(&r, "Timestamp", "") == AE_MISSING_PARAMETER,
	    "empty Timestamp");
	T_OK(check_one(&r, "Timestamp", "2019-02-28 00:00:00") ==
	    AE_TIMESTAMP_FORMAT, "malformed Timestamp");
	T_OK(said(&r, "Timestamp"), "message: %s", r.message);
	T_OK(check_one(&r, "Timestamp", "1551312000") == AE_TIMESTAMP_FORMAT,
	    "Unix time");
	vtime_format(ts, now - 16 * 60);
	T_OK(check_one(&r, "Timestamp", ts) == AE_TIMESTAMP_EXPIRED,
	    "16 minutes old");
	T_OK(said(&r, "Timestamp"), "message: %s", r.message);
	vtime_format(ts, now + 16 * 60);
	T_OK(check_one(&r, "Timestamp", ts) == AE_TIMESTAMP_EXPIRED,
	    "16 minutes ahead");
	vtime_format(ts, now - 14 * 60);
	T_OK(check_one(&r, "Timestamp", ts) == AE_OK, "14 minutes old: %s",
	    r.message);
	vtime_format(ts, now + 14 * 60);
	T_OK(check_one(&r, "Timestamp", ts) == AE_OK, "14 minutes ahead: %s",
	    r.message);
	T_OK(check_one(&r, "Timestamp", "2019-02-28T00:00:00Z") ==
	    AE_TIMESTAMP_EXPIRED, "the spec's example is long expired");
	params_free(&r.params);
}

/* Replaces the first from in q->p with to (same length). */
static void
patch(struct buf *q, const char *from, const char *to)
{
	char *s = strstr(q->p, from);

	if (s != NULL && strlen(from) == strlen(to))
		memcpy(s, to, strlen(to));
}

static void
test_mismatch(void)
{
	struct api_req r = { 0 };
	struct buf q = { 0 };
	char *sig;

	build(&q, NULL, NULL, "GET", "wrong");
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_SIGNATURE_MISMATCH, "wrong secret");
	T_OK(said(&r, "StringToSign"), "message: %s", r.message);
	T_OK(check(&r, "wrong") == AE_OK, "its own secret");
	T_OK(check(&r, "") == AE_SIGNATURE_MISMATCH, "empty secret");
	build(&q, NULL, NULL, "GET", SECRET);
	T_OK(req(&r, "POST", q.p) == 0 && check(&r, SECRET) ==
	    AE_SIGNATURE_MISMATCH, "GET-signed sent as POST");
	T_OK(said(&r, "POST&%2F&"), "message: %s", r.message);
	build(&q, NULL, NULL, "POST", SECRET);
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_SIGNATURE_MISMATCH, "POST-signed sent as GET");
	/* any parameter changed after signing */
	build(&q, NULL, NULL, "GET", SECRET);
	patch(&q, "GroupId=1551312000000007", "GroupId=1551312000000008");
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_SIGNATURE_MISMATCH, "tampered value");
	build(&q, NULL, NULL, "GET", SECRET);
	patch(&q, "Action=DescribeGroup", "Action=DescribeGrouq");
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_SIGNATURE_MISMATCH, "tampered Action");
	build(&q, NULL, NULL, "GET", SECRET);
	buf_adds(&q, "&Extra=1");
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_SIGNATURE_MISMATCH, "parameter added");
	build(&q, "GroupName", "视频", "GET", SECRET);
	patch(&q, "%E8%A7%86", "%E8%A7%87");
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_SIGNATURE_MISMATCH, "tampered Chinese value");
	/* the signature itself, one character off */
	build(&q, NULL, NULL, "GET", SECRET);
	sig = strstr(q.p, "&Signature=") + 11;
	if (*sig == '%')	/* an escaped '+' or '/' */
		sig += 3;
	*sig = *sig == 'A' ? 'B' : 'A';
	T_OK(req(&r, "GET", q.p) == 0 && check(&r, SECRET) ==
	    AE_SIGNATURE_MISMATCH, "signature altered");
	params_free(&r.params);
	buf_free(&q);
}

static void
test_errors(void)
{
	static const struct {
		enum api_err	 e;
		int		 status;
		const char	*code;
	} want[] = {
		{ AE_OK, 200, NULL },
		{ AE_MISSING_PARAMETER, 400, "MissingParameter" },
		{ AE_INVALID_PARAMETER, 400, "InvalidParameter" },
		{ AE_INCOMPLETE_SIGNATURE, 400, "IncompleteSignature" },
		{ AE_SIGNATURE_MISMATCH, 400, "SignatureDoesNotMatch" },
		{ AE_TIMESTAMP_FORMAT, 400, "InvalidTimeStamp.Format" },
		{ AE_TIMESTAMP_EXPIRED, 400, "InvalidTimeStamp.Expired" },
		{ AE_NONCE_USED, 400, "SignatureNonceUsed" },
		{ AE_INVALID_VERSION, 400, "InvalidVersion" },
		{ AE_KEY_NOT_FOUND, 404, "InvalidAccessKeyId.NotFound" },
		{ AE_ACTION_NOT_FOUND, 404, "InvalidAction.NotFound" },
		{ AE_UNSUPPORTED_METHOD, 403, "UnsupportedHTTPMethod" },
		{ AE_FORBIDDEN, 403, "Forbidden" },
		{ AE_USER_SUSPENDED, 403, "Forbidden.UserSuspended" },
		{ AE_USER_NOT_FOUND, 404, "InvalidUser.NotFound" },
		{ AE_GROUP_NOT_FOUND, 404, "InvalidGroup.NotFound" },
		{ AE_DEVICE_NOT_FOUND, 404, "InvalidDevice.NotFound" },
		{ AE_CHANNEL_NOT_FOUND, 404, "InvalidChannel.NotFound" },
		{ AE_STREAM_NOT_FOUND, 404, "InvalidStream.NotFound" },
		{ AE_TEMPLATE_NOT_FOUND, 404, "InvalidTemplate.NotFound" },
		{ AE_DIRECTORY_NOT_FOUND, 404, "InvalidDirectory.NotFound" },
		{ AE_GROUP_STATUS, 409, "IncorrectGroupStatus" },
		{ AE_DEVICE_STATUS, 409, "IncorrectDeviceStatus" },
		{ AE_STREAM_STATUS, 409, "IncorrectStreamStatus" },
		{ AE_TEMPLATE_STATUS, 409, "IncorrectTemplateStatus" },
		{ AE_CONFIG_EXISTS, 409, "ConfigAlreadyExists" },
		{ AE_START_TIME_MALFORMED, 400, "InvalidStartTime.Malformed" },
		{ AE_END_TIME_MALFORMED, 400, "InvalidEndTime.Malformed" },
		{ AE_END_TIME_MISMATCH, 400, "InvalidEndTime.Mismatch" },
		{ AE_DURATION_EXCEED, 400, "Duration.Exceed" },
		{ AE_TOO_MANY_STREAMS, 403, "Deny.TooMany.Stream" },
		{ AE_THROTTLING, 429, "Throttling" },
		{ AE_TOO_LARGE, 413, "RequestEntityTooLarge" },
		{ AE_INTERNAL, 500, "InternalError" },
		{ AE_UNAVAILABLE, 503, "ServiceUnavailable" },
	};
	struct api_req r = { 0 };
	char key[100];

	T_OK(sizeof(want) / sizeof(want[0]) == AE_COUNT,
	    "every api_err is in this table");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *code = api_err_code(want[i].e);

		T_OK(api_err_status(want[i].e) == want[i].status,
		    "status of %d: %d", want[i].e, api_err_status(want[i].e));
		if (want[i].code == NULL)
			T_OK(code == NULL, "AE_OK has a code");
		else
			T_STREQ(code, want[i].code);
	}
	T_OK(api_fail(&r, AE_FORBIDDEN, "x %d", 7) == AE_FORBIDDEN &&
	    r.err == AE_FORBIDDEN, "api_fail records");
	T_STREQ(r.message, "x 7");
	T_OK(api_fail_errno(&r, ENOTCONN, "test") == AE_UNAVAILABLE,
	    "ENOTCONN -> ServiceUnavailable");
	T_OK(api_fail_errno(&r, EIO, "test") == AE_INTERNAL &&
	    !said(&r, "test"), "EIO -> InternalError, nothing leaked");
	/* an overlong AccessKeyId cannot exist: no lookup needed */
	memset(key, 'k', 65);
	key[65] = '\0';
	T_OK(check_one(&r, "AccessKeyId", key) == AE_KEY_NOT_FOUND,
	    "65-character AccessKeyId");
	params_free(&r.params);
}

int
main(void)
{
	int quiet = log_verbosity;

	log_verbosity = LOG_LVL_ERR;	/* api_fail_errno logs on purpose */
	if (conf_load(&conf, NULL) != 0) {
		T_OK(0, "conf_load");
		return T_DONE();
	}
	log_verbosity = quiet;
	vtime_format(now_ts, time(NULL));
	test_good();
	test_incomplete();
	test_common();
	test_timestamp();
	test_mismatch();
	log_verbosity = LOG_LVL_ERR;
	test_errors();
	conf_free(conf);
	return T_DONE();
}
