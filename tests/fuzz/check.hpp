#pragma once
// FUZZ_CHECK(condition, what): an invariant of the code under test. On a
// violation it prints what broke and aborts, so libFuzzer reports a crash
// and keeps the input (crash-<sha1>), like a sanitizer finding.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                              \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  %s\n", __FILE__, __LINE__, #condition, \
                   what);                                                                        \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)
