/*
 * The job table against a real MariaDB: claim order and kinds, two owners
 * never get the same job, an expired lease passes the job on, only the
 * owner renews or finishes. Needs VIGIL_TEST_CONF (a stack's vigil.conf);
 * without it the test is skipped (exit 77), as in a plain `make check`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/job.h"
#include "../unit/t.h"

static const char *const kinds_a[] = { "test.a", NULL };
static const char *const kinds_ab[] = { "test.a", "test.b", NULL };

static void
drain(struct db *db)
{
	T_OK(db_exec(db, NULL, "DELETE FROM jobs WHERE kind LIKE 'test.%'", "")
	    == 0, "clean");
}

static void
test_claim(struct db *db, struct db *other)
{
	struct job j, k;

	drain(db);
	T_OK(job_enqueue(db, 7, "test.b", 100, "{\"x\":1}") == 0, "enqueue b");
	T_OK(job_enqueue(db, 7, "test.a", 101, NULL) == 0, "enqueue a");
	T_OK(job_enqueue(db, 7, "test.a", 102, NULL) == 0, "enqueue a2");
	/* kinds filter: the b job is older but not asked for */
	T_OK(job_claim(db, "owner-1", kinds_a, 30, &j) == 0, "claim a");
	T_OK(j.target == 101 && j.attempts == 1 && j.tenant_id == 7,
	    "oldest a first (%llu)", (unsigned long long)j.target);
	/* another owner gets the next one, never the same */
	T_OK(job_claim(other, "owner-2", kinds_a, 30, &k) == 0, "claim a2");
	T_OK(k.target == 102, "second owner, second job");
	job_clear(&k);
	T_OK(job_claim(other, "owner-2", kinds_a, 30, &k) == ENOENT,
	    "no more a jobs");
	T_OK(job_claim(other, "owner-2", kinds_ab, 30, &k) == 0 &&
	    k.target == 100, "b when asked");
	T_STREQ(k.payload, "{\"x\":1}");
	/* only the owner renews and finishes */
	T_OK(job_renew(other, j.id, "owner-2", 30) == ESRCH, "foreign renew");
	T_OK(job_finish(other, j.id, "owner-2", NULL) == ESRCH,
	    "foreign finish");
	T_OK(job_renew(db, j.id, "owner-1", 30) == 0, "renew");
	T_OK(job_finish(db, j.id, "owner-1", NULL) == 0, "finish");
	T_OK(job_finish(db, j.id, "owner-1", NULL) == ESRCH, "finish twice");
	T_OK(job_finish(other, k.id, "owner-2", "boom") == 0, "fail");
	job_clear(&j);
	job_clear(&k);
}

static void
test_lease(struct db *db, struct db *other)
{
	struct job j, k;

	drain(db);
	T_OK(job_enqueue(db, 7, "test.a", 200, NULL) == 0, "enqueue");
	T_OK(job_claim(db, "crashy", kinds_a, 1, &j) == 0, "claim 1 s");
	T_OK(job_claim(other, "rescuer", kinds_a, 30, &k) == ENOENT,
	    "leased job is not claimable");
	usleep(1300 * 1000);
	T_OK(job_claim(other, "rescuer", kinds_a, 30, &k) == 0 &&
	    k.id == j.id, "expired lease passes the job on");
	T_OK(k.attempts == 2, "attempts %d", k.attempts);
	T_OK(job_finish(db, j.id, "crashy", NULL) == ESRCH,
	    "the old owner lost it");
	T_OK(job_release(other, k.id, "rescuer", "later") == 0, "release");
	job_clear(&k);
	T_OK(job_claim(db, "again", kinds_a, 30, &k) == 0 && k.id == j.id &&
	    k.attempts == 3, "released job is pending again");
	T_OK(job_finish(db, k.id, "again", NULL) == 0, "finish");
	job_clear(&j);
	job_clear(&k);
	drain(db);
}

int
main(void)
{
	const char *path = getenv("VIGIL_TEST_CONF");
	struct vigil_conf *c;
	struct db *db, *other;

	if (path == NULL) {
		printf("# skipped: VIGIL_TEST_CONF is not set\n");
		return 77;
	}
	if (conf_load(&c, path) != 0 || db_open(&db, c, NULL) != 0 ||
	    db_open(&other, c, NULL) != 0) {
		printf("not ok: cannot open %s\n", path);
		return 1;
	}
	test_claim(db, other);
	test_lease(db, other);
	db_close(db);
	db_close(other);
	conf_free(c);
	return T_DONE();
}
