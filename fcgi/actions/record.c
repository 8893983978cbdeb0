/*
 * Records (spec section 6: 录制操作接口).
 */
#include "fcgi/res.h"
#include "actions.h"

const struct route record_routes[] = {
	{ NULL, NULL, 0, NULL }
};
