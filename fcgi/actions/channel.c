/*
 * Device channels (spec section 3: 设备通道操作接口).
 */
#include "fcgi/res.h"
#include "actions.h"

const struct route channel_routes[] = {
	{ NULL, NULL, 0, NULL }
};
