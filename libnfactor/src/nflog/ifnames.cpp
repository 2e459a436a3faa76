// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/ifnames.hpp"

#include <cerrno>
#include <cstring>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace nfactor::nflog {

namespace {

constexpr std::size_t dense_limit = 4096;

} // namespace

result<ifname_cache>
ifname_cache::open(const sys::netns& ns,
                   std::chrono::steady_clock::duration ttl) {
  int raw = -1;
  auto st = sys::run_in(ns, [&] {
    raw = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (raw < 0)
      raw = -errno;
  });
  if (!st)
    return std::move(st).err();
  if (raw < 0)
    return make_error(errno_code(-raw), "open interface name socket",
                      ns.describe());
  ifname_cache out;
  out.fd_.reset(raw);
  out.ttl_ = ttl;
  return out;
}

ifname_cache::entry& ifname_cache::slot(std::uint32_t ifindex) {
  if (ifindex < dense_limit) {
    if (ifindex >= dense_.size())
      dense_.resize(ifindex + 1);
    return dense_[ifindex];
  }
  return sparse_[ifindex];
}

const std::string*
ifname_cache::lookup(std::uint32_t ifindex,
                     std::chrono::steady_clock::time_point now) {
  auto& e = slot(ifindex);
  if (!e.known || now - e.at > ttl_) {
    ifreq req{};
    req.ifr_ifindex = static_cast<int>(ifindex);
    e.exists = ::ioctl(fd_.get(), SIOCGIFNAME, &req) == 0;
    if (e.exists)
      e.name.assign(req.ifr_name, ::strnlen(req.ifr_name, IFNAMSIZ));
    else
      e.name.clear();
    e.known = true;
    e.at = now;
  }
  return e.exists ? &e.name : nullptr;
}

void ifname_cache::clear() {
  dense_.clear();
  sparse_.clear();
}

} // namespace nfactor::nflog
