// SPDX-License-Identifier: Apache-2.0
// The node's subscriptions and how batches reach them (private to the
// node's sources): credit per subscription, held events, loss notices.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include <caf/typed_event_based_actor.hpp>

#include "nfactor/actors/node/credit.hpp"
#include "nfactor/actors/node/node.hpp"

#include "stream_key.hpp"

namespace nfactor::actors::node::detail {

/// One subscriber's interest in one stream.
struct subscription {
  std::uint64_t id = 0;
  stream_key key;
  subscriber sub;
  credit_window window;
  std::uint64_t events_sent = 0;
  /// Log events that came while no credit was left, packed into one batch
  /// that goes out with the next credit (bounded: `max_held_events`).
  packed_log_batch held;
};

/// Every subscription of a node, by id. Lives in the node actor `self`,
/// whose context runs every call and reply handler.
class subscriptions {
 public:
  subscriptions(node_impl::base& self, const node_options& opts) noexcept
    : self_(self), opts_(opts) {}

  /// Adds a subscription of `sub` to stream `key` (monitoring `sub`) with
  /// `in_flight` batches (0: the default; capped by the maximum).
  std::uint64_t add(stream_key key, subscriber sub, std::uint32_t in_flight);

  /// What the subscriber of `id` (which must exist) is told it got.
  [[nodiscard]] node_subscription grant(std::uint64_t id) const;

  /// The subscriber of `id`, or null if it is gone.
  [[nodiscard]] subscriber find(std::uint64_t id) const;

  /// Ends subscription `id`; its stream, if it existed.
  std::optional<stream_key> erase(std::uint64_t id);

  /// Ends every subscription of stream `key`.
  void erase_stream(stream_key key);

  /// Ends every subscription of `who`; the streams they were on.
  std::set<stream_key> erase_subscriber(const caf::actor_addr& who);

  /// Ends every subscription (the node stops).
  void clear() { subs_.clear(); }

  /// True when somebody subscribes to `key`.
  [[nodiscard]] bool has_stream(stream_key key) const;

  /// Sends `msg` to every subscriber of `key`.
  template <class Message>
  void tell(stream_key key, const Message& msg) {
    for (auto& [id, s] : subs_)
      if (s.key == key)
        self_.send(s.sub, msg);
  }

  /// Relays a log batch (packed once: one byte buffer crosses the
  /// network): sent at once to a subscriber with credit; otherwise held,
  /// merged with what it already holds and sent as one larger batch when
  /// a credit returns. Under load batches grow instead of being dropped;
  /// only beyond `max_held_events` held events is a batch dropped, counted
  /// and reported.
  void fan_out(packed_log_batch p);

  /// Sends commit `t` to every ruleset subscriber with credit; counts it
  /// as dropped for the others.
  void relay(nft::transaction& t);

  /// Appends the counters of every subscription to `out`.
  void add_stats(node_stats& out) const;

 private:
  void hold(subscription& s, const packed_log_batch& p);
  // Sends what `s` holds if it has a credit.
  void flush_held(subscription& s);
  // Takes a credit of `s` and sends `batch` (`n` events) as a request
  // whose reply returns the credit (and sends what was held meanwhile),
  // after a loss notice if batches were dropped since the last one.
  // Without credit the batch is dropped and counted.
  template <class Batch>
  void send_counted(subscription& s, Batch&& batch, std::size_t n);

  node_impl::base& self_;
  const node_options& opts_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, subscription> subs_;
};

} // namespace nfactor::actors::node::detail
