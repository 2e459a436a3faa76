// SPDX-License-Identifier: Apache-2.0
// The supervisor actor: children in start order, each with its state; a
// failure decides (restart type, intensity) whether to restart, and the
// restart itself waits for the backoff and for any sibling being stopped.
#include "nfactor/actors/sup/supervisor.hpp"

#include <deque>

#include <caf/system_messages.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "nfactor/actors/sup/failure.hpp"

namespace nfactor::actors::sup {

namespace {

using clock = std::chrono::steady_clock;
using promise = caf::typed_response_promise<child_info>;

class supervisor_actor : public supervisor_impl::base {
 public:
  supervisor_actor(caf::actor_config& cfg, options opts,
                   std::vector<child_spec> specs)
    : supervisor_impl::base(cfg), opts_(opts) {
    for (auto& s : specs) {
      children_.emplace_back();
      children_.back().spec = std::move(s);
    }
  }

  behavior_type make_behavior() override {
    set_down_handler([this](caf::down_msg& dm) { on_down(dm); });
    for (std::size_t i = 0; i < children_.size(); ++i)
      start(i);
    flush_failures();
    return {
        [this](children_atom) {
          std::vector<child_info> out;
          for (std::size_t i = 0; i < children_.size(); ++i)
            out.push_back(info(i));
          return out;
        },
        [this](whereis_atom,
               const std::string& name) -> caf::result<child_info> {
          auto i = find(name);
          if (i == npos)
            return unknown(name);
          return info(i);
        },
        [this](stop_atom, const std::string& name) { return stop(name); },
        [this](start_child_atom,
               const std::string& name) -> caf::result<child_info> {
          auto i = find(name);
          if (i == npos)
            return unknown(name);
          auto& c = children_[i];
          if (c.state == child_state::stopped ||
              c.state == child_state::restarting) {
            start(i);
            flush_failures();
          }
          return info(i);
        },
        [this](restart_atom, std::uint64_t epoch) {
          if (epoch != epoch_)
            return;
          due_ = true;
          restart_pending();
          flush_failures();
        },
    };
  }

