/* The route table: Action -> handler, parameter table, permission. */
#ifndef VIGIL_ROUTER_H
#define VIGIL_ROUTER_H

#include "api.h"

enum route_perm {
	PERM_OPERATOR,	/* the operator key only (ordering, charging) */
	PERM_TENANT,	/* a tenant key, or the operator naming a tenant */
};

enum param_type {
	PT_STRING,	/* min..max characters */
	PT_INT,		/* min..max */
	PT_BOOL,	/* true | false */
	PT_JSON,	/* a JSON object, at most max bytes */
};

struct route_param {
	const char	*name;
	enum param_type	 type;
	int		 required;
	long		 min, max;
};

struct route {
	const char			*action;
	enum api_err			(*handler)(struct api_req *r);
	enum route_perm			 perm;
	const struct route_param	*params;	/* ends with NULL name */
};

/* The route of an Action, or NULL. */
const struct route	*router_find(const char *action);
/*
 * Serves an authenticated request: permission, ResourceOwnerAccount,
 * parameter checks by the route's table, then the handler.
 */
enum api_err		 router_dispatch(struct api_req *r);

#endif
