/* SPDX-License-Identifier: MIT */
/* Internals shared by pool.c (threads, queues, job states) and pool_jobs.c
 * (what each job kind runs on a worker). Not for use outside gpu/. */
#ifndef GPU_POOL_INT_H
#define GPU_POOL_INT_H

#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>

struct job {
    uint64_t id;
    struct gpu_job_spec spec; /* proofs of a compute job: filled from it */
    int device;               /* assigned at submit */
    /* Under pool->lock: */
    enum gpu_job_state state;
    unsigned seq;  /* transitions so far */
    unsigned refs; /* table + workers + callers in flight */
    bool in_queue;
    bool listed; /* still in the job table */
    struct job *q_next;
    struct job *prev, *next;                       /* job table, oldest first */
    int64_t submitted_ms, started_ms, finished_ms; /* unix ms, 0 unset */
    uint64_t finished_ns;                          /* monotonic */
    json_t *result; /* set with the final state */
    enum svc_rc rc;
    char error[GPU_ERR_MAX];
    /* Written by the worker before the final state, read after it: */
    uint8_t root[POG_HASH_LEN];
    enum gpu_accum accum_used;
    /* Lock-free: */
    atomic_bool cancel;
    uint64_t deadline_ns;    /* monotonic */
    pthread_mutex_t cb_lock; /* orders a job's transitions and events */
};

enum device_state { DEV_STARTING = 0, DEV_READY, DEV_DISABLED };

struct device {
    struct gpu_pool *pool;
    int index;
    pthread_t thread;
    bool started;
    /* Under pool->lock: */
    enum device_state state;
    char why[GPU_ERR_MAX];
    struct job *q_head, *q_tail;
    unsigned q_len;
    struct job *running; /* taken off the queue, not yet final */
    struct gpu_device_info info;
    pthread_cond_t wake;
    /* Worker thread only: */
    struct gpu_worker *w;
    struct gpu_round *retained; /* last round, for proofs */
    uint64_t retained_ns;       /* when it was made (monotonic) */
};

struct gpu_pool {
    struct gpu_pool_opts o; /* defaults applied */
    const struct gpu_backend *be;
    const struct pog_table *table;
    int n_dev;
    struct device *dev;
    pthread_mutex_t lock;
    pthread_cond_t done; /* broadcast on every final state */
    struct job *head, *tail;
    unsigned n_finished;
    uint64_t next_id;
    bool stopping;
    atomic_bool halt; /* stopping, for the workers' stop checks */
};

/* Runs job j (already RUNNING) on device d's worker. Returns SVC_OK with a
 * new *result, or an error with err set (SVC_ERR_CANCELLED and
 * SVC_ERR_TIMEOUT for a stop). Called on d's worker thread only. */
enum svc_rc pool_run_job(struct device *d, struct job *j, json_t **result,
                         char *err, size_t cap);
/* Drops d's retained round and the backend's C. Worker thread only. */
void pool_release_retained(struct device *d);

#endif
