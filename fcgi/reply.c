/* Replies: the single table from internal errors to API codes and statuses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/conf.h"
#include "common/log.h"
#include "api.h"
#include "reply.h"

static const struct {
	const char	*code;
	int		 status;
} reply_errs[AE_COUNT] = {
	[AE_OK] = { NULL, 200 },
	[AE_MISSING_PARAMETER] = { "MissingParameter", 400 },
	[AE_INVALID_PARAMETER] = { "InvalidParameter", 400 },
	[AE_INCOMPLETE_SIGNATURE] = { "IncompleteSignature", 400 },
	[AE_SIGNATURE_MISMATCH] = { "SignatureDoesNotMatch", 400 },
	[AE_TIMESTAMP_FORMAT] = { "InvalidTimeStamp.Format", 400 },
	[AE_TIMESTAMP_EXPIRED] = { "InvalidTimeStamp.Expired", 400 },
	[AE_NONCE_USED] = { "SignatureNonceUsed", 400 },
	[AE_INVALID_VERSION] = { "InvalidVersion", 400 },
	[AE_KEY_NOT_FOUND] = { "InvalidAccessKeyId.NotFound", 404 },
	[AE_ACTION_NOT_FOUND] = { "InvalidAction.NotFound", 404 },
	[AE_UNSUPPORTED_METHOD] = { "UnsupportedHTTPMethod", 403 },
	[AE_FORBIDDEN] = { "Forbidden", 403 },
	[AE_USER_SUSPENDED] = { "Forbidden.UserSuspended", 403 },
	[AE_USER_NOT_FOUND] = { "InvalidUser.NotFound", 404 },
	[AE_GROUP_NOT_FOUND] = { "InvalidGroup.NotFound", 404 },
	[AE_DEVICE_NOT_FOUND] = { "InvalidDevice.NotFound", 404 },
	[AE_CHANNEL_NOT_FOUND] = { "InvalidChannel.NotFound", 404 },
	[AE_STREAM_NOT_FOUND] = { "InvalidStream.NotFound", 404 },
	[AE_TEMPLATE_NOT_FOUND] = { "InvalidTemplate.NotFound", 404 },
	[AE_DIRECTORY_NOT_FOUND] = { "InvalidDirectory.NotFound", 404 },
	[AE_GROUP_STATUS] = { "IncorrectGroupStatus", 409 },
	[AE_DEVICE_STATUS] = { "IncorrectDeviceStatus", 409 },
	[AE_STREAM_STATUS] = { "IncorrectStreamStatus", 409 },
	[AE_TEMPLATE_STATUS] = { "IncorrectTemplateStatus", 409 },
	[AE_CONFIG_EXISTS] = { "ConfigAlreadyExists", 409 },
	[AE_START_TIME_MALFORMED] = { "InvalidStartTime.Malformed", 400 },
	[AE_END_TIME_MALFORMED] = { "InvalidEndTime.Malformed", 400 },
	[AE_END_TIME_MISMATCH] = { "InvalidEndTime.Mismatch", 400 },
	[AE_DURATION_EXCEED] = { "Duration.Exceed", 400 },
	[AE_TOO_MANY_STREAMS] = { "Deny.TooMany.Stream", 403 },
	[AE_THROTTLING] = { "Throttling", 429 },
	[AE_TOO_LARGE] = { "RequestEntityTooLarge", 413 },
	[AE_INTERNAL] = { "InternalError", 500 },
	[AE_UNAVAILABLE] = { "ServiceUnavailable", 503 },
};

int
api_err_status(enum api_err e)
{
	return reply_errs[e].status;
}

const char *
api_err_code(enum api_err e)
{
	return reply_errs[e].code;
}

enum api_err
api_fail(struct api_req *r, enum api_err e, const char *fmt, ...)
{
	va_list ap;

	r->err = e;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return e;
}

enum api_err
api_fail_errno(struct api_req *r, int error, const char *what)
{
	if (error == ENOTCONN)
		return api_fail(r, AE_UNAVAILABLE,
		    "The service is temporarily unavailable.");
	r->deadlocked = error == EDEADLK;
	log_warnx("%s: %s failed: %s", r->request_id, what, strerror(error));
	return api_fail(r, AE_INTERNAL,
	    "The request processing has failed due to some unknown error.");
}

json_object *
reply_build(struct api_req *r)
{
	json_object *o;

	if (r->err == AE_OK) {
		o = r->body ? json_object_get(r->body) : json_object_new_object();
		json_object_object_add(o, "RequestId",
		    json_object_new_string(r->request_id));
		return o;
	}
	o = json_object_new_object();
	json_object_object_add(o, "Code",
	    json_object_new_string(reply_errs[r->err].code));
	json_object_object_add(o, "Message",
	    json_object_new_string(r->message));
	json_object_object_add(o, "RequestId",
	    json_object_new_string(r->request_id));
	json_object_object_add(o, "HostId",
	    json_object_new_string(r->conf->host_id));
	json_object_object_add(o, "Status", json_object_new_int(0));
	json_object_object_add(o, "Data", json_object_new_object());
	return o;
}
