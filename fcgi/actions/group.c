/*
 * Spaces (spec section 1: 空间操作接口): CreateGroup ... CreateRtmpGroupStreamurls.
 */
#include "fcgi/res.h"
#include "actions.h"

const struct route group_routes[] = {
	{ NULL, NULL, 0, NULL }
};
