/*
 * Directories: CreateDirectory, DescribeDirectories, ModifyDirectory,
 * DeleteDirectory (not in the spec; as in Alibaba Cloud's vs API). A space's
 * devices are filed in a tree of directories; a root directory has no parent.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/res.h"
#include "actions.h"

#define DIR_ID_MAX	20
#define DIR_NAME_MAX	128
#define DIR_DESC_MAX	1024
#define DIR_WORD_MAX	32

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct res_sort dir_sort[] = {
	{ "id", "id" },
	{ "name", "name" },
	{ "createdTime", "created_at" },
	{ NULL, NULL }
};

static const struct route_param dir_create_params[] = {
	{ "GroupId", PT_STRING, 1, 1, DIR_ID_MAX },
	{ "Name", PT_STRING, 1, 1, DIR_NAME_MAX },
	{ "ParentId", PT_STRING, 0, 1, DIR_ID_MAX },
	{ "Description", PT_STRING, 0, 0, DIR_DESC_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param dir_list_params[] = {
	{ "GroupId", PT_STRING, 1, 1, DIR_ID_MAX },
	{ "ParentId", PT_STRING, 0, 1, DIR_ID_MAX },
	{ "SortBy", PT_STRING, 0, 1, DIR_WORD_MAX },
	{ "SortDirection", PT_STRING, 0, 1, DIR_WORD_MAX },
	{ "PageSize", PT_INT, 0, 1, 100 },
	{ "PageNum", PT_INT, 0, 1, INT_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param dir_modify_params[] = {
	{ "Id", PT_STRING, 1, 1, DIR_ID_MAX },
	{ "Name", PT_STRING, 0, 1, DIR_NAME_MAX },
	{ "Description", PT_STRING, 0, 0, DIR_DESC_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param dir_id_params[] = {
	{ "Id", PT_STRING, 1, 1, DIR_ID_MAX },
	{ NULL, 0, 0, 0, 0 }
};

/* Shared locks: DeleteGroup / DeleteDirectory wait for us, and we for them. */
static const char dir_group_sql[] =
    "SELECT 1 FROM spaces WHERE tenant_id = ? AND id = ? LOCK IN SHARE MODE";
static const char dir_parent_sql[] =
    "SELECT group_id FROM directories WHERE tenant_id = ? AND id = ?"
    " LOCK IN SHARE MODE";
static const char dir_insert_sql[] =
    "INSERT INTO directories (id, tenant_id, group_id, parent_id, name,"
    " description) VALUES (?, ?, ?, ?, ?, ?)";
static const char dir_get_sql[] =
    "SELECT group_id FROM directories WHERE tenant_id = ? AND id = ?";
static const char dir_update_sql[] =
    "UPDATE directories SET name = COALESCE(?, name),"
    " description = COALESCE(?, description) WHERE tenant_id = ? AND id = ?";
static const char dir_lock_sql[] =
    "SELECT group_id FROM directories WHERE tenant_id = ? AND id = ?"
    " FOR UPDATE";
static const char dir_children_sql[] =
    "SELECT (SELECT COUNT(*) FROM directories WHERE tenant_id = ? AND"
    " parent_id = ?), (SELECT COUNT(*) FROM devices WHERE tenant_id = ? AND"
    " directory_id = ?)";
static const char dir_delete_sql[] =
    "DELETE FROM directories WHERE tenant_id = ? AND id = ?";

enum { DC_ID, DC_NAME, DC_DESC, DC_GROUP, DC_PARENT, DC_CREATED };

static const char dir_select_sql[] =
    "SELECT id, name, description, group_id, parent_id, created_at"
    " FROM directories WHERE tenant_id = ?";
static const char dir_count_sql[] =
    "SELECT COUNT(*) FROM directories WHERE tenant_id = ?";

static const struct {
	const char	*key;
	int		 col;
	void		(*put)(json_object *, const char *, const char *);
} dir_fields[] = {
	{ "Id", DC_ID, res_json_str },
	{ "Name", DC_NAME, res_json_str },
	{ "Description", DC_DESC, res_json_str },
	{ "GroupId", DC_GROUP, res_json_str },
	{ "ParentId", DC_PARENT, res_json_str },	/* "" at the root */
	{ "CreatedTime", DC_CREATED, res_json_time },
};

static enum api_err
dir_not_found(struct api_req *r, const char *name, uint64_t id)
{
	return api_fail(r, AE_DIRECTORY_NOT_FOUND, "The specified directory "
	    "%s %llu does not exist.", name, (unsigned long long)id);
}

