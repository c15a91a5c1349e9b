/* The thread count the core's OpenMP loops use. It follows OMP_NUM_THREADS
 * and threadpoolctl's limits, which act on the OpenMP runtime we link, except
 * in a child made by fork: libgomp's thread pool does not survive fork (a
 * region with more than one thread waits forever for the parent's threads),
 * so a forked child runs every region on one thread. Every parallel region of
 * the core asks for num_threads(fcn_max_threads()). */
#include "fcnet.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(_OPENMP) && defined(__GNUC__) && !defined(_WIN32)
#include <pthread.h>
#define FCN_WATCH_FORK 1
#endif

#ifdef FCN_WATCH_FORK
static volatile int in_forked_child = 0;

static void note_fork_in_child(void) { in_forked_child = 1; }

/* Registered when the library is loaded, before any fork can follow a fit. */
__attribute__((constructor)) static void watch_fork(void)
{
    pthread_atfork(NULL, NULL, note_fork_in_child);
}
#endif

int fcn_max_threads(void)
{
#ifdef FCN_WATCH_FORK
    if (in_forked_child) return 1;
#endif
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