  // Stops the children and lets go of everything that holds an actor. A
  // response promise holds its own actor (strongly): a `stop` waiter left
  // undelivered kept this supervisor alive for ever, with the children's
  // handles and the specs' captures (an owner) in it, so a detached child
  // was never destroyed and `~actor_system` waited for its thread for
  // ever (seen in node_relay when a node went down while a group's
  // listener was being stopped).
  void on_exit() override {
    for (auto i = children_.size(); i-- > 0;) {
      auto& c = children_[i];
      if (c.handle)
        caf::anon_send_exit(c.handle, caf::exit_reason::user_shutdown);
      for (auto& w : c.stop_waiters)
        w.deliver(caf::make_error(caf::sec::request_receiver_down));
    }
    children_.clear();
    failures_.clear();
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  struct child {
    child_spec spec;
    caf::strong_actor_ptr handle;
    caf::actor_addr addr;
    child_state state = child_state::stopped;
    std::uint32_t starts = 0;
    caf::error last_reason;
    // Stopped by rest_for_one: restart it once it is down.
    bool restart_after_stop = false;
    std::vector<promise> stop_waiters;
  };

  void notify(std::size_t i) {
    // Sent as this supervisor, so an observer of several tells them apart
    // by the sender, not by the child's name.
    if (opts_.observer)
      caf::send_as(caf::actor_cast<caf::actor>(this), opts_.observer, info(i));
  }

  std::size_t find(const std::string& name) const {
    for (std::size_t i = 0; i < children_.size(); ++i)
      if (children_[i].spec.name == name)
        return i;
    return npos;
  }

  static caf::error unknown(const std::string& name) {
    return caf::make_error(errc::unknown_child, name);
  }

  child_info info(std::size_t i) const {
    const auto& c = children_[i];
    return {c.spec.name, caf::actor_cast<caf::actor>(c.handle), c.state,
            c.starts > 0 ? c.starts - 1 : 0, c.last_reason};
  }

  // Starts child i; a start error is recorded as its exit reason and
  // handled by flush_failures(), outside any loop over the children.
  void start(std::size_t i) {
    auto& c = children_[i];
    auto restarts = c.starts;
    ++c.starts;
    c.restart_after_stop = false;
    start_context ctx{system(), c.spec.name, restarts};
    auto h = c.spec.start ? c.spec.start(ctx)
                          : caf::expected<caf::strong_actor_ptr>{nullptr};
    if (h && *h) {
      c.handle = std::move(*h);
      c.addr = caf::actor_cast<caf::actor_addr>(c.handle);
      c.state = child_state::running;
      monitor(c.handle);
      notify(i);
      return;
    }
    c.state = child_state::running; // so the failure is handled as an exit
    failures_.emplace_back(i,
                           h ? caf::make_error(errc::start_failed, c.spec.name)
                             : std::move(h.error()));
  }

  void flush_failures() {
    while (!failures_.empty() && !giving_up_) {
      auto [i, reason] = std::move(failures_.front());
      failures_.pop_front();
      exited(i, std::move(reason));
    }
  }

  void on_down(caf::down_msg& dm) {
    for (std::size_t i = 0; i < children_.size(); ++i)
      if (children_[i].addr && children_[i].addr == dm.source) {
        exited(i, std::move(dm.reason));
        flush_failures();
        return;
      }
  }

  // Child i is down with `reason`: decide what happens next.
  void exited(std::size_t i, caf::error reason) {
    auto& c = children_[i];
    c.handle = nullptr;
    c.addr = caf::actor_addr{};
    c.last_reason = std::move(reason);
    if (c.state == child_state::stopping) {
      c.state =
          c.restart_after_stop ? child_state::restarting : child_state::stopped;
      auto waiters = std::move(c.stop_waiters);
      c.stop_waiters.clear();
      notify(i);
      for (auto& w : waiters)
        w.deliver(info(i));
      restart_pending();
      return;
    }
    if (c.state != child_state::running)
      return;
    bool again = c.spec.restart == restart_type::permanent ||
                 (c.spec.restart == restart_type::transient &&
                  !is_normal_exit(c.last_reason));
    if (!again) {
      c.state = child_state::stopped;
      notify(i);
      return;
    }
    auto now = clock::now();
    while (!stamps_.empty() && now - stamps_.front() > opts_.window)
      stamps_.pop_front();
    if (stamps_.size() >= opts_.max_restarts) {
      giving_up_ = true;
      c.state = child_state::stopped;
      notify(i);
      quit(make_restart_limit(c.spec.name, c.starts > 0 ? c.starts - 1 : 0,
                              c.last_reason));
      return;
    }
    stamps_.push_back(now);
    c.state = child_state::restarting;
    notify(i);
    if (opts_.strat == strategy::rest_for_one)
      for (auto j = children_.size(); j-- > i + 1;) {
        auto& s = children_[j];
        if (s.state == child_state::running) {
          s.state = child_state::stopping;
          s.restart_after_stop = true;
          notify(j);
          anon_send_exit(s.handle, caf::exit_reason::user_shutdown);
        }
      }
    schedule(delay());
  }

  std::chrono::milliseconds delay() const {
    auto d = opts_.backoff;
    if (opts_.max_backoff.count() == 0)
      return d;
    for (std::size_t k = 1; k < stamps_.size() && d < opts_.max_backoff; ++k)
      d *= 2;
    return std::min(d, opts_.max_backoff);
  }

  void schedule(std::chrono::milliseconds d) {
    ++epoch_;
    if (d.count() == 0) {
      due_ = true;
      restart_pending();
      return;
    }
    due_ = false;
    delayed_send(this, d, restart_atom_v, epoch_);
  }

  // Starts every child waiting for a restart, in start order, once the
  // backoff has passed and no sibling is still being stopped.
  void restart_pending() {
    if (!due_ || giving_up_)
      return;
    for (auto& c : children_)
      if (c.state == child_state::stopping && c.restart_after_stop)
        return;
    for (std::size_t i = 0; i < children_.size(); ++i)
      if (children_[i].state == child_state::restarting)
        start(i);
  }

  promise stop(const std::string& name) {
    auto rp = make_response_promise<child_info>();
    auto i = find(name);
    if (i == npos) {
      rp.deliver(unknown(name));
      return rp;
    }
    auto& c = children_[i];
    switch (c.state) {
    case child_state::running:
      c.state = child_state::stopping;
      c.restart_after_stop = false;
      c.stop_waiters.push_back(rp);
      notify(i);
      anon_send_exit(c.handle, caf::exit_reason::user_shutdown);
      break;
    case child_state::stopping:
      c.restart_after_stop = false;
      c.stop_waiters.push_back(rp);
      break;
    case child_state::restarting:
      c.state = child_state::stopped;
      notify(i);
      rp.deliver(info(i));
      restart_pending(); // the others may no longer wait for this one
      flush_failures();
      break;
    case child_state::stopped:
      rp.deliver(info(i));
      break;
    }
    return rp;
  }

  options opts_;
  std::vector<child> children_;
  std::deque<clock::time_point> stamps_;
  std::deque<std::pair<std::size_t, caf::error>> failures_;
  std::uint64_t epoch_ = 0;
  bool due_ = true;
  bool giving_up_ = false;
};

} // namespace

supervisor spawn_supervisor(caf::actor_system& sys, options opts,
                            std::vector<child_spec> children) {
  return sys.spawn<supervisor_actor>(opts, std::move(children));
}

} // namespace nfactor::actors::sup
