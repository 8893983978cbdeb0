/*
 * The route table and the checks every Action gets before its handler:
 * lookup, permissions, required parameters and the checks by type. Each
 * request here fails before its handler, so no database is needed.
 */
#include <string.h>

#include "fcgi/params.h"
#include "fcgi/router.h"
#include "t.h"

/* Dispatches query q (form-encoded) as a tenant, or as the operator. */
static enum api_err
dispatch(const char *q, int operator, char *msg, size_t msglen)
{
	struct api_req r = { .is_operator = operator,
	    .tenant_id = operator ? 0 : 7 };
	char why[256];
	enum api_err e;

	if (params_parse(&r.params, q, strlen(q), why, sizeof(why)) != 0 ||
	    params_finish(&r.params, why, sizeof(why)) != 0) {
		printf("not ok: %s: %s\n", q, why);
		return AE_COUNT;
	}
	e = router_dispatch(&r);
	snprintf(msg, msglen, "%s", r.message);
	params_free(&r.params);
	return e;
}

#define EXPECT(q, op, err, text) do {					\
	char m[512];							\
	enum api_err e = dispatch((q), (op), m, sizeof(m));		\
	T_OK(e == (err) && strstr(m, (text)) != NULL,			\
	    "%s: %s (%d)", (q), m, (int)e);				\
} while (0)

/* Every table: unique Actions, handlers, sane parameter tables. */
static void
test_tables(void)
{
	static const char *known[] = { "CreateMtsService", "CreateGroup",
	    "DescribeDevices", "StartChannel", "DescribeStreamURL",
	    "DeleteStreamAuthKey", "BindTemplate", "DescribeRecords" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct route *rt = router_find(known[i]);

		T_OK(rt != NULL && strcmp(rt->action, known[i]) == 0 &&
		    rt->handler != NULL && rt->params != NULL, "%s", known[i]);
		for (const struct route_param *p = rt ? rt->params : NULL;
		    p != NULL && p->name != NULL; p++) {
			T_OK(p->min <= p->max || p->type == PT_BOOL,
			    "%s %s: range", known[i], p->name);
			for (const struct route_param *o = p + 1; o->name; o++)
				T_OK(strcmp(o->name, p->name) != 0, "%s: %s "
				    "twice", known[i], p->name);
		}
	}
	T_OK(router_find("describegroups") == NULL, "Actions are exact");
	T_OK(router_find("DescribeGroups ") == NULL, "no trailing space");
	T_OK(router_find("") == NULL, "empty");
	T_OK(router_find("QueryChargingBpsMaxUsage") == NULL,
	    "not built: InvalidAction.NotFound");
}

static void
test_dispatch(void)
{
	EXPECT("", 0, AE_MISSING_PARAMETER, "Action");
	EXPECT("Action=NoSuchAction", 0, AE_ACTION_NOT_FOUND, "NoSuchAction");
	EXPECT("Action=CreateMtsService&UserId=x", 0, AE_FORBIDDEN,
	    "CreateMtsService");
	EXPECT("Action=DescribeGroups", 1, AE_MISSING_PARAMETER,
	    "ResourceOwnerAccount");
	EXPECT("Action=GetMtsServiceStatus&ResourceOwnerAccount=a", 1,
	    AE_FORBIDDEN, "ResourceOwnerAccount");
	EXPECT("Action=DescribeGroups&ResourceOwnerAccount=a", 0,
	    AE_FORBIDDEN, "ResourceOwnerAccount");
	/* by type, in table order; the first failure is reported */
	EXPECT("Action=StartChannel", 0, AE_MISSING_PARAMETER, "Id");
	EXPECT("Action=StartChannel&Id=", 0, AE_MISSING_PARAMETER, "Id");
	EXPECT("Action=StartChannel&Id=x", 0, AE_INVALID_PARAMETER, "Id");
	EXPECT("Action=StartChannel&Id=%2B5", 0, AE_INVALID_PARAMETER, "Id");
	EXPECT("Action=StartChannel&Id=%205", 0, AE_INVALID_PARAMETER, "Id");
	EXPECT("Action=StartChannel&Id=5x", 0, AE_INVALID_PARAMETER, "Id");
	EXPECT("Action=StartChannel&Id=0", 0, AE_INVALID_PARAMETER, "Id");
	EXPECT("Action=StartChannel&Id=99999999999999999999", 0,
	    AE_INVALID_PARAMETER, "Id");
	EXPECT("Action=StartChannel&Id=5", 0, AE_MISSING_PARAMETER,
	    "AccessInfo");
	EXPECT("Action=StartChannel&Id=5&AccessInfo=%5B1%5D", 0,
	    AE_INVALID_PARAMETER, "AccessInfo");
	EXPECT("Action=StartChannel&Id=5&AccessInfo=%7B", 0,
	    AE_INVALID_PARAMETER, "AccessInfo");
	EXPECT("Action=StartChannel&Id=5&AccessInfo=%22s%22", 0,
	    AE_INVALID_PARAMETER, "AccessInfo");
	EXPECT("Action=CreateGroup&Name=g&Region=r&InProtocol=rtmp"
	    "&OutProtocol=flv&LazyPull=TRUE", 0, AE_INVALID_PARAMETER,
	    "LazyPull");
}

/* String lengths count characters: 128 CJK ones (384 bytes) fit Name. */
static void
test_lengths(void)
{
	char q[4096] = "Action=CreateGroup&Name=";

	for (int i = 0; i < 128; i++)
		strcat(q, "%E6%80%BB");
	EXPECT(q, 0, AE_MISSING_PARAMETER, "Region");
	strcat(q, "x");
	EXPECT(q, 0, AE_INVALID_PARAMETER, "Name");
}

int
main(void)
{
	test_tables();
	test_dispatch();
	test_lengths();
	return T_DONE();
}
