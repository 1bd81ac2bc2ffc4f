// Shared by the fuzz targets: an invariant check that stays on in every build type. libFuzzer treats
// the abort as a crash and saves the input, so a broken round trip is reported like a sanitizer error.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                     \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)
