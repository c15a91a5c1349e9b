/* The core's thread team (threads.h): workers that take the tasks of one
 * parallel loop at a time from a shared range, the caller from its front and
 * the workers from its back. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "fcnet.h"
#include "subnormals.h"
#include "threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int fcn_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads(); /* OMP_NUM_THREADS and threadpoolctl act on it */
#else
    return 1;
#endif
}

/* Whether this thread is running a task of a loop that has the team, or
 * that could not have it: a loop started there (a pass's product inside a
 * half minibatch: epoch.c) finds the team busy and runs on this thread
 * alone. Planned for two threads, mnist's half-minibatch products went by
 * columns, each of four strips reading all of A; planned for one, by rows:
 * the epoch on two Xeon cores (family 6, model 167) 315 -> 308 ms, medians of
 * eight alternating runs' fastest epochs. */
static _Thread_local int running_a_task;

/* task(context, t), with running_a_task set where the team is unavailable to
 * the loops it starts */
static void run_task(fcn_task task, void *context, int64_t t, int team_unavailable)
{
    const int was_running = running_a_task;
    running_a_task = was_running || team_unavailable;
    task(context, t);
    running_a_task = was_running;
}

int fcn_threads_for(int64_t work, int64_t min_work)
{
    return work < min_work || running_a_task ? 1 : fcn_max_threads();
}

double fcn_seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

#define MAX_WORKERS 63
/* Polls of a waiting thread before it sleeps: 5000 pauses (a worker's with
 * a yield among them, below), 0.02 to 0.3 ms (a pause takes 10 to 140
 * cycles, by CPU), so that the loops of one minibatch find the workers
 * awake, while an idle or crowded-out worker soon stops taking CPU from
 * others. Measured on mnist (2-core Xeon): 2000 polls cost 3-8% of a quiet
 * epoch; 20000 brought the slowdown beside a busy process from 1.5x to
 * 2.0x. */
#define SPINS 5000

/* A waiting worker gives its CPU away every this many polls (1.5 us on an
 * AMD EPYC core, Zen 5; up to 4 on a Xeon, whose pause is longer), to
 * whatever else could run there: the user's other process, or the caller,
 * should the scheduler put both on one core. On an idle core sched_yield
 * returns at once. Beside one busy process on two Zen 5 cores, an epoch with
 * it against without: digits 15.4-16.0 ms against 16.2-16.9, mnist 306-319
 * against 329-369, wide 782-842 against 839-895; quiet, alike. Yielding in
 * the caller's wait too stalled it for 9 ms now and then. */
#define SPINS_PER_YIELD 64

