/*
 * Streams (spec section 4: 流操作接口).
 */
#include "fcgi/res.h"
#include "actions.h"

const struct route stream_routes[] = {
	{ NULL, NULL, 0, NULL }
};
