/*
 * The job table: the API records work for mediad and sipd in the same
 * transaction as the state it changes; a daemon claims a job with a lease
 * (owner, expiry), renews it while working, and finishes it. A job whose
 * lease ran out is claimed again by anyone, so a crashed daemon loses none.
 */
#ifndef VIGIL_JOB_H
#define VIGIL_JOB_H

#include <stdint.h>

struct db;

struct job {
	uint64_t	 id;
	uint64_t	 tenant_id;
	char		 kind[33];
	uint64_t	 target;
	char		*payload;	/* owned; free with job_clear */
	int		 attempts;
};

/* Adds a pending job; call inside the caller's transaction. */
int	job_enqueue(struct db *db, uint64_t tenant, const char *kind,
	    uint64_t target, const char *payload);
/* As job_enqueue, not claimable for delay_ms (a retry with backoff). */
int	job_enqueue_after(struct db *db, uint64_t tenant, const char *kind,
	    uint64_t target, const char *payload, int delay_ms);
/*
 * Claims the oldest claimable job of one of kinds (NULL-terminated) for
 * owner with a lease of lease_s seconds. 0 and *j filled, ENOENT when there
 * is none, or a db errno.
 */
int	job_claim(struct db *db, const char *owner, const char *const *kinds,
	    int lease_s, struct job *j);
/* As job_claim, only jobs that also satisfy where (static SQL, " AND ..."). */
int	job_claim_where(struct db *db, const char *owner,
	    const char *const *kinds, const char *where, int lease_s,
	    struct job *j);
/*
 * This process's lease owner, "host:pid", the host cleaned to letters,
 * digits, dots and dashes, so that like (may be NULL) gets "host:%", a LIKE
 * pattern of this host's owners without wildcards of its own.
 */
void	job_owner(char *owner, size_t ownerlen, char *like, size_t likelen);
/* Extends a lease; ESRCH when the job is no longer this owner's. */
int	job_renew(struct db *db, uint64_t id, const char *owner, int lease_s);
/* Ends a job as done (error NULL) or failed; ESRCH as above. */
int	job_finish(struct db *db, uint64_t id, const char *owner,
	    const char *error);
/* Puts a job back to pending (e.g. to retry later); ESRCH as above. */
int	job_release(struct db *db, uint64_t id, const char *owner,
	    const char *error);
void	job_clear(struct job *j);

#endif
