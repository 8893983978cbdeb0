/*
 * MariaDB access: one connection per process, prepared statements cached by
 * SQL text, transactions, and reconnection after a server restart.
 */
#ifndef VIGIL_DB_H
#define VIGIL_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_res;
struct vigil_conf;

/* Called after every (re)connection; a non-zero return drops it. */
typedef int (*db_connect_hook)(struct db *db);

/*
 * Creates a handle for the configured database; nothing is connected until
 * the first statement. The password is read from the configured file now.
 */
int	db_open(struct db **dbp, const struct vigil_conf *c,
	    db_connect_hook hook);
void	db_close(struct db *db);
/* Connects now if not connected; 0 or ENOTCONN. */
int	db_connect(struct db *db);

/*
 * Parameters are described by types, one letter each:
 *   's' const char * (NULL binds SQL NULL)
 *   'i' int64_t
 *   'b' const void *, size_t (binary)
 * Both return 0, EEXIST (duplicate key), EDEADLK (deadlock: the server
 * rolled the transaction back), ENOTCONN (server unreachable) or EIO (any
 * other failure, logged). Outside a transaction a statement that
 * finds the connection dead is retried once on a new connection.
 */
int	db_exec(struct db *db, uint64_t *affected, const char *sql,
	    const char *types, ...);
/* As db_exec; *resp owns every row as text (free with db_res_free). */
int	db_query(struct db *db, struct db_res **resp, const char *sql,
	    const char *types, ...);
/* One parameter of the array form, for SQL built at run time. */
struct db_arg {
	char		 type;		/* 's', 'i' or 'b' as above */
	const char	*s;		/* 's' (NULL: SQL NULL), 'b' */
	int64_t		 i;		/* 'i' */
	size_t		 len;		/* 'b' */
};

/* As db_exec / db_query with n parameters in args. */
int	db_execv(struct db *db, uint64_t *affected, const char *sql,
	    const struct db_arg *args, unsigned n);
int	db_queryv(struct db *db, struct db_res **resp, const char *sql,
	    const struct db_arg *args, unsigned n);
/* Last AUTO_INCREMENT id of this connection. */
uint64_t db_insert_id(struct db *db);

/* Runs SQL text without parameters, possibly several statements. */
int	db_exec_script(struct db *db, const char *sql);

int	db_begin(struct db *db);
int	db_commit(struct db *db);
void	db_rollback(struct db *db);

unsigned	 db_res_rows(const struct db_res *r);
/* Cell text or NULL for SQL NULL; len (may be NULL) gets its length. */
const char	*db_res_get(const struct db_res *r, unsigned row, unsigned col,
		    size_t *len);
void		 db_res_free(struct db_res *r);

/* Last MariaDB error text, for logs. */
const char	*db_error(struct db *db);

#endif
