/* Handlers and parameter tables of the Actions, one file per spec section. */
#ifndef VIGIL_ACTIONS_H
#define VIGIL_ACTIONS_H

#include "fcgi/api.h"
#include "fcgi/router.h"

/* mts.c: ordering (spec section 9) */
extern const struct route_param mts_create_params[];
extern const struct route_param mts_user_params[];
enum api_err	mts_create(struct api_req *r);
enum api_err	mts_suspend(struct api_req *r);
enum api_err	mts_renew(struct api_req *r);
enum api_err	mts_delete(struct api_req *r);
enum api_err	mts_status(struct api_req *r);

#endif
