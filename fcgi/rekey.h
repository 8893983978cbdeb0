/* Rotation of the master key and of the operator key. */
#ifndef VIGIL_REKEY_H
#define VIGIL_REKEY_H

struct db;
struct vigil_conf;

/*
 * Re-seals, under the same master key, the values that older code sealed
 * under another purpose's label (a stream's AccessInfo under its push
 * token's); run by --migrate.
 */
int	rekey_labels(const struct vigil_conf *c, struct db *db);

/*
 * Re-seals every secret in the database under a new master key in one
 * transaction, then installs it as master_key_file (the previous one is kept
 * as <file>.old). An interrupted run is finished by running it again.
 */
int	rekey_master_key(const struct vigil_conf *c);
/*
 * Creates a new operator key, writes it to var_dir/operator.key and revokes
 * every other operator key.
 */
int	rekey_operator(const struct vigil_conf *c);

#endif
