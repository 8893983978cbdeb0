/* Replies: error table and JSON bodies. */
#ifndef VIGIL_REPLY_H
#define VIGIL_REPLY_H

#include <json-c/json.h>

struct api_req;

/* The JSON reply of a finished request (success fields or error body). */
json_object	*reply_build(struct api_req *r);

#endif
