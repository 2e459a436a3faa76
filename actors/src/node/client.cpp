// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/node/client.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <set>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/sup/failure.hpp"

namespace nfactor::actors::node {

std::string endpoint::to_string() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

result<endpoint> parse_endpoint(const std::string& text) {
  auto bad = [&](const char* why) {
    return make_error(errc::invalid_argument, "endpoint",
                      "'" + text + "': " + why + " (want host:port)");
  };
  endpoint out;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find("]:");
    if (close == std::string::npos)
      return bad("no ']:' after an IPv6 address");
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
      return bad("no port");
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), value);
  if (out.host.empty() || ec != std::errc{} ||
      end != port.data() + port.size() || value == 0 || value > 65535)
    return bad("bad host or port");
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

namespace {

using session_impl =
    subscriber::extend_with<session>::extend<caf::reacts_to<reconnect_atom>>;

class session_actor : public session_impl::base {
 public:
  using super = session_impl::base;

  session_actor(caf::actor_config& cfg, session_options opts,
                session_handler handler)
    : super(cfg), opts_(std::move(opts)), h_(std::move(handler)) {
    set_exception_handler(sup::keep_cause);
  }

  const char* name() const override { return "nfactor.node_session"; }

  behavior_type make_behavior() override {
    set_down_handler([this](caf::down_msg& dm) {
      if (dm.source != node_.address())
        return;
      node_ = nullptr;
      fail(dm.reason
               ? dm.reason
               : caf::make_error(caf::exit_reason::remote_link_unreachable));
    });
    send(this, reconnect_atom_v);
    return {
        [this](reconnect_atom) {
          retry_pending_ = false;
          try_connect();
        },
        [](log_started&) {},
        [this](packed_log_batch& p) {
          auto group = p.group;
          auto events = p.events;
          auto b = unpack(std::move(p));
          if (!b) {
            // Another layout version (or damage): counted as loss.
            if (h_.network_loss)
              h_.network_loss(caps_,
                              node_loss{0, "log:" + std::to_string(group), 1,
                                        events, 0, 0});
            if (h_.trouble)
              h_.trouble(opts_.where, to_caf_error(b.err()));
            return;
          }
          if (h_.batch)
            h_.batch(caps_, *b);
        },
        [this](log_loss& l) {
          if (h_.kernel_loss)
            h_.kernel_loss(caps_, l);
        },
        [this](node_loss& l) {
          if (h_.network_loss)
            h_.network_loss(caps_, l);
        },
        [this](stream_restarted& r) {
          if (h_.restarted)
            h_.restarted(caps_, r);
        },
        [this](nft::transaction& t) {
          if (h_.commit)
            h_.commit(caps_, t);
        },
        [this](resync_needed& r) {
          if (h_.ruleset_loss)
            h_.ruleset_loss(caps_, r);
          pull_snapshot();
        },
        [this](stats_atom) { return caps_; },
    };
  }

 private:
  void fail(const caf::error& err) {
    if (node_) {
      demonitor(node_.address());
      node_ = nullptr;
    }
    if (!troubled_ && h_.trouble)
      h_.trouble(opts_.where, err);
    troubled_ = true;
    if (!retry_pending_) {
      retry_pending_ = true;
      delayed_send(this, opts_.retry, reconnect_atom_v);
    }
  }

  void try_connect() {
    if (node_)
      return;
    auto& sys = system();
    caf::io::middleman_actor mm = opts_.tls
                                      ? sys.openssl_manager().actor_handle()
                                      : sys.middleman().actor_handle();
    request(mm, std::chrono::seconds(30), caf::connect_atom::value,
            opts_.where.host, opts_.where.port)
        .then(
            [this](caf::node_id&, caf::strong_actor_ptr& ptr,
                   std::set<std::string>& ifs) {
              auto want = system().message_types<node_actor>();
              if (!ptr || !std::includes(ifs.begin(), ifs.end(), want.begin(),
                                         want.end())) {
                fail(to_caf_error(
                    make_error(errc::invalid_argument, "connect",
                               "the actor at " + opts_.where.to_string() +
                                   " is not an nfactor node of this version")));
                return;
              }
              node_ = caf::actor_cast<node_actor>(std::move(ptr));
              monitor(node_);
              request(node_, std::chrono::seconds(30), caps_atom_v)
                  .then([this](node_caps& c) { subscribe_all(std::move(c)); },
                        [this](caf::error& e) { fail(e); });
            },
            [this](caf::error& e) { fail(e); });
  }

  void pull_snapshot() {
    if (!node_)
      return;
    request(node_, std::chrono::seconds(60), snapshot_atom_v, std::uint8_t{0},
            std::string{})
        .then(
            [this](nft::ruleset& r) {
              if (h_.snapshot)
                h_.snapshot(caps_, r);
            },
            [this](caf::error& e) {
              if (h_.trouble)
                h_.trouble(opts_.where, e);
            });
  }

  void subscribe_all(node_caps c) {
    std::optional<std::uint64_t> previous;
    if (ever_connected_)
      previous = caps_.incarnation;
    caps_ = std::move(c);
    auto remaining = std::make_shared<std::size_t>(opts_.groups.size() +
                                                   (opts_.ruleset ? 1 : 0));
    auto done = [this, previous, remaining] {
      if (--*remaining > 0)
        return;
      ever_connected_ = true;
      troubled_ = false;
      if (h_.connected)
        h_.connected(caps_, previous);
      if (opts_.ruleset)
        pull_snapshot();
    };
    if (*remaining == 0) {
      ++*remaining;
      done();
      return;
    }
    auto self_handle = caf::actor_cast<subscriber>(this);
    auto refused = [this, done](caf::error& e) {
      // Refused (a group the node does not offer, EPERM): a reconnect
      // would not help; report it, keep the rest.
      if (h_.trouble)
        h_.trouble(opts_.where, e);
      done();
    };
    if (opts_.ruleset)
      request(node_, std::chrono::seconds(30), subscribe_atom_v, ruleset_atom_v,
              self_handle, opts_.max_in_flight)
          .then([done](node_subscription&) { done(); }, refused);
    for (auto g : opts_.groups)
      request(node_, std::chrono::seconds(30), subscribe_atom_v, log_atom_v, g,
              self_handle, opts_.max_in_flight)
          .then([done](node_subscription&) { done(); }, refused);
  }

  session_options opts_;
  session_handler h_;
  node_actor node_;
  node_caps caps_;
  bool ever_connected_ = false;
  bool troubled_ = false;
  bool retry_pending_ = false;
};

} // namespace

session spawn_session(caf::actor_system& sys, session_options opts,
                      session_handler handler) {
  // Not detached: the node holds a proxy of the session, so CAF's middleman
  // monitors it, and a down message still queued for the middleman when
  // the system shuts down keeps the session alive; a detached actor's
  // thread then waits for it forever in ~actor_system (seen: 1 run in 6 of
  // a collector stopped while connected).
  return sys.spawn<session_actor>(std::move(opts), std::move(handler));
}

} // namespace nfactor::actors::node
