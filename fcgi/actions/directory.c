/*
 * Directories: CreateDirectory, DescribeDirectories, ModifyDirectory,
 * DeleteDirectory (not in the spec; as in Alibaba Cloud's vs API).
 */
#include "fcgi/res.h"
#include "actions.h"

const struct route directory_routes[] = {
	{ NULL, NULL, 0, NULL }
};
