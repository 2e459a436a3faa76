// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "nfactor/error.hpp"
#include "nfactor/sys/fd.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::nflog {

/// Resolves interface indexes to names inside one namespace, with a
/// cache.
///
/// A datagram socket created in the namespace answers SIOCGIFNAME for that
/// namespace's interfaces (the ioctl uses the socket's namespace, not the
/// caller's), so lookups need no thread switch. Names are cached per
/// index for `ttl` (interfaces can be renamed, indexes reused); a failed
/// lookup (interface gone) is cached as absent for the same time.
class ifname_cache {
 public:
  /// Opens the lookup socket in `ns`.
  [[nodiscard]] static result<ifname_cache>
  open(const sys::netns& ns,
       std::chrono::steady_clock::duration ttl = std::chrono::seconds{1});

  ifname_cache(ifname_cache&&) noexcept = default;
  ifname_cache& operator=(ifname_cache&&) noexcept = default;

  /// The name of `ifindex`, or nullptr if there is no such interface.
  /// `now` is the caller's clock reading (one per batch is enough).
  const std::string* lookup(std::uint32_t ifindex,
                            std::chrono::steady_clock::time_point now);

  /// Forgets every cached name.
  void clear();

 private:
  struct entry {
    std::string name;
    std::chrono::steady_clock::time_point at{};
    bool known = false;
    bool exists = false;
  };

  ifname_cache() = default;
  entry& slot(std::uint32_t ifindex);

  sys::unique_fd fd_;
  std::chrono::steady_clock::duration ttl_{};
  // Indexes are small and dense in practice: a vector, a map beyond it.
  std::vector<entry> dense_;
  std::unordered_map<std::uint32_t, entry> sparse_;
};

/// Fills the `*_name` members of a decoded packet (`log_event`,
/// `nfqueue::queue_packet`) from its interface indexes, as far as `names`
/// knows them.
template <class Packet>
void name_interfaces(ifname_cache& names, Packet& p,
                     std::chrono::steady_clock::time_point now) {
  auto name = [&](const std::optional<std::uint32_t>& idx,
                  std::optional<std::string>& out) {
    if (!idx)
      return;
    if (auto* n = names.lookup(*idx, now))
      out = *n;
  };
  name(p.indev, p.indev_name);
  name(p.outdev, p.outdev_name);
  name(p.physindev, p.physindev_name);
  name(p.physoutdev, p.physoutdev_name);
}

} // namespace nfactor::nflog
