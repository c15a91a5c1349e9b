/* The core's thread team (threads.c), internal to the core.
 *
 * Why not OpenMP's parallel regions: a region ends in a barrier that waits for
 * every thread of the team, including one the OS has descheduled in favour of
 * another process; on a busy machine each product then waits out a whole
 * scheduler time slice (milliseconds, for a product of microseconds). Here the
 * caller waits only for the tasks other threads have taken: a thread that
 * gets no CPU takes none, and the caller does them. And the team is remade
 * after fork, where libgomp's pool would hang the child.
 *
 * The thread count still follows OpenMP's setting (OMP_NUM_THREADS,
 * threadpoolctl's limits), as scikit-learn users expect of an estimator. */
#ifndef FCN_THREADS_H
#define FCN_THREADS_H

#include <stdint.h>

/* One task of a parallel loop: tasks of a loop must write disjoint outputs. */
typedef void (*fcn_task)(void *context, int64_t task);

/* Run task(context, t) for every t in [0, n_tasks), each exactly once, on up
 * to `threads` threads (the caller's among them), taken in order by whichever
 * thread is free; returns when all have run. threads <= 1, a loop of 2^20
 * tasks or more, a team already busy with another caller's loop, or a loop
 * soon after the second of two close ones whose caller waited long for a
 * worker (threads.c) runs them all on the calling thread. */
void fcn_parallel_for(fcn_task task, void *context, int64_t n_tasks, int threads);

/* Where task `task` of a loop over n items in chunks of per_task ends. */
static inline int64_t fcn_task_end(int64_t task, int64_t per_task, int64_t n)
{
    return (task + 1) * per_task < n ? (task + 1) * per_task : n;
}

/* Seconds on a monotonic clock, for the team's (and the epoch's) measures of
 * a thread that runs late. */
double fcn_seconds_now(void);

/* Parallelise a product only when it has at least this many multiply-adds:
 * below it, waking the thread team costs more than the arithmetic. */
#define FCN_PARALLEL_MIN_WORK (1 << 22)

/* Threads for a loop of `work` units: 1 below min_work (waking a thread
 * costs more than it would save) or inside a task of the team's loop (a loop
 * there runs on its thread alone, and is planned for one), else
 * fcn_max_threads(). */
int fcn_threads_for(int64_t work, int64_t min_work);

#endif /* FCN_THREADS_H */
