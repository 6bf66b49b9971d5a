/* SPDX-License-Identifier: MIT */
/* What a PoG job may leave behind (issue 13, item 6), on the CPU backend:
 * each job records its signer ("principal", in the job and in pog_jobs);
 * a principal past --pog-jobs-per-principal queued or running jobs gets
 * 429 while another is unaffected; finished jobs are pruned per principal
 * (--pog-stored-per-principal), by age (--pog-jobs-max-age) and by total
 * size (--pog-jobs-max-bytes, oldest first, the newest kept); the pool
 * keeps few finished jobs, so a pruned one reads 404; and below
 * --min-free-disk POST /pog/jobs and backups get 507. */
#include "app/config.h"
#include "pog_util.h"

static const char info_job[] = "{\"kind\": \"info\"}";

/* The stored size of a job, as the pruning counts it. */
static const char size_sql[] =
    "COALESCE(LENGTH(params), 0) + COALESCE(LENGTH(result), 0) + "
    "COALESCE(LENGTH(error), 0)";

/* Runs an info job as the current signer to its end; its id. */
static int64_t run_info(void)
{
    int64_t id = pu_submit(info_job);
    json_t *job = pu_wait(id);

    CHECK_STR_EQ(tu_jstr(job, "state"), "done");
    json_decref(job);
    return id;
}

static int64_t stored(int64_t id)
{
    return tu_int("SELECT COUNT(*) FROM pog_jobs WHERE id = %lld",
                  (long long)id);
}

static void expect_gone(int64_t id)
{
    struct resp r = tu_getf("/pog/jobs/%lld", (long long)id);

    th_expect_error(&r, 404, "not_found", "id");
    th_resp_free(&r);
}

static void start(void (*tweak)(struct config *cfg))
{
    th_start_with(NULL, tweak);
    tu_connect();
}

/* ---- who submitted, and the cap on unfinished jobs ---------------------- */

static void caps(struct config *cfg)
{
    cfg->pog_jobs_unfinished = 2;
    cfg->pog_jobs_stored = 3;
}

/* POST of body: 429 naming the flag, with Retry-After. */
static void expect_rate(const char *body)
{
    struct resp r = th_send("POST", "/pog/jobs", body);
    char retry[16];

    th_expect_error(&r, 429, "too_many_requests", NULL);
    CHECK(strstr(tu_jstr(json_object_get(r.json, "error"), "message"),
                 "--pog-jobs-per-principal") != NULL);
    CHECK(th_header(&r, "Retry-After", retry, sizeof(retry)));
    CHECK_STR_EQ(retry, "1");
    th_resp_free(&r);
}

static void cancel(int64_t id)
{
    char path[64];
    struct resp r;

    snprintf(path, sizeof(path), "/pog/jobs/%lld", (long long)id);
    r = th_request("DELETE", path, NULL, NULL, NULL);

    CHECK(r.status == 200 || r.status == 202);
    th_resp_free(&r);
    json_decref(pu_wait(id));
}

static void test_unfinished_cap(const struct th_key *a, const struct th_key *b)
{
    int64_t running, queued, other;
    json_t *job;

    th_use(a);
    running = pu_submit(PU_LONG_JOB);
    pu_wait_state(running, "running");
    queued = pu_submit(info_job);
    job = pu_job(queued);
    CHECK_STR_EQ(tu_jstr(job, "principal"), a->ss58);
    json_decref(job);
    expect_rate(info_job);
    th_use(b); /* another principal is not held up */
    other = pu_submit(info_job);
    th_use(a);
    expect_rate(info_job); /* still two of a's */
    cancel(queued);
    cancel(running);
    job = pu_wait(other);
    CHECK_STR_EQ(tu_jstr(job, "principal"), b->ss58);
    json_decref(job);
    CHECK_SQL_TEXT(b->ss58, "SELECT principal FROM pog_jobs WHERE id = %lld",
                   (long long)other);
    CHECK_SQL_TEXT(a->ss58, "SELECT principal FROM pog_jobs WHERE id = %lld",
                   (long long)running);
    run_info(); /* with both finished, a may submit again */
}

