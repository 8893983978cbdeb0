/*
 * Helpers shared by the resource Actions (spec sections 1-6): parameters,
 * ids, pagination, sorting, SQL built at run time, JSON from rows.
 * Parameter values were already checked against the route's table.
 */
#ifndef VIGIL_RES_H
#define VIGIL_RES_H

#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/db.h"
#include "api.h"

#define RES_BATCH_MAX	100	/* ids in one Batch* call */
#define RES_SQL_ARGS	32

/* Non-empty value of a parameter, or NULL. */
const char	*res_str(const struct api_req *r, const char *name);
/* True when the parameter is present, even empty (Modify*: "set to ''"). */
int		 res_given(const struct api_req *r, const char *name);
/* Bool / integer parameters with a default when absent or empty. */
int		 res_bool(const struct api_req *r, const char *name, int def);
long		 res_long(const struct api_req *r, const char *name, long def);

/*
 * Parses a resource id (decimal, 1-20 digits) from parameter name into
 * *id. InvalidParameter naming it when malformed.
 */
enum api_err	 res_id(struct api_req *r, const char *name, uint64_t *id);
/* Parses decimal text s as an id; 0 or EINVAL. */
int		 res_parse_id(const char *s, uint64_t *id);
/* Writes a new resource id (common/id.h) as a number. */
int		 res_new_id(uint64_t *id);

/* The value, when present, must be one of allowed (NULL-terminated). */
enum api_err	 res_enum(struct api_req *r, const char *name,
		    const char *const *allowed);
/*
 * A comma list, when present, must hold only allowed values (no repeats);
 * canon (may be NULL) gets them in the order of allowed, comma-joined.
 */
enum api_err	 res_list(struct api_req *r, const char *name,
		    const char *const *allowed, struct buf *canon);

/*
 * AccessInfo (an object-storage key pair) must be a JSON object with
 * non-empty string AccessKeyId and AccessKeySecret.
 */
enum api_err	 res_access_info(struct api_req *r);
/*
 * A Callback URL v of parameter name: http:// or https://, visible ASCII,
 * and leading nowhere netguard refuses (this stack, loopback ...); a host
 * that does not resolve now is accepted and checked on every delivery.
 */
enum api_err	 res_callback(struct api_req *r, const char *name,
		    const char *v);

/*
 * A LIKE pattern (malloc'd) matching v anywhere, its own % _ \ taken
 * literally (backslash is LIKE's default escape); NULL without memory.
 */
char		*res_like(const char *v);

/* True when the comma list has item. */
int		 res_in_list(const char *list, const char *item);

/* Splits a comma list of at most RES_BATCH_MAX items (malloc'd). */
enum api_err	 res_split(struct api_req *r, const char *name, char ***items,
		    unsigned *n);
void		 res_split_free(char **items, unsigned n);

/*
 * Ends the handler's transaction: commits when e is AE_OK and error 0, else
 * rolls back. Returns e, or the failure of the database (error or commit).
 */
enum api_err	 res_tx_end(struct api_req *r, enum api_err e, int error);

/* Parses a YYYY-MM-DDThh:mm:ssZ parameter; err is the code when bad. */
enum api_err	 res_time(struct api_req *r, const char *name,
		    enum api_err err, time_t *t);

/* PageSize (1..100, default 20) and PageNum (>= 1, default 1). */
struct res_page {
	long	size;
	long	num;
};
void		 res_page(const struct api_req *r, struct res_page *pg);
/* Adds PageSize, PageNum, PageCount and TotalCount to o. */
void		 res_page_json(json_object *o, const struct res_page *pg,
		    long total);

/* SQL text with its bound arguments, built piece by piece. */
struct res_sql {
	struct buf	text;
	struct db_arg	args[RES_SQL_ARGS];
	unsigned	n;
};
/* Appends text; each '?' in it takes the next argument given. */
void		 res_sql_add(struct res_sql *q, const char *text);
void		 res_sql_str(struct res_sql *q, const char *text,
		    const char *v);
void		 res_sql_int(struct res_sql *q, const char *text, int64_t v);
/* Appends " LIMIT ? OFFSET ?" bound to the page (one cached statement). */
void		 res_sql_page(struct res_sql *q, const struct res_page *pg);
int		 res_sql_query(struct api_req *r, struct res_sql *q,
		    struct db_res **resp);
void		 res_sql_free(struct res_sql *q);

/* SortBy whitelist: API name -> column. */
struct res_sort {
	const char	*name;
	const char	*column;
};
/*
 * Appends " ORDER BY <column> <dir>, <t>.id <dir>" from SortBy (default: the
 * first entry) and SortDirection (asc|desc, default asc); <t>. is the
 * column's table prefix, if it has one, so joins stay unambiguous.
 */
enum api_err	 res_order(struct api_req *r, const struct res_sort *keys,
		    struct res_sql *q);

/* JSON fields from row text (NULL gives "" / 0 / false). */
void		 res_json_str(json_object *o, const char *key, const char *v);
void		 res_json_int(json_object *o, const char *key, const char *v);
void		 res_json_bool(json_object *o, const char *key, const char *v);
/* A DATETIME ("YYYY-MM-DD hh:mm:ss[.fff]") as YYYY-MM-DDThh:mm:ssZ. */
void		 res_json_time(json_object *o, const char *key, const char *v);
/* Starts r->body if needed and returns it. */
json_object	*res_body(struct api_req *r);

#endif
