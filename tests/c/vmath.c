/* fcn_exp or fcn_tanh (csrc/vmath.h, the function named by the argument:
 * "exp" or "tanh") of each real read from stdin, written to stdout. Built by
 * CMake with -DFCN_C_TESTS=ON, with the options it gives activations.c, for
 * the instruction-set level in CMAKE_C_FLAGS (tests/test_vmath.py). */
#include <stdio.h>
#include <string.h>

#include "vmath.h"

int main(int argc, char **argv)
{
    static real x[1 << 20];
    size_t n = fread(x, sizeof(real), sizeof x / sizeof(real), stdin);
    int tanh_wanted = argc > 1 && strcmp(argv[1], "tanh") == 0;
    for (size_t i = 0; i < n; i++) x[i] = tanh_wanted ? fcn_tanh(x[i]) : fcn_exp(x[i]);
    fwrite(x, sizeof(real), n, stdout);
    return 0;
}
