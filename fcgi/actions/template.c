/*
 * Templates and bindings (spec section 5: 模板操作接口).
 */
#include "fcgi/res.h"
#include "actions.h"

const struct route template_routes[] = {
	{ NULL, NULL, 0, NULL }
};