static enum api_err
dir_group_not_found(struct api_req *r, uint64_t id)
{
	return api_fail(r, AE_GROUP_NOT_FOUND, "The specified group %llu does "
	    "not exist.", (unsigned long long)id);
}

/* Control characters break logs and the GB28181 catalog we serve. */
static enum api_err
dir_check_name(struct api_req *r)
{
	const char *v = res_str(r, "Name");

	for (; v != NULL && *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "Name may not contain control characters.");
	return AE_OK;
}

/*
 * One row's first column, as an id: 0 and *v, ENOENT without a row, or a
 * db errno. The query takes (tenant, id).
 */
static int
dir_lookup(struct api_req *r, const char *sql, uint64_t id, uint64_t *v)
{
	struct db_res *res;
	int error;

	if ((error = db_query(r->db, &res, sql, "ii", (int64_t)r->tenant_id,
	    (int64_t)id)) != 0)
		return error;
	if (db_res_rows(res) == 0)
		error = ENOENT;
	else if (v != NULL)
		*v = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	db_res_free(res);
	return error;
}

/*
 * The space exists, and the parent (when given) is a directory of it.
 * Returns AE_OK, or the error already recorded.
 */
static enum api_err
dir_check_place(struct api_req *r, uint64_t group, uint64_t parent,
    int *error)
{
	uint64_t pgroup;

	if ((*error = dir_lookup(r, dir_group_sql, group, NULL)) == ENOENT)
		return dir_group_not_found(r, group);
	if (*error != 0 || parent == 0)
		return AE_OK;
	if ((*error = dir_lookup(r, dir_parent_sql, parent, &pgroup)) ==
	    ENOENT)
		return dir_not_found(r, "ParentId", parent);
	if (*error == 0 && pgroup != group)
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter ParentId "
		    "must be a directory of the group %llu.",
		    (unsigned long long)group);
	return AE_OK;
}

static enum api_err
dir_reply_id(struct api_req *r, uint64_t id)
{
	char ids[24];

	snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
	res_json_str(res_body(r), "Id", ids);
	return AE_OK;
}

