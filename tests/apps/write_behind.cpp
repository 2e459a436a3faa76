// SPDX-License-Identifier: Apache-2.0
// apps/common/write_behind.hpp, no kernel netfilter: a file written in
// pieces keeps every byte, and what lies two windows behind its end has
// left the page cache (mincore); pipes are left alone.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "app_runner.hpp"
#include "write_behind.hpp"

namespace write_behind {
namespace app = nfactor::app;

// How many of the pages of [offset, offset + length) of `fd` are in the
// page cache.
std::size_t resident_pages(int fd, off_t offset, std::size_t length) {
  void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, offset);
  BOOST_REQUIRE(map != MAP_FAILED);
  auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((length + page - 1) / page);
  BOOST_REQUIRE(::mincore(map, length, in.data()) == 0);
  ::munmap(map, length);
  std::size_t n = 0;
  for (auto c : in)
    n += c & 1;
  return n;
}

} // namespace write_behind

BOOST_AUTO_TEST_SUITE(write_behind)

BOOST_AUTO_TEST_CASE(written_windows_leave_the_page_cache_and_keep_bytes) {
  nfactor::test::scratch_dir dir;
  auto path = dir / "out.json";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
  BOOST_REQUIRE(fd >= 0);
  // A few bytes already there: windows are aligned to the file.
  BOOST_REQUIRE(::write(fd, "x\n", 2) == 2);
  app::write_behind behind;
  behind.reset(fd);
  BOOST_TEST(behind.active());
  constexpr std::size_t piece = 300 * 1024 + 7; // not a divisor of 8 MiB
  std::string text(piece, 'a');
  std::size_t total = 2;
  for (int i = 0; total < 4 * app::write_behind::window; ++i) {
    text.front() = static_cast<char>('a' + i % 26);
    BOOST_REQUIRE(::write(fd, text.data(), text.size()) ==
                  static_cast<ssize_t>(text.size()));
    behind.wrote(text.size());
    total += text.size();
  }
  int rd = ::open(path.c_str(), O_RDONLY);
  BOOST_REQUIRE(rd >= 0);
  // The first two windows were handed to the disk and dropped; the last
  // one filled is being written back, the one being filled is cached.
  auto window = static_cast<std::size_t>(app::write_behind::window);
  struct statfs fs {};
  BOOST_REQUIRE(::fstatfs(rd, &fs) == 0);
  // tmpfs has no disk to hand pages to: there the pages stay.
  BOOST_TEST_REQUIRE(fs.f_type != TMPFS_MAGIC, dir.path << " is on tmpfs");
  BOOST_TEST(resident_pages(rd, 0, 2 * window) == 0u);
  BOOST_TEST(resident_pages(rd, 3 * window, total - 3 * window) > 0u);
  // Every byte is there, in order.
  BOOST_TEST(::lseek(rd, 0, SEEK_END) == static_cast<off_t>(total));
  std::string all(total, '\0');
  BOOST_REQUIRE(::pread(rd, all.data(), total, 0) ==
                static_cast<ssize_t>(total));
  BOOST_TEST(all.substr(0, 2) == "x\n");
  for (std::size_t i = 0, at = 2; at < total; ++i, at += piece) {
    BOOST_TEST_REQUIRE(all[at] == static_cast<char>('a' + i % 26));
    BOOST_TEST_REQUIRE(all[at + piece - 1] == 'a');
  }
  ::close(rd);
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(pipes_are_left_alone) {
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  app::write_behind behind;
  behind.reset(p[1]);
  BOOST_TEST(!behind.active());
  behind.wrote(64 << 20); // nothing to do, nothing to fail
  ::close(p[0]);
  ::close(p[1]);
}

BOOST_AUTO_TEST_SUITE_END()
