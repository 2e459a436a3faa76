// SPDX-License-Identifier: Apache-2.0
#include "kernel_features.hpp"

#include <string>

#include <sys/utsname.h>

#include "netns_fixture.hpp"

namespace nfactor::test {

namespace {

// CONFIG_`name` from the kernel's config: true for y or m, false for "is
// not set" or no line, nullopt when no config can be read.
std::optional<bool> kernel_config(const std::string& name) {
  utsname u{};
  ::uname(&u);
  auto config =
      run_command("zcat /proc/config.gz 2>/dev/null || cat " +
                  shell_quote(std::string{"/boot/config-"} + u.release) +
                  " 2>/dev/null")
          .output;
  if (config.find("\nCONFIG_") == std::string::npos)
    return std::nullopt;
  for (const char* value : {"=y\n", "=m\n"})
    if (config.find("\nCONFIG_" + name + value) != std::string::npos)
      return true;
  return false;
}

kernel_features probe() {
  kernel_features f;
  if (!kernel_tests_enabled())
    return f;
  scratch_netns ns;
  f.flowtables = ns.exec("nft 'add table inet probe; add flowtable inet probe "
                         "f { hook ingress priority 0; devices = { lo }; }'")
                     .status == 0;
  f.conntrack_glue = kernel_config("NETFILTER_NETLINK_GLUE_CT");
  f.ftp_helper = ns.exec("nft 'add table inet probe; add ct helper inet probe "
                         "ftp { type \"ftp\" protocol tcp; }'")
                     .status == 0;
  return f;
}

} // namespace

const kernel_features& features() {
  static const kernel_features f = probe();
  return f;
}

} // namespace nfactor::test
