/*
 * fuzz_check.h: CHECK(cond), the property check of every fuzz target (C and
 * C++): when cond is false it prints file:line and the condition and aborts,
 * so libFuzzer keeps the input as a crash artifact.
 */
#ifndef SPINDLE_FUZZ_CHECK_H
#define SPINDLE_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            abort();                                                         \
        }                                                                    \
    } while (0)

#endif