static inline void cpu_relax(void)
{
#if !FCN_PORTABLE_C && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#elif !FCN_PORTABLE_C && defined(__GNUC__) && defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* The loop being run. Its tasks are claimed by compare-and-swap on `claim`,
 * which holds the loop's generation and the range of tasks not yet taken,
 * [front, back): the caller takes tasks from the front, the workers from the
 * back. So on a quiet machine each thread takes the same tasks loop after
 * loop (for two threads: the caller the first half, the worker the second),
 * and the rows a thread wrote in one product are still in its cache when
 * the next reads them; on a busy one the two ends simply meet elsewhere. A
 * worker that wakes late, after its loop has ended, finds another generation
 * there and takes nothing. Before the caller rewrites the loop's fields it
 * empties `claim`'s range, so a claim that succeeds was made on fields that
 * were still its loop's. */
#define RANGE_BITS 20 /* front and back; loops of more tasks run on the caller */
#define RANGE_MASK ((1u << RANGE_BITS) - 1)
#define MAX_TASKS RANGE_MASK
#define GENERATION_MASK ((1u << (64 - 2 * RANGE_BITS)) - 1)

static inline uint64_t claim_of(uint32_t generation, int64_t front, int64_t back)
{
    return (uint64_t)(generation & GENERATION_MASK) << (2 * RANGE_BITS) |
           (uint64_t)front << RANGE_BITS | (uint64_t)back;
}

static struct {
    pthread_mutex_t busy;       /* held by the caller whose loop the team runs */
    pthread_mutex_t lock;       /* guards sleeping and waking */
    pthread_cond_t posted;      /* workers sleep here between loops */
    pthread_cond_t finished;    /* the caller sleeps here until its loop is done */
    int workers, workers_sleeping, caller_sleeping;
    _Atomic uint32_t generation;
    _Atomic uint64_t claim;
    _Atomic int64_t done, n_tasks;
    _Atomic int helpers; /* workers 0 .. helpers-1 take part in this loop */
    _Atomic(fcn_task) task;
    _Atomic(void *) context;
} team = {.busy = PTHREAD_MUTEX_INITIALIZER, .lock = PTHREAD_MUTEX_INITIALIZER,
          .posted = PTHREAD_COND_INITIALIZER, .finished = PTHREAD_COND_INITIALIZER};

/* Take and run tasks of loop `generation`, from the front of the range or
 * from its back, until none are left. */
static void take_tasks(uint32_t generation, int from_back)
{
    for (;;) {
        uint64_t claim = atomic_load(&team.claim);
        if ((claim >> (2 * RANGE_BITS)) != (generation & GENERATION_MASK)) return;
        const int64_t front = (int64_t)(claim >> RANGE_BITS & RANGE_MASK);
        const int64_t back = (int64_t)(claim & RANGE_MASK), n_tasks = atomic_load(&team.n_tasks);
        if (front >= back) return;
        fcn_task task = atomic_load(&team.task);
        void *context = atomic_load(&team.context);
        /* success means the loop was still running: task and context were its own */
        const uint64_t rest = from_back ? claim - 1 : claim + ((uint64_t)1 << RANGE_BITS);
        if (!atomic_compare_exchange_weak(&team.claim, &claim, rest)) continue;
        run_task(task, context, from_back ? back - 1 : front, 1);
        if (atomic_fetch_add(&team.done, 1) + 1 == n_tasks) {
            pthread_mutex_lock(&team.lock);
            if (team.caller_sleeping) pthread_cond_signal(&team.finished);
            pthread_mutex_unlock(&team.lock);
        }
    }
}

static void *worker(void *arg)
{
    const int index = (int)(intptr_t)arg;
    fcn_flush_subnormals(); /* for good: a worker runs only the core */
    uint32_t seen = atomic_load(&team.generation);
    for (;;) {
        for (int spin = 0; atomic_load(&team.generation) == seen; spin++) {
            if (spin < SPINS) {
                if (spin % SPINS_PER_YIELD == SPINS_PER_YIELD - 1)
                    sched_yield();
                else
                    cpu_relax();
                continue;
            }
            pthread_mutex_lock(&team.lock);
            team.workers_sleeping++;
            while (atomic_load(&team.generation) == seen) pthread_cond_wait(&team.posted, &team.lock);
            team.workers_sleeping--;
            pthread_mutex_unlock(&team.lock);
        }
        seen = atomic_load(&team.generation);
        if (index < atomic_load(&team.helpers)) take_tasks(seen, 1);
    }
    return NULL;
}

/* In a child made by fork, only the forking thread exists: start a new team. */
static void forget_team_after_fork(void)
{
    pthread_mutex_init(&team.busy, NULL);
    pthread_mutex_init(&team.lock, NULL);
    pthread_cond_init(&team.posted, NULL);
    pthread_cond_init(&team.finished, NULL);
    team.workers = team.workers_sleeping = team.caller_sleeping = 0;
}

static void register_fork_handler(void) { pthread_atfork(NULL, NULL, forget_team_after_fork); }

/* Start workers until there are `wanted` (or as many as the system gives). */
static void grow_team(int wanted)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_fork_handler);
    while (team.workers < wanted) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, worker, (void *)(intptr_t)team.workers);
        pthread_attr_destroy(&attr);
        if (failed) return;
        team.workers++;
    }
}

