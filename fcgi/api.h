/* The request being served and the API error codes of NOTES section 2. */
#ifndef VIGIL_API_H
#define VIGIL_API_H

#include <stdint.h>

#include <json-c/json.h>

#include "params.h"

enum api_err {
	AE_OK,
	AE_MISSING_PARAMETER,
	AE_INVALID_PARAMETER,
	AE_INCOMPLETE_SIGNATURE,
	AE_SIGNATURE_MISMATCH,
	AE_TIMESTAMP_FORMAT,
	AE_TIMESTAMP_EXPIRED,
	AE_NONCE_USED,
	AE_INVALID_VERSION,
	AE_KEY_NOT_FOUND,
	AE_ACTION_NOT_FOUND,
	AE_UNSUPPORTED_METHOD,
	AE_FORBIDDEN,
	AE_USER_SUSPENDED,
	AE_USER_NOT_FOUND,
	AE_GROUP_NOT_FOUND,
	AE_DEVICE_NOT_FOUND,
	AE_CHANNEL_NOT_FOUND,
	AE_STREAM_NOT_FOUND,
	AE_TEMPLATE_NOT_FOUND,
	AE_DIRECTORY_NOT_FOUND,
	AE_GROUP_STATUS,
	AE_DEVICE_STATUS,
	AE_STREAM_STATUS,
	AE_TEMPLATE_STATUS,
	AE_CONFIG_EXISTS,
	AE_START_TIME_MALFORMED,
	AE_END_TIME_MALFORMED,
	AE_END_TIME_MISMATCH,
	AE_DURATION_EXCEED,
	AE_TOO_MANY_STREAMS,
	AE_THROTTLING,
	AE_TOO_LARGE,
	AE_INTERNAL,
	AE_UNAVAILABLE,
	AE_COUNT
};

struct db;
struct vigil_conf;
struct route;

struct api_req {
	/* set by the worker */
	const char		*method;
	char			 request_id[37];
	struct params		 params;
	struct db		*db;
	const struct vigil_conf	*conf;
	/* set by authentication */
	const char		*key_id;
	int			 is_operator;
	uint64_t		 tenant_id;	/* 0: none */
	const struct route	*route;
	/* the reply */
	enum api_err		 err;
	char			 message[512];
	json_object		*body;		/* success fields */
	int			 deadlocked;	/* failed on EDEADLK: run again */
};

/* Records an error for the reply; returns e so handlers can return it. */
enum api_err	api_fail(struct api_req *r, enum api_err e, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* Maps an errno of common/ to ServiceUnavailable or InternalError. */
enum api_err	api_fail_errno(struct api_req *r, int error, const char *what);
/* HTTP status and Code of an error. */
int		api_err_status(enum api_err e);
const char	*api_err_code(enum api_err e);

/* The value of a parameter (NULL when absent). */
const char	*api_param(const struct api_req *r, const char *name);

#endif
