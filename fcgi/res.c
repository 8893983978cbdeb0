/* Helpers shared by the resource Actions (see res.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/id.h"
#include "common/netguard.h"
#include "common/vtime.h"
#include "res.h"
#include "router.h"

const char *
res_str(const struct api_req *r, const char *name)
{
	const char *v = api_param(r, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
res_given(const struct api_req *r, const char *name)
{
	return api_param(r, name) != NULL;
}

int
res_bool(const struct api_req *r, const char *name, int def)
{
	const char *v = res_str(r, name);

	return v ? strcmp(v, "true") == 0 : def;
}

long
res_long(const struct api_req *r, const char *name, long def)
{
	const char *v = res_str(r, name);

	return v ? strtol(v, NULL, 10) : def;
}

int
res_parse_id(const char *s, uint64_t *id)
{
	char *end;

	if (*s < '0' || *s > '9' || strlen(s) > 20)
		return EINVAL;
	errno = 0;
	*id = strtoull(s, &end, 10);
	return errno || *end != '\0' || *id == 0 ? EINVAL : 0;
}

enum api_err
res_id(struct api_req *r, const char *name, uint64_t *id)
{
	const char *v = res_str(r, name);

	if (v == NULL)
		return api_fail(r, AE_MISSING_PARAMETER,
		    "The input parameter %s is mandatory.", name);
	if (res_parse_id(v, id) != 0)
		return api_fail(r, AE_INVALID_PARAMETER,
		    "The parameter %s must be a numeric id.", name);
	return AE_OK;
}

int
res_new_id(uint64_t *id)
{
	char s[ID_LEN];
	int error;

	if ((error = id_next(s)) != 0)
		return error;
	*id = strtoull(s, NULL, 10);
	return 0;
}

static int
res_in(const char *v, size_t len, const char *const *allowed)
{
	for (int i = 0; allowed[i] != NULL; i++)
		if (strlen(allowed[i]) == len && strncmp(allowed[i], v, len) == 0)
			return i;
	return -1;
}

static void
res_allowed(struct buf *b, const char *const *allowed)
{
	for (int i = 0; allowed[i] != NULL; i++)
		buf_addf(b, "%s%s", i ? ", " : "", allowed[i]);
}

enum api_err
res_enum(struct api_req *r, const char *name, const char *const *allowed)
{
	const char *v = res_str(r, name);
	struct buf b = { 0 };

	if (v == NULL || res_in(v, strlen(v), allowed) >= 0)
		return AE_OK;
	res_allowed(&b, allowed);
	api_fail(r, AE_INVALID_PARAMETER, "The parameter %s must be one of: "
	    "%s.", name, b.p);
	buf_free(&b);
	return AE_INVALID_PARAMETER;
}

enum api_err
res_list(struct api_req *r, const char *name, const char *const *allowed,
    struct buf *canon)
{
	const char *v = res_str(r, name), *p;
	unsigned seen = 0;
	struct buf b = { 0 };

	if (v == NULL)
		return AE_OK;
	for (p = v; ; ) {
		size_t len = strcspn(p, ",");
		int k = res_in(p, len, allowed);

		if (k < 0 || (seen & (1u << k)))
			goto bad;
		seen |= 1u << k;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	for (int i = 0; canon != NULL && allowed[i] != NULL; i++)
		if (seen & (1u << i))
			buf_addf(canon, "%s%s", canon->len ? "," : "",
			    allowed[i]);
	return AE_OK;
bad:
	res_allowed(&b, allowed);
	api_fail(r, AE_INVALID_PARAMETER, "The parameter %s must be a comma "
	    "list of distinct values among: %s.", name, b.p);
	buf_free(&b);
	return AE_INVALID_PARAMETER;
}

enum api_err
res_callback(struct api_req *r, const char *name, const char *v)
{
	static struct netguard guard;
	static int ready;
	const char *why;

	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			goto bad;
	if (!ready) {
		netguard_init(&guard, r->conf);
		ready = 1;
	}
	switch (netguard_url(&guard, v, &why)) {
	case 0:
	case EAGAIN:
		return AE_OK;
	case EACCES:
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter %s "
		    "must not lead to %s.", name, why);
	}
bad:
	return api_fail(r, AE_INVALID_PARAMETER, "The parameter %s must be an "
	    "http:// or https:// URL.", name);
}

enum api_err
res_access_info(struct api_req *r)
{
	static const char *const fields[] = { "AccessKeyId",
	    "AccessKeySecret" };
	json_object *j = json_tokener_parse(api_param(r, "AccessInfo")), *v;
	enum api_err e = AE_OK;

	for (size_t i = 0; i < 2 && e == AE_OK; i++)
		if (!json_object_object_get_ex(j, fields[i], &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0)
			e = api_fail(r, AE_INVALID_PARAMETER,
			    "The parameter AccessInfo must have a non-empty "
			    "string %s.", fields[i]);
	json_object_put(j);
	return e;
}

char *
res_like(const char *v)
{
	struct buf b = { 0 };

	buf_addc(&b, '%');
	for (; *v; v++) {
		if (strchr("%_\\", *v))
			buf_addc(&b, '\\');
		buf_addc(&b, *v);
	}
	if (buf_addc(&b, '%') != 0) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

int
res_in_list(const char *list, const char *item)
{
	size_t n = strlen(item), len;

	for (const char *p = list; ; p += len + 1) {
		len = strcspn(p, ",");
		if (len == n && strncmp(p, item, n) == 0)
			return 1;
		if (p[len] == '\0')
			return 0;
	}
}

enum api_err
res_split(struct api_req *r, const char *name, char ***items, unsigned *n)
{
	const char *v = res_str(r, name), *p;
	char **out;

	*items = NULL;
	*n = 0;
	if (v == NULL)
		return api_fail(r, AE_MISSING_PARAMETER,
		    "The input parameter %s is mandatory.", name);
	if ((out = calloc(RES_BATCH_MAX, sizeof(*out))) == NULL)
		return api_fail_errno(r, ENOMEM, name);
	for (p = v; ; ) {
		size_t len = strcspn(p, ",");

		if (len == 0 || *n == RES_BATCH_MAX) {
			res_split_free(out, *n);
			*n = 0;
			return api_fail(r, AE_INVALID_PARAMETER, "The "
			    "parameter %s must be a comma list of 1 to %d "
			    "non-empty values.", name, RES_BATCH_MAX);
		}
		out[(*n)++] = strndup(p, len);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*items = out;
	return AE_OK;
}

void
res_split_free(char **items, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

enum api_err
res_tx_end(struct api_req *r, enum api_err e, int error)
{
	if (e == AE_OK && error == 0 && (error = db_commit(r->db)) == 0)
		return AE_OK;
	db_rollback(r->db);
	return error ? api_fail_errno(r, error, r->route->action) : e;
}

enum api_err
res_time(struct api_req *r, const char *name, enum api_err err, time_t *t)
{
	const char *v = res_str(r, name);

	if (v == NULL)
		return api_fail(r, AE_MISSING_PARAMETER,
		    "The input parameter %s is mandatory.", name);
	if (vtime_parse(v, t) != 0)
		return api_fail(r, err, "The parameter %s must be "
		    "YYYY-MM-DDThh:mm:ssZ in UTC.", name);
	return AE_OK;
}

void
res_page(const struct api_req *r, struct res_page *pg)
{
	pg->size = res_long(r, "PageSize", 20);
	pg->num = res_long(r, "PageNum", 1);
}

void
res_page_json(json_object *o, const struct res_page *pg, long total)
{
	json_object_object_add(o, "PageSize", json_object_new_int64(pg->size));
	json_object_object_add(o, "PageNum", json_object_new_int64(pg->num));
	json_object_object_add(o, "PageCount",
	    json_object_new_int64((total + pg->size - 1) / pg->size));
	json_object_object_add(o, "TotalCount", json_object_new_int64(total));
}

void
res_sql_add(struct res_sql *q, const char *text)
{
	buf_adds(&q->text, text);
}

void
res_sql_str(struct res_sql *q, const char *text, const char *v)
{
	buf_adds(&q->text, text);
	if (q->n < RES_SQL_ARGS)
		q->args[q->n++] = (struct db_arg){ .type = 's', .s = v };
}

void
res_sql_int(struct res_sql *q, const char *text, int64_t v)
{
	buf_adds(&q->text, text);
	if (q->n < RES_SQL_ARGS)
		q->args[q->n++] = (struct db_arg){ .type = 'i', .i = v };
}

void
res_sql_page(struct res_sql *q, const struct res_page *pg)
{
	res_sql_int(q, " LIMIT ?", pg->size);
	res_sql_int(q, " OFFSET ?", (int64_t)(pg->num - 1) * pg->size);
}

int
res_sql_query(struct api_req *r, struct res_sql *q, struct db_res **resp)
{
	if (q->text.p == NULL || q->n == RES_SQL_ARGS)
		return EINVAL;
	return db_queryv(r->db, resp, q->text.p, q->args, q->n);
}

void
res_sql_free(struct res_sql *q)
{
	buf_free(&q->text);
	q->n = 0;
}

enum api_err
res_order(struct api_req *r, const struct res_sort *keys, struct res_sql *q)
{
	const char *by = res_str(r, "SortBy"), *dir = res_str(r, "SortDirection");
	size_t plen;
	const struct res_sort *k = keys;
	struct buf b = { 0 };

	if (dir != NULL && strcmp(dir, "asc") != 0 && strcmp(dir, "desc") != 0)
		return api_fail(r, AE_INVALID_PARAMETER,
		    "The parameter SortDirection must be asc or desc.");
	if (by != NULL) {
		for (k = keys; k->name != NULL && strcmp(k->name, by) != 0; k++)
			;
		if (k->name == NULL) {
			for (k = keys; k->name != NULL; k++)
				buf_addf(&b, "%s%s", k == keys ? "" : ", ",
				    k->name);
			api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "SortBy must be one of: %s.", b.p);
			buf_free(&b);
			return AE_INVALID_PARAMETER;
		}
	}
	dir = dir != NULL && strcmp(dir, "desc") == 0 ? "DESC" : "ASC";
	/* "t.col" ties on t.id; an expression ties on the plain id */
	plen = strspn(k->column, "abcdefghijklmnopqrstuvwxyz_");
	plen = k->column[plen] == '.' ? plen + 1 : 0;
	buf_addf(&q->text, " ORDER BY %s %s, %.*sid %s", k->column, dir,
	    (int)plen, k->column, dir);
	return AE_OK;
}

void
res_json_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

void
res_json_int(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key,
	    json_object_new_int64(v ? strtoll(v, NULL, 10) : 0));
}

void
res_json_bool(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key,
	    json_object_new_boolean(v != NULL && strcmp(v, "0") != 0));
}

void
res_json_time(json_object *o, const char *key, const char *v)
{
	char t[VTIME_LEN] = "";

	/* "YYYY-MM-DD hh:mm:ss" -> "YYYY-MM-DDThh:mm:ssZ" */
	if (v != NULL && strlen(v) >= 19)
		snprintf(t, sizeof(t), "%.10sT%.8sZ", v, v + 11);
	json_object_object_add(o, key, json_object_new_string(t));
}

json_object *
res_body(struct api_req *r)
{
	if (r->body == NULL)
		r->body = json_object_new_object();
	return r->body;
}
