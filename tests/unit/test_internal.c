/* The checks of the edge's internal endpoints: loopback and the secret. */
#include "common/secret.h"
#include "fcgi/internal.h"
#include "t.h"

int
main(void)
{
	static const struct {
		const char	*addr;
		int		 loopback;
	} addrs[] = {
		{ "127.0.0.1", 1 }, { "127.1.2.3", 1 }, { "::1", 1 },
		{ "::ffff:127.0.0.1", 1 }, { "0:0:0:0:0:0:0:1", 1 },
		/* a "127." prefix is not an address */
		{ "127.evil.example", 0 }, { "127.0.0.1x", 0 },
		{ "127.0.0.1 ", 0 }, { "127.", 0 }, { "::ffff:127.evil", 0 },
		{ "10.0.0.1", 0 }, { "128.0.0.1", 0 }, { "::2", 0 },
		{ "::ffff:10.0.0.1", 0 }, { "unix:", 0 }, { "", 0 },
	};

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		T_OK(internal_loopback(addrs[i].addr) == addrs[i].loopback,
		    "internal_loopback(\"%s\")", addrs[i].addr);
	T_OK(!internal_loopback(NULL), "NULL");
	T_OK(secret_equal("0123456789abcdef", "0123456789abcdef"), "equal");
	T_OK(!secret_equal("0123456789abcdef", "0123456789abcde"), "prefix");
	T_OK(!secret_equal("0123456789abcdef", ""), "empty");
	T_OK(!secret_equal("0123456789abcdef", NULL), "missing");
	T_OK(!secret_equal(NULL, NULL), "no secret loaded");
	return T_DONE();
}
