/* MariaDB access over Connector/C prepared statements. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "conf.h"
#include "db.h"
#include "log.h"

#define DB_MAX_PARAMS	32
#define DB_STMT_CACHE	64

struct db_stmt_slot {
	char		*sql;	/* a copy: SQL built at run time reuses buffers */
	uint64_t	 hash;
	MYSQL_STMT	*st;
};

struct db {
	MYSQL			*conn;
	int			 in_tx;
	char			*host, *socket, *name, *user, *password;
	unsigned		 port;
	db_connect_hook		 hook;
	struct db_stmt_slot	 cache[DB_STMT_CACHE];
	unsigned		 ncache;
	uint64_t		 insert_id;
	char			 err[256];
};

struct db_res {
	unsigned	  nrows, ncols;
	char		**cells;
	size_t		 *lens;
};

static char *
db_read_password(const char *path)
{
	char line[256];
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		log_warn("database password file %s", path);
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return strdup(line);
}

int
db_open(struct db **dbp, const struct vigil_conf *c, db_connect_hook hook)
{
	struct db *db;

	*dbp = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return ENOMEM;
	db->host = strdup(c->db_host);
	db->socket = strdup(c->db_socket);
	db->name = strdup(c->db_name);
	db->user = strdup(c->db_user);
	db->password = db_read_password(c->db_password_file);
	db->port = (unsigned)c->db_port;
	db->hook = hook;
	if (!db->host || !db->socket || !db->name || !db->user ||
	    !db->password) {
		db_close(db);
		return EINVAL;
	}
	*dbp = db;
	return 0;
}

