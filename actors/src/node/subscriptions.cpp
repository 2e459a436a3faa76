// SPDX-License-Identifier: Apache-2.0
#include "subscriptions.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "nfactor/nflog/packed.hpp"

namespace nfactor::actors::node::detail {

std::uint64_t subscriptions::add(stream_key key, subscriber sub,
                                 std::uint32_t in_flight) {
  if (in_flight == 0)
    in_flight = opts_.default_in_flight;
  in_flight = std::min(in_flight, opts_.max_in_flight);
  auto id = next_id_++;
  self_.monitor(sub);
  subs_.emplace(
      id,
      subscription{id, key, std::move(sub), credit_window{in_flight}, 0, {}});
  return id;
}

node_subscription subscriptions::grant(std::uint64_t id) const {
  const auto& s = subs_.at(id);
  return {id, s.key.source(), s.window.limit()};
}

subscriber subscriptions::find(std::uint64_t id) const {
  auto i = subs_.find(id);
  return i == subs_.end() ? subscriber{} : i->second.sub;
}

std::optional<stream_key> subscriptions::erase(std::uint64_t id) {
  auto i = subs_.find(id);
  if (i == subs_.end())
    return std::nullopt;
  auto key = i->second.key;
  subs_.erase(i);
  return key;
}

void subscriptions::erase_stream(stream_key key) {
  std::erase_if(subs_, [&](const auto& x) { return x.second.key == key; });
}

std::set<stream_key>
subscriptions::erase_subscriber(const caf::actor_addr& who) {
  std::set<stream_key> touched;
  std::erase_if(subs_, [&](const auto& x) {
    if (x.second.sub.address() != who)
      return false;
    touched.insert(x.second.key);
    return true;
  });
  return touched;
}

bool subscriptions::has_stream(stream_key key) const {
  return std::any_of(subs_.begin(), subs_.end(),
                     [&](const auto& x) { return x.second.key == key; });
}

void subscriptions::fan_out(packed_log_batch p) {
  auto key = stream_key::log(p.group);
  std::vector<subscription*> targets;
  for (auto& [id, s] : subs_)
    if (s.key == key)
      targets.push_back(&s);
  for (std::size_t k = 0; k < targets.size(); ++k) {
    auto& s = *targets[k];
    auto n = p.events;
    if (s.window.in_flight() < s.window.limit() && s.held.events == 0) {
      if (k + 1 == targets.size())
        send_counted(s, std::move(p), n);
      else
        send_counted(s, packed_log_batch{p}, n);
    } else if (s.held.events + std::uint64_t{p.events} <=
               opts_.max_held_events) {
      hold(s, p);
      flush_held(s);
    } else {
      (void)s.window.take(p.events); // no credit: dropped and counted
    }
  }
}

void subscriptions::hold(subscription& s, const packed_log_batch& p) {
  if (auto ok = nflog::append_packed(s.held.bytes, p.bytes); !ok) {
    (void)s.window.take(p.events); // cannot happen: we packed both
    return;
  }
  s.held.group = p.group;
  s.held.events += p.events;
}

void subscriptions::flush_held(subscription& s) {
  if (s.held.events == 0 || s.window.in_flight() >= s.window.limit())
    return;
  auto n = s.held.events;
  send_counted(s, std::exchange(s.held, packed_log_batch{}), n);
}

void subscriptions::relay(nft::transaction& t) {
  auto n = t.changes.size();
  std::vector<subscription*> targets;
  for (auto& [id, s] : subs_)
    if (s.key == stream_key::ruleset())
      targets.push_back(&s);
  for (std::size_t k = 0; k < targets.size(); ++k) {
    // The last target may have the batch itself.
    if (k + 1 == targets.size())
      send_counted(*targets[k], std::move(t), n);
    else
      send_counted(*targets[k], nft::transaction{t}, n);
  }
}

template <class Batch>
void subscriptions::send_counted(subscription& s, Batch&& batch,
                                 std::size_t n) {
  if (!s.window.take(n))
    return;
  if (auto loss = s.window.take_loss())
    self_.send(s.sub, node_loss{s.id, s.key.source(), loss->batches,
                                loss->events, s.window.total_dropped().batches,
                                s.window.total_dropped().events});
  s.events_sent += n;
  auto release = [this, id = s.id] {
    if (auto j = subs_.find(id); j != subs_.end()) {
      j->second.window.release();
      flush_held(j->second);
    }
  };
  self_.request(s.sub, caf::infinite, std::forward<Batch>(batch))
      .then([release] { release(); }, [release](caf::error&) { release(); });
}

void subscriptions::add_stats(node_stats& out) const {
  for (const auto& [id, s] : subs_) {
    subscription_stats x;
    x.id = id;
    x.source = s.key.source();
    x.subscriber = caf::to_string(s.sub.address());
    x.batches_sent = s.window.sent();
    x.events_sent = s.events_sent;
    x.batches_dropped = s.window.total_dropped().batches;
    x.events_dropped = s.window.total_dropped().events;
    x.in_flight = s.window.in_flight();
    x.max_in_flight = s.window.limit();
    out.subscriptions.push_back(std::move(x));
  }
}

} // namespace nfactor::actors::node::detail
