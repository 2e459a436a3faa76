// SPDX-License-Identifier: Apache-2.0
// How nodes talk: mutual TLS through CAF's openssl module (every peer shows
// a certificate signed by the configured CA, or the handshake fails), or,
// only when asked for explicitly and only on loopback, plain TCP through
// CAF's middleman. The options are checked before CAF is asked to do
// anything, so a missing key is a clear error, not an abort in a handshake.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/remote_actor.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>

#include "nfactor/error.hpp"

namespace nfactor::actors::node {

/// Transport security of one side (node or client).
struct security_options {
  /// PEM certificate presented to the peer (`--openssl.certificate`).
  std::string certificate;
  /// PEM private key of `certificate` (`--openssl.key`).
  std::string key;
  /// PEM CA certificate(s) that must have signed the peer's certificate
  /// (`--openssl.cafile`).
  std::string cafile;
  /// Passphrase of `key`, if it is encrypted (`--openssl.passphrase`).
  std::string passphrase;
  /// Plain TCP without authentication (`--insecure`); only allowed when
  /// every address involved is a loopback address.
  bool insecure = false;

  /// True when TLS is used (not `insecure`).
  [[nodiscard]] bool tls() const noexcept { return !insecure; }
};

/// True for 127.0.0.0/8, ::1 and "localhost".
[[nodiscard]] bool is_loopback(const std::string& address);

/// Success, or the first problem: `insecure` with a non-loopback
/// `address` (the bind address of a node, the host a client connects to;
/// empty means every interface), `insecure` together with TLS files, or,
/// for TLS, a certificate, key or CA file that is missing or unreadable.
[[nodiscard]] result<void> validate(const security_options& opts,
                                    const std::string& address);

/// Prepares `cfg` for `opts`: loads the middleman and, for TLS, the
/// openssl manager, and sets its `openssl.*` fields. Call before
/// constructing the actor system (after `validate`).
void prepare(caf::actor_system_config& cfg, const security_options& opts);

/// A configuration for programs that talk to nodes: CAF's own options
/// (`--openssl.certificate`, `--openssl.key`, `--openssl.cafile`,
/// `--openssl.passphrase`, a config file, `--help`) plus `--insecure`, and
/// every nfactor message type registered.
class config : public caf::actor_system_config {
 public:
  config();

  /// `--insecure`: plain TCP, loopback only.
  bool insecure = false;

  /// The transport options as parsed.
  [[nodiscard]] security_options security() const;

  /// Validates `security()` for `address` and prepares this config for it.
  [[nodiscard]] result<void> prepare_security(const std::string& address);
};

/// Publishes `whom` on `port` at `bind` (empty: every interface) through
/// TLS or plain TCP (the system must have been prepared for it); returns
/// the bound port.
template <class Handle>
[[nodiscard]] caf::expected<std::uint16_t>
publish(const Handle& whom, std::uint16_t port, const std::string& bind,
        bool tls) {
  const char* in = bind.empty() ? nullptr : bind.c_str();
  if (tls)
    return caf::openssl::publish(whom, port, in, true);
  return whom.home_system().middleman().publish(whom, port, in, true);
}

/// Connects to the actor published at `host`:`port` (TLS or plain TCP).
template <class Handle>
[[nodiscard]] caf::expected<Handle> connect(caf::actor_system& sys,
                                            const std::string& host,
                                            std::uint16_t port, bool tls) {
  if (tls)
    return caf::openssl::remote_actor<Handle>(sys, host, port);
  return caf::io::remote_actor<Handle>(sys, host, port);
}

} // namespace nfactor::actors::node