static void
db_disconnect(struct db *db)
{
	for (unsigned i = 0; i < db->ncache; i++) {
		mysql_stmt_close(db->cache[i].st);
		free(db->cache[i].sql);
	}
	db->ncache = 0;
	if (db->conn != NULL)
		mysql_close(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	free(db->host);
	free(db->socket);
	free(db->name);
	free(db->user);
	if (db->password != NULL)
		memset(db->password, 0, strlen(db->password));
	free(db->password);
	free(db);
}

const char *
db_error(struct db *db)
{
	return db->err;
}

int
db_connect(struct db *db)
{
	unsigned timeout = 3, rw_timeout = 30;

	if (db->conn != NULL)
		return 0;
	if ((db->conn = mysql_init(NULL)) == NULL)
		return ENOMEM;
	mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
	mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(db->conn, MYSQL_INIT_COMMAND,
	    "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,"
	    "NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'");
	if (mysql_real_connect(db->conn,
	    strcmp(db->host, "localhost") == 0 ? NULL : db->host, db->user,
	    db->password, db->name, db->port,
	    strcmp(db->host, "localhost") == 0 ? db->socket : NULL,
	    CLIENT_MULTI_STATEMENTS) == NULL) {
		snprintf(db->err, sizeof(db->err), "%s",
		    mysql_error(db->conn));
		log_warnx("database connect: %s", db->err);
		mysql_close(db->conn);
		db->conn = NULL;
		return ENOTCONN;
	}
	if (db->hook != NULL && db->hook(db) != 0) {
		db_disconnect(db);
		return ENOTCONN;
	}
	return 0;
}

static int
db_conn_lost(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	    e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	    e == ER_SERVER_SHUTDOWN || e == CR_COMMANDS_OUT_OF_SYNC;
}

/* Maps the failed call's error to our return codes, dropping a dead link. */
static int
db_fail(struct db *db, unsigned e, const char *msg)
{
	snprintf(db->err, sizeof(db->err), "%u: %s", e, msg);
	if (e == ER_DUP_ENTRY || e == ER_DUP_KEY)
		return EEXIST;
	if (e == ER_LOCK_DEADLOCK) {
		/* the server rolled the transaction back: the caller may retry */
		db->in_tx = 0;
		return EDEADLK;
	}
	if (db_conn_lost(e)) {
		db_disconnect(db);
		return ENOTCONN;
	}
	log_warnx("database: %s", db->err);
	return EIO;
}

static uint64_t
db_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static MYSQL_STMT *
db_prepare(struct db *db, const char *sql, int *error)
{
	uint64_t h = db_hash(sql);
	MYSQL_STMT *st;
	char *copy;

	for (unsigned i = 0; i < db->ncache; i++)
		if (db->cache[i].hash == h && strcmp(db->cache[i].sql, sql) == 0)
			return db->cache[i].st;
	if ((copy = strdup(sql)) == NULL || (st = mysql_stmt_init(db->conn)) ==
	    NULL) {
		free(copy);
		*error = ENOMEM;
		return NULL;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		unsigned e = mysql_stmt_errno(st);

		*error = db_fail(db, e, mysql_stmt_error(st));
		mysql_stmt_close(st);
		free(copy);
		if (*error != ENOTCONN)
			log_warnx("prepare: %s", sql);
		return NULL;
	}
	if (db->ncache == DB_STMT_CACHE) {
		mysql_stmt_close(db->cache[0].st);
		free(db->cache[0].sql);
		memmove(db->cache, db->cache + 1,
		    sizeof(db->cache[0]) * (DB_STMT_CACHE - 1));
		db->ncache--;
	}
	db->cache[db->ncache].sql = copy;
	db->cache[db->ncache].hash = h;
	db->cache[db->ncache++].st = st;
	return st;
}

struct db_args {
	MYSQL_BIND	 bind[DB_MAX_PARAMS];
	long long	 ints[DB_MAX_PARAMS];
	unsigned long	 lens[DB_MAX_PARAMS];
	char		 nulls[DB_MAX_PARAMS];
	unsigned	 n;
};

static int
db_bind_args(struct db_args *a, const struct db_arg *v, unsigned n)
{
	memset(a, 0, sizeof(*a));
	if (n > DB_MAX_PARAMS)
		return EINVAL;
	for (a->n = 0; a->n < n; a->n++) {
		MYSQL_BIND *b = &a->bind[a->n];
		const struct db_arg *p = &v[a->n];

		switch (p->type) {
		case 's':
			b->buffer_type = MYSQL_TYPE_STRING;
			if (p->s == NULL) {
				a->nulls[a->n] = 1;
				b->is_null = &a->nulls[a->n];
				break;
			}
			b->buffer = (void *)p->s;
			a->lens[a->n] = strlen(p->s);
			b->buffer_length = a->lens[a->n];
			b->length = &a->lens[a->n];
			break;
		case 'i':
			a->ints[a->n] = p->i;
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &a->ints[a->n];
			break;
		case 'b':
			b->buffer_type = MYSQL_TYPE_BLOB;
			b->buffer = (void *)p->s;
			a->lens[a->n] = p->len;
			b->buffer_length = p->len;
			b->length = &a->lens[a->n];
			break;
		default:
			return EINVAL;
		}
	}
	return 0;
}

/* Reads the variadic parameters of db_exec/db_query into args. */
static int
db_collect(struct db_arg *args, unsigned *n, const char *types, va_list ap)
{
	for (*n = 0; types[*n]; (*n)++) {
		struct db_arg *p = &args[*n];

		if (*n == DB_MAX_PARAMS)
			return EINVAL;
		memset(p, 0, sizeof(*p));
		p->type = types[*n];
		switch (p->type) {
		case 's':
			p->s = va_arg(ap, const char *);
			break;
		case 'i':
			p->i = va_arg(ap, int64_t);
			break;
		case 'b':
			p->s = va_arg(ap, const void *);
			p->len = va_arg(ap, size_t);
			break;
		default:
			return EINVAL;
		}
	}
	return 0;
}

static void
db_res_store(MYSQL_STMT *st, struct db_res *r, int *error)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	MYSQL_FIELD *f;
	MYSQL_BIND *bind = NULL;
	unsigned long *lens = NULL;
	char *nulls = NULL, **bufs = NULL;
	my_bool on = 1;
	unsigned i, row = 0;

	*error = EIO;
	if (meta == NULL)
		return;
	r->ncols = mysql_num_fields(meta);
	f = mysql_fetch_fields(meta);
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	if (mysql_stmt_store_result(st) != 0)
		goto out;
	r->nrows = (unsigned)mysql_stmt_num_rows(st);
	bind = calloc(r->ncols, sizeof(*bind));
	lens = calloc(r->ncols, sizeof(*lens));
	nulls = calloc(r->ncols, 1);
	bufs = calloc(r->ncols, sizeof(*bufs));
	r->cells = calloc((size_t)r->nrows * r->ncols + 1, sizeof(char *));
	r->lens = calloc((size_t)r->nrows * r->ncols + 1, sizeof(size_t));
	if (!bind || !lens || !nulls || !bufs || !r->cells || !r->lens)
		goto out;
	for (i = 0; i < r->ncols; i++) {
		/* Numbers come as text too; 64 bytes covers any of them. */
		size_t cap = f[i].max_length + 1 < 64 ? 64 :
		    f[i].max_length + 1;

		if ((bufs[i] = malloc(cap)) == NULL)
			goto out;
		bind[i].buffer_type = MYSQL_TYPE_STRING;
		bind[i].buffer = bufs[i];
		bind[i].buffer_length = cap;
		bind[i].length = &lens[i];
		bind[i].is_null = (my_bool *)&nulls[i];
	}
	if (mysql_stmt_bind_result(st, bind) != 0)
		goto out;
	for (row = 0; row < r->nrows; row++) {
		int rc = mysql_stmt_fetch(st);

		if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
			goto out;
		for (i = 0; i < r->ncols; i++) {
			size_t k = (size_t)row * r->ncols + i;

			if (nulls[i])
				continue;
			if ((r->cells[k] = malloc(lens[i] + 1)) == NULL)
				goto out;
			memcpy(r->cells[k], bufs[i], lens[i]);
			r->cells[k][lens[i]] = '\0';
			r->lens[k] = lens[i];
		}
	}
	*error = 0;
out:
	mysql_stmt_free_result(st);
	if (bufs != NULL)
		for (i = 0; i < r->ncols; i++)
			free(bufs[i]);
	free(bufs);
	free(bind);
	free(lens);
	free(nulls);
	mysql_free_result(meta);
}

