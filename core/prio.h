/* SPDX-License-Identifier: MIT */
/* Thread priorities: background work (write requests, WAL checkpoints)
 * yields the CPU to the threads that answer reads. */
#ifndef SVC_PRIO_H
#define SVC_PRIO_H

/* Lowers the calling thread's priority: SCHED_BATCH (it does not preempt
 * on wake-up) and a nice of +nice. Both are allowed without privileges;
 * a refusal is logged at debug level and otherwise ignored. */
void prio_background(int nice);

#endif
