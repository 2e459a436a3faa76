// SPDX-License-Identifier: Apache-2.0
// What the running kernel offers, probed once per process with an oracle
// that is not nfactor (nft, the kernel's own config), so a test of a
// feature checks the outcome that matches this kernel, both ways: present,
// it must work; absent, it must fail the documented way.
#pragma once

#include <optional>

namespace nfactor::test {

struct kernel_features {
  /// nf_tables flowtables (CONFIG_NF_FLOW_TABLE; a module on stock Debian
  /// kernels, absent on some minimal ones): `nft add flowtable` succeeds in
  /// a scratch namespace.
  bool flowtables = false;
  /// NFLOG's conntrack attribute (CONFIG_NETFILTER_NETLINK_GLUE_CT), from
  /// /proc/config.gz or /boot/config-RELEASE; nullopt when neither is
  /// readable (a test then checks whichever outcome it gets).
  std::optional<bool> conntrack_glue;
  /// The kernel's FTP conntrack helper (CONFIG_NF_CONNTRACK_FTP, built in
  /// on the 6.18 test kernel, a module elsewhere): an nft `ct helper` of
  /// type "ftp" can be added in a scratch namespace.
  bool ftp_helper = false;
};

/// The running kernel's features, probed on the first call (needs
/// `kernel_tests_enabled()`; all absent otherwise).
const kernel_features& features();

} // namespace nfactor::test
