/*
 * Devices (spec section 2: 设备操作接口).
 */
#include "fcgi/res.h"
#include "actions.h"

const struct route device_routes[] = {
	{ NULL, NULL, 0, NULL }
};
