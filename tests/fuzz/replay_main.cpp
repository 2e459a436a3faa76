// SPDX-License-Identifier: Apache-2.0
// Runs a fuzz target over files and directories of inputs without libFuzzer,
// so every corpus entry is a regression test in the ordinary (gcc) build and
// under ASan. Prints "N passed, 0 failed" (a crash ends the process).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);

namespace fs = std::filesystem;

namespace {

std::size_t run_file(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>{in}, {}};
  // An exactly-sized heap copy, so ASan sees any over-read.
  auto* copy = new std::uint8_t[bytes.size() + 1];
  std::copy(bytes.begin(), bytes.end(), copy);
  LLVMFuzzerTestOneInput(copy, bytes.size());
  delete[] copy;
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  std::size_t n = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path p{argv[i]};
    if (fs::is_directory(p)) {
      for (auto& e : fs::recursive_directory_iterator{p})
        if (e.is_regular_file())
          n += run_file(e.path());
    } else if (fs::exists(p)) {
      n += run_file(p);
    } else {
      std::fprintf(stderr, "no such input: %s\n", argv[i]);
      return 2;
    }
  }
  if (n == 0) {
    std::fprintf(stderr, "no inputs found\n");
    return 2;
  }
  std::printf("%zu passed, 0 failed\n", n);
  return 0;
}
