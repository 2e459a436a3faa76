// SPDX-License-Identifier: Apache-2.0
// CPU time of the calling thread: a detached socket actor reports its own
// thread's cost in its stats (the owner's work is not in it).
#pragma once

#include <cstdint>
#include <ctime>

namespace nfactor::actors {

/// CPU time the calling thread has used, in microseconds.
inline std::int64_t thread_cpu_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

} // namespace nfactor::actors