static int
db_run(struct db *db, struct db_res **resp, uint64_t *affected,
    const char *sql, const struct db_arg *args, unsigned n)
{
	struct db_args a;
	struct db_res *r = NULL;
	MYSQL_STMT *st;
	int error, attempt;

	if ((error = db_bind_args(&a, args, n)) != 0)
		return error;
	for (attempt = 0; attempt < 2; attempt++) {
		int retry_ok = !db->in_tx;

		if ((error = db_connect(db)) != 0)
			return error;
		if ((st = db_prepare(db, sql, &error)) == NULL) {
			if (error == ENOTCONN && retry_ok)
				continue;
			return error;
		}
		/* a wrong types string would bind the wrong values silently */
		if (mysql_stmt_param_count(st) != a.n) {
			log_warnx("%u arguments for %lu placeholders: %s", a.n,
			    mysql_stmt_param_count(st), sql);
			return EINVAL;
		}
		if ((a.n && mysql_stmt_bind_param(st, a.bind) != 0) ||
		    mysql_stmt_execute(st) != 0) {
			error = db_fail(db, mysql_stmt_errno(st),
			    mysql_stmt_error(st));
			if (error == ENOTCONN && retry_ok)
				continue;
			return error;
		}
		if (affected != NULL)
			*affected = mysql_stmt_affected_rows(st);
		db->insert_id = mysql_stmt_insert_id(st);
		if (resp == NULL)
			return 0;
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return ENOMEM;
		db_res_store(st, r, &error);
		if (error) {
			db_res_free(r);
			return db_fail(db, mysql_stmt_errno(st),
			    mysql_stmt_error(st));
		}
		*resp = r;
		return 0;
	}
	return ENOTCONN;
}