/* --pog-stored-per-principal 3: a's oldest go, b's two stay. */
static void test_stored_cap(const struct th_key *a, const struct th_key *b)
{
    int64_t ids[6], mine[2];

    th_use(b);
    for (int i = 0; i < 2; i++)
        mine[i] = run_info();
    th_use(a);
    for (int i = 0; i < 6; i++)
        ids[i] = run_info();
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM pog_jobs WHERE principal = %Q", a->ss58),
        3);
    for (int i = 0; i < 6; i++)
        CHECK_INT_EQ(stored(ids[i]), i >= 3);
    for (int i = 0; i < 2; i++)
        CHECK_INT_EQ(stored(mine[i]), 1);
    th_use(th_admin());
}

static void test_principals(void)
{
    const struct th_key *a, *b;

    start(caps);
    a = th_key_new(ROLE_WRITER);
    b = th_key_new(ROLE_WRITER);
    test_unfinished_cap(a, b);
    test_stored_cap(a, b);
    tu_stop();
}

/* ---- the total size, and the pool letting go ---------------------------- */

static int64_t budget;

static void small_budget(struct config *cfg)
{
    cfg->pog_jobs_max_bytes = (size_t)budget;
}

/* The size of one info job's row on this machine. */
static int64_t info_size(void)
{
    int64_t size;

    th_start(NULL);
    tu_connect();
    size = tu_int("SELECT %s FROM pog_jobs WHERE id = %lld", size_sql,
                  (long long)run_info());
    tu_stop();
    CHECK(size > 0);
    return size;
}

/* Restarted with room for one and a half: the open prunes down to the
 * newest job, last. */
static void restart_smaller(int64_t last, int64_t size)
{
    char db[4096];

    snprintf(db, sizeof(db), "%s", th_db_path());
    tu_stop();
    budget = size + size / 2;
    th_start_with(db, small_budget);
    tu_connect();
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_jobs"), 1);
    CHECK_INT_EQ(stored(last), 1);
    json_decref(pu_job(last));
    expect_gone(last - 1);
    tu_stop();
}

/* Room for about three and a half info jobs: each new one pushes the
 * oldest out, the newest three stay. 70 jobs: the pool has let go of the
 * first ones (it keeps 64 finished), so those read 404. */
static void test_size(void)
{
    int64_t first, last = 0, size = info_size();

    budget = 3 * size + size / 2;
    start(small_budget);
    first = run_info();
    for (int i = 1; i < 70; i++) {
        last = run_info();
        CHECK(tu_int("SELECT SUM(%s) FROM pog_jobs", size_sql) <= budget);
    }
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_jobs"), 3);
    for (int64_t id = last; id > last - 3; id--)
        CHECK_INT_EQ(stored(id), 1); /* the newest three */
    CHECK_INT_EQ(tu_int("SELECT MIN(id) FROM pog_jobs"), last - 2);
    expect_gone(first);
    json_decref(pu_job(last - 2)); /* still stored */
    restart_smaller(last, size);
}

/* ---- age ------------------------------------------------------------------
 */

static void short_life(struct config *cfg)
{
    cfg->pog_jobs_max_age_s = 1;
}

/* A job finished more than a second ago goes when the next one finishes. */
static void test_age(void)
{
    int64_t old, young;

    start(short_life);
    old = run_info();
    CHECK_INT_EQ(stored(old), 1);
    pu_sleep_ms(1500);
    young = run_info();
    CHECK_INT_EQ(stored(old), 0);
    CHECK_INT_EQ(stored(young), 1);
    tu_stop();
}

/* ---- disk space -----------------------------------------------------------
 */

static void no_room(struct config *cfg)
{
    cfg->min_free_disk = (size_t)1 << 60;
}

/* Nothing is queued and no backup made; PostgreSQL's disk is not ours to
 * watch (and its backups are 409). */
static void test_disk(void)
{
    struct resp r;

    start(no_room);
    r = th_send("POST", "/pog/jobs", info_job);
    if (th_postgres())
        CHECK_STATUS(r, 202);
    else
        th_expect_error(&r, 507, "insufficient_storage", NULL);
    th_resp_free(&r);
    r = th_send("POST", "/admin/backup", "{}");
    if (th_postgres())
        th_expect_error(&r, 409, "conflict", NULL);
    else
        th_expect_error(&r, 507, "insufficient_storage", NULL);
    th_resp_free(&r);
    if (!th_postgres())
        CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_jobs"), 0);
    tu_stop();
}

int main(void)
{
    test_principals();
    test_size();
    test_age();
    test_disk();
    puts("test_pog_prune: ok");
    return 0;
}
