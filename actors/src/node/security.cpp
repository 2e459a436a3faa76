// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/node/security.hpp"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "nfactor/actors/system.hpp"

namespace nfactor::actors::node {

namespace {

// Fails unless `path` names a file this process can open for reading.
result<void> readable(const std::string& path, const char* what) {
  if (path.empty())
    return make_error(errc::invalid_argument, "tls configuration",
                      std::string{"no "} + what + " (--openssl." + what +
                          "=FILE), and --insecure not given");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return make_error(errno_code(e), "tls configuration",
                      std::string{what} + " " + path + ": " + std::strerror(e));
  }
  ::close(fd);
  return {};
}

} // namespace

bool is_loopback(const std::string& address) {
  if (address == "localhost")
    return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, address.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

result<void> validate(const security_options& opts,
                      const std::string& address) {
  if (opts.insecure) {
    if (!opts.certificate.empty() || !opts.key.empty() || !opts.cafile.empty())
      return make_error(errc::invalid_argument, "tls configuration",
                        "--insecure together with --openssl.* files: "
                        "choose one");
    if (!is_loopback(address))
      return make_error(errc::invalid_argument, "tls configuration",
                        "--insecure is only allowed on a loopback address "
                        "(127.0.0.0/8, ::1, localhost), not '" +
                            (address.empty() ? std::string{"<any>"} : address) +
                            "'");
    return {};
  }
  if (auto r = readable(opts.certificate, "certificate"); !r)
    return r;
  if (auto r = readable(opts.key, "key"); !r)
    return r;
  if (auto r = readable(opts.cafile, "cafile"); !r)
    return r;
  return {};
}

void prepare(caf::actor_system_config& cfg, const security_options& opts) {
  cfg.load<caf::io::middleman>();
  if (!opts.tls())
    return;
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = opts.certificate;
  cfg.openssl_key = opts.key;
  cfg.openssl_cafile = opts.cafile;
  cfg.openssl_passphrase = opts.passphrase;
}

config::config() {
  opt_group{custom_options_, "global"}.add(
      insecure, "insecure",
      "plain TCP without certificates (loopback addresses only)");
  actors::add_message_types(*this);
  // Workers that sleep on a condition variable instead of polling for
  // work: measured (bench/node) to halve the CPU per event of node and
  // collector next to socket actors on their own threads. Command line
  // or config file may still say --scheduler.policy=stealing.
  set("scheduler.policy", caf::atom("sharing"));
}

security_options config::security() const {
  security_options out;
  out.certificate = openssl_certificate;
  out.key = openssl_key;
  out.cafile = openssl_cafile;
  out.passphrase = openssl_passphrase;
  out.insecure = insecure;
  return out;
}

result<void> config::prepare_security(const std::string& address) {
  auto opts = security();
  if (auto r = validate(opts, address); !r)
    return r;
  prepare(*this, opts);
  return {};
}

} // namespace nfactor::actors::node
