/* Schema migrations (embedded from sql/) and the operator key. */
#ifndef VIGIL_MIGRATE_H
#define VIGIL_MIGRATE_H

struct migration {
	unsigned	 version;
	const char	*name;
	const char	*sql;
};

extern const struct migration migrations[];
extern const unsigned nmigrations;

struct vigil_conf;

/* Applies every migration newer than the stored schema version. */
int	migrate_run(const struct vigil_conf *c);
/*
 * Creates the operator key and writes it to var_dir/operator.key (0600), or
 * registers the key of an existing file that the database lost.
 */
int	migrate_init_operator(const struct vigil_conf *c);

#endif
