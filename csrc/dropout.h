/* The random bits of dropout masks: a counter-based generator. Each mask
 * element is a pure function of its key and its coordinates, never the next
 * draw of a shared sequence, so any thread may compute any element in any
 * order and a fit stays bitwise the same whatever the thread count. The
 * function is SplitMix64's: its finaliser applied to key + counter * gamma. */
#ifndef FCN_DROPOUT_H
#define FCN_DROPOUT_H

#include <stdint.h>

#define FCN_SPLITMIX_GAMMA 0x9e3779b97f4a7c15u

static inline uint64_t fcn_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* The key of stream `counter` within stream `key`: SplitMix64's output number
 * counter + 1 from the seed key. Nested, it names a mask element. */
static inline uint64_t fcn_substream(uint64_t key, uint64_t counter)
{
    return fcn_mix64(key + (counter + 1) * FCN_SPLITMIX_GAMMA);
}

/* The key of the masks of minibatch `batch` of epoch `epoch` of a fit. */
static inline uint64_t fcn_dropout_key(uint64_t seed, uint64_t epoch, uint64_t batch)
{
    return fcn_substream(fcn_substream(seed, epoch), batch);
}

#endif /* FCN_DROPOUT_H */
