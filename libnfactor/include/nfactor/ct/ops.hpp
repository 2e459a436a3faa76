// SPDX-License-Identifier: Apache-2.0
//
// Conntrack table operations over a netfilter socket (sys/socket.hpp),
// each one request/reply exchange (sys/request.hpp): the requests of
// ct/message.hpp, sent and answered. Blocking (bounded by the exchange
// time-out); the request actor calls them on its own thread.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "nfactor/ct/entry.hpp"
#include "nfactor/ct/expect.hpp"
#include "nfactor/ct/message.hpp"
#include "nfactor/error.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::ct {

/// Dumps the entries `f` selects, calling `on_entry` for each, in the
/// kernel's order. A dump is not a snapshot: entries created or destroyed
/// while it runs may or may not appear (see monitor.hpp for a consistent
/// snapshot + tail).
[[nodiscard]] result<void> dump(sys::socket& sock, const filter& f,
                                const std::function<void(event&&)>& on_entry,
                                const sys::exchange_options& opts = {});

/// Dumps the entries `f` selects into a vector.
[[nodiscard]] result<std::vector<entry>>
dump(sys::socket& sock, const filter& f = {},
     const sys::exchange_options& opts = {});

/// The entry whose original tuple is `orig`; ENOENT if there is none.
[[nodiscard]] result<entry> get(sys::socket& sock, const tuple& orig,
                                std::optional<std::uint16_t> zone = {},
                                const sys::exchange_options& opts = {});

/// Creates `e` (see `create_request`); EEXIST if it exists.
[[nodiscard]] result<void> create(sys::socket& sock, const entry& e,
                                  const sys::exchange_options& opts = {});

/// Changes mark, timeout, labels or status of the entry `e.orig` names
/// (see `update_request`); ENOENT if there is none.
[[nodiscard]] result<void> update(sys::socket& sock, const entry& e,
                                  const sys::exchange_options& opts = {});

/// Deletes the entry whose original tuple is `orig` (and whose id is
/// `id`, when given); ENOENT if there is none. Listeners get a DESTROY
/// event with the final counters.
[[nodiscard]] result<void> remove(sys::socket& sock, const tuple& orig,
                                  std::optional<std::uint32_t> id = {},
                                  std::optional<std::uint16_t> zone = {},
                                  const sys::exchange_options& opts = {});

/// Deletes every entry `f` selects (all with the default filter).
[[nodiscard]] result<void> flush(sys::socket& sock, const filter& f = {},
                                 const sys::exchange_options& opts = {});

/// Per-CPU statistics, one element per possible CPU.
[[nodiscard]] result<std::vector<cpu_stats>>
stats_per_cpu(sys::socket& sock, const sys::exchange_options& opts = {});

/// Table size and limit.
[[nodiscard]] result<global_stats>
stats(sys::socket& sock, const sys::exchange_options& opts = {});

/// Dumps the expectations of `family` (0: both), calling `on_exp` for
/// each (`conntrack -L expect`).
[[nodiscard]] result<void>
dump_expectations(sys::socket& sock, std::uint8_t family,
                  const std::function<void(exp_event&&)>& on_exp,
                  const sys::exchange_options& opts = {});

/// Deletes the expectation whose expected tuple is `expected` (and whose
/// id is `id`, when given); ENOENT if there is none. Listeners get an
/// expectation DESTROY event.
[[nodiscard]] result<void>
remove_expectation(sys::socket& sock, const tuple& expected,
                   std::optional<std::uint32_t> id = {},
                   std::optional<std::uint16_t> zone = {},
                   const sys::exchange_options& opts = {});

/// Deletes every expectation (of helper `helper`, when given).
[[nodiscard]] result<void>
flush_expectations(sys::socket& sock,
                   const std::optional<std::string>& helper = {},
                   const sys::exchange_options& opts = {});

} // namespace nfactor::ct
