// SPDX-License-Identifier: Apache-2.0
//
// Streaming output files without filling the page cache.
#pragma once

#include <cstdint>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace nfactor::app {

/// Hands what an app appended to a regular file to the disk in windows
/// and drops it from the page cache once it is on the disk: the window
/// just filled starts writeback (`sync_file_range(WRITE)`), the one
/// before it is waited for and dropped (`POSIX_FADV_DONTNEED`).
///
/// Why: a capture of millions of events writes gigabytes that nobody
/// reads back soon. Left in the page cache, every byte lands on a freshly
/// allocated page (on a VM with free page reporting, a page the host must
/// fault in again) and the cache crowds out memory that matters.
/// Measured on this project's 2-core VM, 500 MiB in 256 KiB writes: 0.62 s
/// of system CPU through the page cache, 0.11-0.15 s written behind, and
/// less wall time (bench/nflog, docs/apps/nfactor-log.md). The cost: a
/// writer waits for the disk two windows behind, which a disk slower than
/// the events imposes anyway, and readers of the file read it from disk.
///
/// Files other than regular ones (pipes, terminals, /dev/null) are left
/// alone.
class write_behind {
 public:
  /// Bytes per window. 8 MiB: large enough that the calls cost nothing
  /// per event, small enough that at most 16 MiB are dirty at a time.
  static constexpr off_t window = 8 << 20;

  /// Starts following `fd`, whose next write lands at its current end
  /// (O_APPEND or a fresh file); a non-regular file disables it.
  void reset(int fd) noexcept {
    fd_ = -1;
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
      return;
    auto end = ::lseek(fd, 0, SEEK_END);
    if (end < 0)
      return;
    fd_ = fd;
    // Windows are aligned to the file, so the first one may be short.
    next_ = (end / window + 1) * window;
    end_ = end;
  }

  /// After `n` more bytes were written to the file.
  void wrote(std::uint64_t n) noexcept {
    if (fd_ < 0)
      return;
    end_ += static_cast<off_t>(n);
    while (end_ >= next_) {
      auto filled = next_ - window;
      ::sync_file_range(fd_, filled, window, SYNC_FILE_RANGE_WRITE);
      if (filled >= window) {
        auto before = filled - window;
        ::sync_file_range(fd_, before, window,
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                              SYNC_FILE_RANGE_WAIT_AFTER);
        ::posix_fadvise(fd_, before, window, POSIX_FADV_DONTNEED);
      }
      next_ += window;
    }
  }

  /// Whether it follows a file.
  [[nodiscard]] bool active() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
  off_t end_ = 0;
  off_t next_ = 0;
};

} // namespace nfactor::app
