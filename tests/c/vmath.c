/* fcn_exp, fcn_tanh or fcn_log (csrc/vmath.h, the function named by the
 * argument: "exp", "tanh" or "log") of each real read from stdin, written to
 * stdout. Built by CMake with -DFCN_C_TESTS=ON, with the options it gives
 * activations.c, for the instruction-set level in CMAKE_C_FLAGS
 * (tests/test_vmath.py). */
#include <stdio.h>
#include <string.h>

#include "vmath.h"

int main(int argc, char **argv)
{
    static real x[1 << 20];
    size_t n = fread(x, sizeof(real), sizeof x / sizeof(real), stdin);
    const char *name = argc > 1 ? argv[1] : "exp";
    if (strcmp(name, "tanh") == 0)
        for (size_t i = 0; i < n; i++) x[i] = fcn_tanh(x[i]);
    else if (strcmp(name, "log") == 0)
        for (size_t i = 0; i < n; i++) x[i] = fcn_log(x[i]);
    else
        for (size_t i = 0; i < n; i++) x[i] = fcn_exp(x[i]);
    fwrite(x, sizeof(real), n, stdout);
    return 0;
}
