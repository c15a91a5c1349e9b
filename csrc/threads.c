/* The thread count the core's OpenMP loops use. It follows OMP_NUM_THREADS
 * and threadpoolctl's limits, which act on the OpenMP runtime we link. */
#include "fcnet.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int fcn_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
