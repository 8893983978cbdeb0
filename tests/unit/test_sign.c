/* Signing: percent-encoding, canonicalisation and the published vectors. */
#include <stdlib.h>

#include "common/sign.h"
#include "t.h"

static char *
enc(const char *s)
{
	static struct buf b;

	buf_reset(&b);
	sign_pct_encode(&b, s, strlen(s));
	return b.p ? b.p : "";
}

static void
test_pct(void)
{
	T_STREQ(enc("a b"), "a%20b");
	T_STREQ(enc("*"), "%2A");
	T_STREQ(enc("~"), "~");
	T_STREQ(enc("-_.~AZaz09"), "-_.~AZaz09");
	T_STREQ(enc("+/=&"), "%2B%2F%3D%26");
	T_STREQ(enc("视频"), "%E8%A7%86%E9%A2%91");
	T_STREQ(enc(""), "");
}

/* the spec's DescribeGroup example (section 4 of vs-api.zh.md) */
static void
test_spec_vector(void)
{
	struct sign_param v[] = {
		{ "Format", "JSON" }, { "SignatureMethod", "HMAC-SHA1" },
		{ "Action", "DescribeGroup" }, { "AccessKeyId", "testid" },
		{ "SignatureNonce", "c2fe8fbb-2977-4414-8d39-348d02419c1c" },
		{ "Version", "2018-12-12" }, { "SignatureVersion", "1.0" },
		{ "Timestamp", "2019-02-28T00:00:00Z" },
	};
	struct buf b = { 0 };
	char sig[SIGN_B64_LEN];

	sign_sort(v, 8);
	T_STREQ(v[0].name, "AccessKeyId");
	T_STREQ(v[7].name, "Version");
	T_OK(sign_string_to_sign(&b, "GET", v, 8) == 0, "sts");
	T_STREQ(b.p, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeGroup"
	    "%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
	    "%3Dc2fe8fbb-2977-4414-8d39-348d02419c1c%26SignatureVersion%3D1.0"
	    "%26Timestamp%3D2019-02-28T00%253A00%253A00Z%26Version%3D"
	    "2018-12-12");
	sign_compute(sig, "testsecret", b.p, b.len);
	T_STREQ(sig, "sgILSN6tpSSOFF3I1NKD+/z0Nos=");
	buf_free(&b);
}

/* Alibaba Cloud's published DescribeRegions example; Signature is left out */
static void
test_aliyun_vector(void)
{
	struct sign_param v[] = {
		{ "Action", "DescribeRegions" }, { "AccessKeyId", "testid" },
		{ "Format", "XML" }, { "Version", "2014-05-26" },
		{ "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" },
		{ "Timestamp", "2016-02-23T12:46:24Z" },
		{ "SignatureMethod", "HMAC-SHA1" },
		{ "SignatureVersion", "1.0" },
		{ "Signature", "ignored" },
	};
	struct buf b = { 0 };
	char sig[SIGN_B64_LEN];

	sign_sort(v, 9);
	T_OK(sign_string_to_sign(&b, "GET", v, 9) == 0, "sts");
	T_OK(strstr(b.p, "Signature%3D") == NULL, "Signature excluded");
	sign_compute(sig, "testsecret", b.p, b.len);
	T_STREQ(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
	buf_reset(&b);
	/* the method is part of what is signed */
	T_OK(sign_string_to_sign(&b, "POST", v, 9) == 0, "sts post");
	sign_compute(sig, "testsecret", b.p, b.len);
	T_OK(strcmp(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=") != 0, "POST differs");
	buf_free(&b);
}

int
main(void)
{
	test_pct();
	test_spec_vector();
	test_aliyun_vector();
	return T_DONE();
}