static enum api_err
dir_create(struct api_req *r)
{
	const char *desc = res_str(r, "Description");
	char pids[24];
	uint64_t group, parent = 0, id;
	enum api_err e;
	int error;

	if ((e = res_id(r, "GroupId", &group)) != AE_OK ||
	    (res_str(r, "ParentId") != NULL &&
	    (e = res_id(r, "ParentId", &parent)) != AE_OK) ||
	    (e = dir_check_name(r)) != AE_OK)
		return e;
	if ((error = res_new_id(&id)) != 0 ||
	    (error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "CreateDirectory");
	snprintf(pids, sizeof(pids), "%llu", (unsigned long long)parent);
	if ((e = dir_check_place(r, group, parent, &error)) == AE_OK &&
	    error == 0 &&
	    (error = db_exec(r->db, NULL, dir_insert_sql, "iiisss",
	    (int64_t)id, (int64_t)r->tenant_id, (int64_t)group,
	    parent ? pids : NULL, api_param(r, "Name"),
	    desc ? desc : "")) == 0)
		error = db_commit(r->db);
	if (e == AE_OK && error != 0)
		e = api_fail_errno(r, error, "CreateDirectory");
	if (e != AE_OK) {
		db_rollback(r->db);
		return e;
	}
	return dir_reply_id(r, id);
}

/* Without ParentId, the whole tree of the space (flat, ParentId per row). */
static void
dir_filter(struct res_sql *q, uint64_t group, uint64_t parent)
{
	res_sql_int(q, " AND group_id = ?", (int64_t)group);
	if (parent != 0)
		res_sql_int(q, " AND parent_id = ?", (int64_t)parent);
}

static enum api_err
dir_list(struct api_req *r)
{
	struct res_sql count = { 0 }, q = { 0 };
	struct db_res *res = NULL;
	struct res_page pg;
	json_object *list;
	uint64_t group, parent = 0;
	long total;
	enum api_err e;
	int error;

	if ((e = res_id(r, "GroupId", &group)) != AE_OK ||
	    (res_str(r, "ParentId") != NULL &&
	    (e = res_id(r, "ParentId", &parent)) != AE_OK))
		return e;
	if ((e = dir_check_place(r, group, parent, &error)) != AE_OK)
		return e;
	if (error != 0)
		return api_fail_errno(r, error, "DescribeDirectories");
	res_page(r, &pg);

	res_sql_int(&count, dir_count_sql, (int64_t)r->tenant_id);
	res_sql_int(&q, dir_select_sql, (int64_t)r->tenant_id);
	dir_filter(&count, group, parent);
	dir_filter(&q, group, parent);
	if ((e = res_order(r, dir_sort, &q)) != AE_OK)
		goto out;
	res_sql_page(&q, &pg);

	if ((error = res_sql_query(r, &count, &res)) != 0) {
		e = api_fail_errno(r, error, "DescribeDirectories");
		goto out;
	}
	total = strtol(db_res_get(res, 0, 0, NULL), NULL, 10);
	db_res_free(res);
	res = NULL;
	if ((error = res_sql_query(r, &q, &res)) != 0) {
		e = api_fail_errno(r, error, "DescribeDirectories");
		goto out;
	}
	list = json_object_new_array();
	for (unsigned i = 0; i < db_res_rows(res); i++) {
		json_object *o = json_object_new_object();

		for (size_t f = 0; f < NELEM(dir_fields); f++)
			dir_fields[f].put(o, dir_fields[f].key,
			    db_res_get(res, i, dir_fields[f].col, NULL));
		json_object_array_add(list, o);
	}
	res_page_json(res_body(r), &pg, total);
	json_object_object_add(r->body, "Directories", list);
out:
	db_res_free(res);
	res_sql_free(&count);
	res_sql_free(&q);
	return e;
}

static enum api_err
dir_modify(struct api_req *r)
{
	uint64_t id;
	enum api_err e;
	int error;

	if ((e = res_id(r, "Id", &id)) != AE_OK ||
	    (e = dir_check_name(r)) != AE_OK)
		return e;
	/* No lock: a directory deleted meanwhile just updates no row. */
	if ((error = dir_lookup(r, dir_get_sql, id, NULL)) == 0)
		error = db_exec(r->db, NULL, dir_update_sql, "ssii",
		    res_str(r, "Name"), res_given(r, "Description") ?
		    api_param(r, "Description") : NULL,
		    (int64_t)r->tenant_id, (int64_t)id);
	if (error == ENOENT)
		return dir_not_found(r, "Id", id);
	if (error != 0)
		return api_fail_errno(r, error, "ModifyDirectory");
	return dir_reply_id(r, id);
}

/*
 * Only an empty directory: removing a subtree would silently unfile
 * devices. Refused as InvalidParameter (the Id names a directory that
 * cannot be deleted yet); there is no IncorrectDirectoryStatus code.
 */
static enum api_err
dir_delete(struct api_req *r)
{
	struct db_res *res = NULL;
	uint64_t id;
	long dirs = 0, devs = 0;
	enum api_err e;
	int error;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "DeleteDirectory");
	if ((error = dir_lookup(r, dir_lock_sql, id, NULL)) != 0 ||
	    (error = db_query(r->db, &res, dir_children_sql, "iiii",
	    (int64_t)r->tenant_id, (int64_t)id, (int64_t)r->tenant_id,
	    (int64_t)id)) != 0)
		goto out;
	dirs = strtol(db_res_get(res, 0, 0, NULL), NULL, 10);
	devs = strtol(db_res_get(res, 0, 1, NULL), NULL, 10);
	if (dirs > 0 || devs > 0) {
		e = api_fail(r, AE_INVALID_PARAMETER, "The directory Id %llu "
		    "still holds %ld directories and %ld devices: delete or "
		    "move them first.", (unsigned long long)id, dirs, devs);
		goto out;
	}
	if ((error = db_exec(r->db, NULL, dir_delete_sql, "ii",
	    (int64_t)r->tenant_id, (int64_t)id)) == 0)
		error = db_commit(r->db);
out:
	db_res_free(res);
	if (e == AE_OK && error == ENOENT)
		e = dir_not_found(r, "Id", id);
	else if (e == AE_OK && error != 0)
		e = api_fail_errno(r, error, "DeleteDirectory");
	if (e != AE_OK) {
		db_rollback(r->db);
		return e;
	}
	return dir_reply_id(r, id);
}

const struct route directory_routes[] = {
	{ "CreateDirectory", dir_create, PERM_TENANT, dir_create_params },
	{ "DescribeDirectories", dir_list, PERM_TENANT, dir_list_params },
	{ "ModifyDirectory", dir_modify, PERM_TENANT, dir_modify_params },
	{ "DeleteDirectory", dir_delete, PERM_TENANT, dir_id_params },
	{ NULL, NULL, 0, NULL }
};