int
db_execv(struct db *db, uint64_t *affected, const char *sql,
    const struct db_arg *args, unsigned n)
{
	return db_run(db, NULL, affected, sql, args, n);
}

int
db_queryv(struct db *db, struct db_res **resp, const char *sql,
    const struct db_arg *args, unsigned n)
{
	*resp = NULL;
	return db_run(db, resp, NULL, sql, args, n);
}

int
db_exec(struct db *db, uint64_t *affected, const char *sql,
    const char *types, ...)
{
	struct db_arg args[DB_MAX_PARAMS];
	unsigned n;
	va_list ap;
	int error;

	va_start(ap, types);
	error = db_collect(args, &n, types, ap);
	va_end(ap);
	return error ? error : db_run(db, NULL, affected, sql, args, n);
}

int
db_query(struct db *db, struct db_res **resp, const char *sql,
    const char *types, ...)
{
	struct db_arg args[DB_MAX_PARAMS];
	unsigned n;
	va_list ap;
	int error;

	*resp = NULL;
	va_start(ap, types);
	error = db_collect(args, &n, types, ap);
	va_end(ap);
	return error ? error : db_run(db, resp, NULL, sql, args, n);
}

uint64_t
db_insert_id(struct db *db)
{
	return db->insert_id;
}

int
db_exec_script(struct db *db, const char *sql)
{
	int error, status;

	if ((error = db_connect(db)) != 0)
		return error;
	if (mysql_real_query(db->conn, sql, strlen(sql)) != 0)
		return db_fail(db, mysql_errno(db->conn),
		    mysql_error(db->conn));
	do {
		MYSQL_RES *res = mysql_store_result(db->conn);

		if (res != NULL)
			mysql_free_result(res);
		if ((status = mysql_next_result(db->conn)) > 0)
			return db_fail(db, mysql_errno(db->conn),
			    mysql_error(db->conn));
	} while (status == 0);
	return 0;
}

int
db_begin(struct db *db)
{
	int error = ENOTCONN;

	/* A connection found dead here is replaced: nothing ran on it yet. */
	for (int attempt = 0; attempt < 2 && error == ENOTCONN; attempt++) {
		if ((error = db_connect(db)) != 0)
			return error;
		if (mysql_real_query(db->conn, "START TRANSACTION", 17) == 0) {
			db->in_tx = 1;
			return 0;
		}
		error = db_fail(db, mysql_errno(db->conn),
		    mysql_error(db->conn));
	}
	return error;
}

int
db_commit(struct db *db)
{
	if (db->conn == NULL)
		return ENOTCONN;
	db->in_tx = 0;
	if (mysql_commit(db->conn) != 0)
		return db_fail(db, mysql_errno(db->conn),
		    mysql_error(db->conn));
	return 0;
}

void
db_rollback(struct db *db)
{
	if (db->conn != NULL && db->in_tx)
		(void)mysql_rollback(db->conn);
	db->in_tx = 0;
}

unsigned
db_res_rows(const struct db_res *r)
{
	return r->nrows;
}

const char *
db_res_get(const struct db_res *r, unsigned row, unsigned col, size_t *len)
{
	size_t k = (size_t)row * r->ncols + col;

	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	if (len != NULL)
		*len = r->lens[k];
	return r->cells[k];
}

void
db_res_free(struct db_res *r)
{
	if (r == NULL)
		return;
	if (r->cells != NULL)
		for (size_t k = 0; k < (size_t)r->nrows * r->ncols; k++)
			free(r->cells[k]);
	free(r->cells);
	free(r->lens);
	free(r);
}
