/* The route table and the checks every Action gets before its handler. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/db.h"
#include "common/log.h"
#include "actions/actions.h"
#include "params.h"
#include "router.h"

/* Runs of an Action that keeps losing deadlocks, before InternalError. */
#define ROUTER_DEADLOCK_TRIES	6

static const struct route *const router_tables[] = {
	mts_routes, group_routes, directory_routes, device_routes,
	channel_routes, stream_routes, template_routes, record_routes,
};

static const char router_roa_sql[] =
    "SELECT id, status FROM tenants WHERE user_id = ? AND status <> 3";

const struct route *
router_find(const char *action)
{
	for (size_t t = 0; t < sizeof(router_tables) / sizeof(router_tables[0]);
	    t++)
		for (const struct route *rt = router_tables[t]; rt->action;
		    rt++)
			if (strcmp(rt->action, action) == 0)
				return rt;
	return NULL;
}

static enum api_err
router_check_param(struct api_req *r, const struct route_param *p)
{
	const char *v = api_param(r, p->name);
	json_object *j;
	char *end;
	long n;

	if (v == NULL || *v == '\0') {
		if (p->required)
			return api_fail(r, AE_MISSING_PARAMETER,
			    "The input parameter %s is mandatory.", p->name);
		return AE_OK;
	}
	switch (p->type) {
	case PT_STRING:
		/* characters, not bytes: the value is valid UTF-8 here */
		n = 0;
		for (const char *s = v; *s; s++)
			n += ((unsigned char)*s & 0xc0) != 0x80;
		if (n < p->min || n > p->max)
			return api_fail(r, AE_INVALID_PARAMETER,
			    "The parameter %s must have %ld to %ld "
			    "characters.", p->name, p->min, p->max);
		return AE_OK;
	case PT_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		/* strtol would also take " 5" and "+5" */
		if ((*v != '-' && (*v < '0' || *v > '9')) || errno ||
		    *end != '\0' || n < p->min || n > p->max)
			return api_fail(r, AE_INVALID_PARAMETER,
			    "The parameter %s must be an integer from %ld to "
			    "%ld.", p->name, p->min, p->max);
		return AE_OK;
	case PT_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return api_fail(r, AE_INVALID_PARAMETER,
			    "The parameter %s must be true or false.",
			    p->name);
		return AE_OK;
	case PT_JSON:
		if (strlen(v) > (size_t)p->max ||
		    (j = json_tokener_parse(v)) == NULL)
			return api_fail(r, AE_INVALID_PARAMETER,
			    "The parameter %s must be a JSON object.",
			    p->name);
		n = json_object_is_type(j, json_type_object);
		json_object_put(j);
		if (!n)
			return api_fail(r, AE_INVALID_PARAMETER,
			    "The parameter %s must be a JSON object.",
			    p->name);
		return AE_OK;
	}
	return AE_OK;
}

/* The operator may act as a tenant by naming its UserId. */
static enum api_err
router_owner(struct api_req *r)
{
	const char *roa = api_param(r, "ResourceOwnerAccount");
	struct db_res *res;
	enum api_err e = AE_OK;
	int error;

	if (roa == NULL || *roa == '\0') {
		if (r->route->perm == PERM_TENANT && r->is_operator)
			return api_fail(r, AE_MISSING_PARAMETER,
			    "The operator key must name a tenant with "
			    "ResourceOwnerAccount for %s.", r->route->action);
		return AE_OK;
	}
	if (!r->is_operator || r->route->perm == PERM_OPERATOR)
		return api_fail(r, AE_FORBIDDEN, "ResourceOwnerAccount may "
		    "only be used by the operator on tenant Actions.");
	if ((error = db_query(r->db, &res, router_roa_sql, "s", roa)) != 0)
		return api_fail_errno(r, error, "tenant lookup");
	if (db_res_rows(res) == 0)
		e = api_fail(r, AE_USER_NOT_FOUND,
		    "The ResourceOwnerAccount %.64s does not exist.", roa);
	else if (atoi(db_res_get(res, 0, 1, NULL)) != 2)
		e = api_fail(r, AE_USER_SUSPENDED,
		    "The service of account %.64s is suspended.", roa);
	else
		r->tenant_id = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	db_res_free(res);
	return e;
}

enum api_err
router_dispatch(struct api_req *r)
{
	const char *action = api_param(r, "Action");
	enum api_err e;

	if (action == NULL || *action == '\0')
		return api_fail(r, AE_MISSING_PARAMETER,
		    "The input parameter Action is mandatory.");
	if ((r->route = router_find(action)) == NULL)
		return api_fail(r, AE_ACTION_NOT_FOUND,
		    "The specified Action %.64s is not found.", action);
	if (r->route->perm == PERM_OPERATOR && !r->is_operator)
		return api_fail(r, AE_FORBIDDEN,
		    "This key may not call %s.", action);
	if ((e = router_owner(r)) != AE_OK)
		return e;
	for (const struct route_param *p = r->route->params; p->name; p++)
		if ((e = router_check_param(r, p)) != AE_OK)
			return e;
	/*
	 * A deadlock victim's transaction was rolled back by the server and
	 * nothing was sent yet: the whole Action runs again, after a random
	 * pause that grows, so the competitors do not meet again.
	 */
	for (unsigned tries = 1; ; tries++) {
		e = r->route->handler(r);
		if (!r->deadlocked || tries == ROUTER_DEADLOCK_TRIES)
			return e;
		db_rollback(r->db);
		json_object_put(r->body);
		r->body = NULL;
		r->err = AE_OK;
		r->message[0] = '\0';
		r->deadlocked = 0;
		log_info("%s: %s deadlocked, run again (%u)", r->request_id,
		    action, tries);
		usleep(1000 * (1 + random() % (4u << tries)));
	}
}
