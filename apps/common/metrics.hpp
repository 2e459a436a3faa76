// SPDX-License-Identifier: Apache-2.0
//
// Prometheus metrics for the daemons: `--metrics ADDR:PORT` serves the
// text exposition format (version 0.0.4) on GET /metrics. Each app builds
// its page per scrape from its actors' stats (`exposition`, `add_stats`,
// `add_process`); `server` answers HTTP with cpp-httplib (Debian's
// libcpp-httplib-dev) on a thread of its own.
//
//   nfactor-log -g 5 --metrics 127.0.0.1:9105
//   curl -s http://127.0.0.1:9105/metrics
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/error.hpp> // before stats.hpp, whose inspect.hpp needs it

#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/error.hpp"

namespace nfactor::app::metrics {

/// Where to serve. "ADDR:PORT", "[IPv6]:PORT", or ":PORT" / "PORT" for the
/// loopback address 127.0.0.1 (the default: metrics are not for the
/// network unless an address says so). Port 0 picks a free port.
struct endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

/// Parses `text` (see `endpoint`); an error naming `option` otherwise.
[[nodiscard]] result<endpoint> parse_endpoint(std::string_view text,
                                              const char* option = "--metrics");

/// An app's `--metrics` option: nothing when `text` is empty (metrics
/// off), else the endpoint, or the error naming the option.
[[nodiscard]] result<std::optional<endpoint>>
parse_option(std::string_view text);

/// The help text of every app's `--metrics` option (an array, not a
/// pointer: CAF's string_view takes a `const char*` only under g++).
inline constexpr char option_help[] =
    "serve Prometheus metrics on ADDR:PORT (:PORT = loopback)";

/// Label name and value pairs of one sample, e.g. {{"group", "5"}}.
using labels = std::vector<std::pair<std::string, std::string>>;

/// A page in the text exposition format being built. Samples of one
/// metric may be added in any order; `text()` writes each metric's HELP
/// and TYPE once, followed by all its samples.
class exposition {
 public:
  /// A monotonically increasing count; `name` ends in `_total`.
  void counter(std::string_view name, std::string_view help, const labels& l,
               double value);
  /// A value that goes up and down.
  void gauge(std::string_view name, std::string_view help, const labels& l,
             double value);
  /// The page.
  [[nodiscard]] std::string text() const;

 private:
  struct family {
    std::string name;
    std::string help;
    const char* type;
    std::string samples;
  };
  void add(std::string_view name, std::string_view help, const char* type,
           const labels& l, double value);
  std::vector<family> families_;
};

/// The `sup::stats` record of one socket actor, as nfactor_received_total,
/// nfactor_delivered_total, nfactor_lost_total, nfactor_enobufs_total,
/// nfactor_restarts_total, nfactor_foreign_datagrams_total,
/// nfactor_rcvbuf_bytes and nfactor_uptime_seconds, each with `l`.
void add_stats(exposition& page, const labels& l, const actors::sup::stats& s);

/// Events or messages an actor holds that its owner has not acknowledged
/// (nfactor_in_flight).
void add_in_flight(exposition& page, const labels& l, double value);

/// This process: process_cpu_seconds_total (user + system),
/// process_resident_memory_bytes, process_start_time_seconds (Prometheus'
/// standard names), from /proc/self.
void add_process(exposition& page);

/// Serves GET /metrics (anything else: 404) on a thread of its own until
/// destroyed; `collect` is called once per scrape, on that thread.
class server {
 public:
  /// Binds `at` and starts serving; the error (e.g. EADDRINUSE) if the
  /// address cannot be bound.
  [[nodiscard]] static result<std::unique_ptr<server>>
  start(const endpoint& at, std::function<std::string()> collect);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port (the chosen one for port 0).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "ADDR:PORT" as bound.
  [[nodiscard]] std::string where() const;

 private:
  struct impl;
  explicit server(std::unique_ptr<impl> i, std::uint16_t port,
                  std::string host);
  std::unique_ptr<impl> impl_;
  std::uint16_t port_;
  std::string host_;
};

/// Starts a server when `at` is set and says where on standard error
/// ("PROG: metrics on http://ADDR:PORT/metrics"); nullptr when it is not
/// set; the error if the address cannot be bound.
[[nodiscard]] result<std::unique_ptr<server>>
serve(const char* prog, const std::optional<endpoint>& at,
      std::function<std::string()> collect);

} // namespace nfactor::app::metrics