/* On a busy machine a worker may lose its core in the middle of a task, and
 * the caller then waits out the scheduler's time slice (milliseconds, for
 * tasks of microseconds to a millisecond): beside one busy process on two
 * AMD EPYC cores (Zen 5), mnist's epoch took 390-416 ms on the team, 310-320
 * on the caller alone (175-225 on a quiet machine). Where the caller waited
 * for the tasks others took longer than it ran its own, and LATE_SECONDS at
 * least, for the second time within LATE_MEMORY_SECONDS, the loops of the
 * next SOLO_SECONDS run on the caller alone: who runs a task changes, never
 * what it computes. A waking worker's waits stay well below LATE_SECONDS; but
 * a quiet shared machine still stops a worker for a millisecond or two now
 * and then (on the Zen 5 EPYC, over half a second apart), and each such stop
 * alone cost the next 50 ms half their speed: two-thread products read
 * 0.66-0.93x OpenBLAS in such windows. A busy process makes a worker late
 * every few time slices, and within a window's length of the last. */
#define LATE_SECONDS 250e-6
#define LATE_MEMORY_SECONDS 0.5
#define SOLO_SECONDS 0.05
static double solo_until, last_late; /* guarded by team.busy */

/* team_unavailable: the team runs another loop, or this caller's loops run
 * alone for now; a loop of a task then would too (running_a_task). */
static void run_on_caller(fcn_task task, void *context, int64_t n_tasks, int team_unavailable)
{
    for (int64_t t = 0; t < n_tasks; t++) run_task(task, context, t, team_unavailable);
}

void fcn_parallel_for(fcn_task task, void *context, int64_t n_tasks, int threads)
{
    if (threads > MAX_WORKERS + 1) threads = MAX_WORKERS + 1;
    if (threads <= 1 || n_tasks <= 1 || n_tasks > MAX_TASKS) {
        run_on_caller(task, context, n_tasks, 0);
        return;
    }
    if (pthread_mutex_trylock(&team.busy) != 0) {
        run_on_caller(task, context, n_tasks, 1);
        return;
    }
    const double start = fcn_seconds_now();
    if (start < solo_until) {
        pthread_mutex_unlock(&team.busy);
        run_on_caller(task, context, n_tasks, 1);
        return;
    }
    grow_team(threads - 1);
    const uint32_t generation = atomic_load(&team.generation) + 1;
    atomic_store(&team.claim, claim_of(generation, 0, 0));
    atomic_store(&team.task, task);
    atomic_store(&team.context, context);
    atomic_store(&team.n_tasks, n_tasks);
    atomic_store(&team.helpers, threads - 1);
    atomic_store(&team.done, 0);
    atomic_store(&team.claim, claim_of(generation, 0, n_tasks));
    atomic_store(&team.generation, generation);
    pthread_mutex_lock(&team.lock);
    if (team.workers_sleeping) pthread_cond_broadcast(&team.posted);
    pthread_mutex_unlock(&team.lock);

    take_tasks(generation, 0);
    const double own_end = fcn_seconds_now();
    /* wait only for tasks that other threads took and are still running */
    for (int spin = 0; atomic_load(&team.done) < n_tasks; spin++) {
        if (spin < SPINS) {
            cpu_relax();
            continue;
        }
        pthread_mutex_lock(&team.lock);
        team.caller_sleeping = 1;
        while (atomic_load(&team.done) < n_tasks) pthread_cond_wait(&team.finished, &team.lock);
        team.caller_sleeping = 0;
        pthread_mutex_unlock(&team.lock);
    }
    const double end = fcn_seconds_now(), waited = end - own_end;
    if (waited > LATE_SECONDS && waited > own_end - start) {
        if (end - last_late < LATE_MEMORY_SECONDS) solo_until = end + SOLO_SECONDS;
        last_late = end;
    }
    pthread_mutex_unlock(&team.busy);
}
