/* API times: strict YYYY-MM-DDThh:mm:ssZ parsing and formatting. */
#include <errno.h>

#include "common/vtime.h"
#include "t.h"

/* The parsed time, or -1 when s is refused. */
static time_t
parse(const char *s)
{
	time_t t = -1;

	if (vtime_parse(s, &t) != 0)
		return -1;
	return t;
}

static void
test_valid(void)
{
	T_OK(parse("2019-02-28T00:00:00Z") == 1551312000, "spec example");
	T_OK(parse("1970-01-01T00:00:00Z") == 0, "epoch");
	T_OK(parse("2019-02-28T23:59:59Z") == 1551398399, "end of day");
	T_OK(parse("2016-02-23T12:46:24Z") == 1456231584, "aliyun example");
	T_OK(parse("2024-02-29T00:00:00Z") == 1709164800, "leap day 2024");
	T_OK(parse("2000-02-29T12:00:00Z") == 951825600, "leap day 2000");
	T_OK(parse("2024-12-31T23:59:59Z") == 1735689599, "end of year");
	T_OK(parse("2038-01-19T03:14:08Z") == 2147483648LL, "past 2^31");
	T_OK(parse("2024-04-30T00:00:00Z") != -1, "30 April");
}

static void
test_invalid(void)
{
	static const char *const bad[] = {
		"", "Z", "2019-02-28", "2019-02-28T00:00:00",
		"2019-02-28T00:00:00z", "2019-02-28t00:00:00Z",
		"2019-02-28 00:00:00Z", "2019-02-28T00:00:00.000Z",
		"2019-02-28T00:00:00.5Z", "2019-02-28T00:00:00+08:00",
		"2019-02-28T00:00:00+0000", "2019-02-28T00:00:00ZZ",
		"2019-02-28T00:00:00Z ", " 2019-02-28T00:00:00Z",
		"2019-2-28T00:00:00Z", "2019-02-8T00:00:00Z",
		"19-02-28T00:00:00Z", "02019-02-28T00:00:0Z",
		"2019/02/28T00:00:00Z", "2019-02-28T00.00.00Z",
		"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z", "2019-02-30T00:00:00Z",
		"2019-04-31T00:00:00Z", "2019-13-01T00:00:00Z",
		"2019-00-01T00:00:00Z", "2019-01-00T00:00:00Z",
		"2019-01-32T00:00:00Z", "2019-01-01T24:00:00Z",
		"2019-01-01T00:60:00Z", "2019-01-01T00:00:60Z",
		"2019-01-01T00:00:61Z", "2O19-01-01T00:00:00Z",
		"2019-0a-01T00:00:00Z", "2019-01-01T0x:00:00Z",
		"2019-01-01T00:00:-1Z", "2019-01-01T+1:00:00Z",
		"2019-01-01T00: 0:00Z", "-019-01-01T00:00:00Z",
		"2019-01-01T00:00:00\xef\xbc\xba", "1969-12-31T23:59:59Z",
		"0000-01-01T00:00:00Z",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t = 42;

		T_OK(vtime_parse(bad[i], &t) == EINVAL, "accepted \"%s\"",
		    bad[i]);
		T_OK(t == 42, "\"%s\" wrote the result", bad[i]);
	}
}

static void
test_format(void)
{
	static const time_t ts[] = { 0, 951825600, 1551312000, 1709164800,
	    1735689599, 2147483648LL, 253402300799LL };
	char out[VTIME_LEN];
	int fails = 0;

	vtime_format(out, 1551312000);
	T_STREQ(out, "2019-02-28T00:00:00Z");
	vtime_format(out, 1709251199);
	T_STREQ(out, "2024-02-29T23:59:59Z");
	vtime_format(out, 253402300799LL);
	T_STREQ(out, "9999-12-31T23:59:59Z");
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		vtime_format(out, ts[i]);
		T_OK(parse(out) == ts[i], "round trip of %lld via %s",
		    (long long)ts[i], out);
	}
	/* every day of a leap year and a common year */
	for (time_t t = 1704067200; t < 1704067200 + 731 * 86400;
	    t += 86400 + 3661) {
		vtime_format(out, t);
		if (parse(out) != t && fails++ == 0)
			printf("# round trip of %lld via %s\n", (long long)t,
			    out);
	}
	T_OK(fails == 0, "daily round trip: %d failed", fails);
}

static void
test_clocks(void)
{
	uint64_t ms = vtime_now_ms(), us = vtime_mono_us();
	time_t now = time(NULL);

	T_OK(ms / 1000 >= (uint64_t)now - 1 && ms / 1000 <= (uint64_t)now + 1,
	    "now_ms %llu vs time() %lld", (unsigned long long)ms,
	    (long long)now);
	T_OK(vtime_mono_us() >= us, "monotonic");
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_format();
	test_clocks();
	return T_DONE();
}
