// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/monitor.hpp"

#include <exception>
#include <optional>
#include <vector>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::actors {

namespace {

// The monitor's full interface: the public one plus its own tick.
using monitor_impl_actor =
    monitor_actor::extend<caf::reacts_to<monitor_tick_atom>>;

static_assert(std::is_convertible_v<monitor_impl_actor, monitor_actor>,
              "owners get a narrow handle without the tick");

class monitor_impl : public monitor_impl_actor::base {
 public:
  using super = monitor_impl_actor::base;

  monitor_impl(caf::actor_config& cfg, caf::actor owner, monitor_options opts)
    : super(cfg), owner_(std::move(owner)), opts_(std::move(opts)),
      buf_(sys::default_recv_buffer * 4) {
    efd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (opts_.since_gen)
      stats_.min_gen = *opts_.since_gen;
  }

  ~monitor_impl() override {
    if (efd_ >= 0)
      ::close(efd_);
  }

  // Wakes the poll for every message this actor did not send itself.
  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
    bool own = ptr && ptr->sender && ptr->sender.get() == ctrl();
    super::enqueue(std::move(ptr), eu);
    if (!own && efd_ >= 0) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(efd_, &one, sizeof one);
    }
  }

  behavior_type make_behavior() override {
    set_exception_handler([](caf::scheduled_actor*,
                             std::exception_ptr& ep) -> caf::error {
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::runtime_error, e.what());
      } catch (...) {
        return caf::make_error(caf::sec::runtime_error, "unknown exception");
      }
    });
    set_down_handler([this](caf::down_msg& dm) {
      if (dm.source == owner_.address())
        quit(dm.reason);
    });
    if (owner_)
      monitor(owner_);
    if (auto st = open(); !st) {
      quit(to_caf_error(st.err()));
    } else {
      send(this, monitor_tick_atom::value);
    }
    return {
        [this](set_min_gen_atom, std::uint32_t gen) {
          stats_.min_gen = std::max(stats_.min_gen, gen);
          return stats_.min_gen;
        },
        [this](pull_atom, std::uint8_t family,
               std::string table) -> caf::result<nft::ruleset> {
          nft::pull_options o;
          o.family = family;
          if (!table.empty())
            o.table = std::move(table);
          auto rs = snapshot(o);
          if (!rs)
            return to_caf_error(rs.err());
          return std::move(*rs);
        },
        [this](stats_atom) { return stats_; },
        [this](stop_atom) { quit(); },
        [this](monitor_tick_atom) {
          poll_once();
          send(this, monitor_tick_atom::value);
        },
    };
  }

  void on_exit() override {
    sock_.reset();
    req_.reset();
    owner_ = nullptr;
    super::on_exit();
  }

 private:
  result<void> open() {
    sys::socket_options o;
    o.ns = opts_.ns;
    o.rcvbuf = opts_.rcvbuf;
    o.groups = {NFNLGRP_NFTABLES};
    auto s = sys::socket::open(o);
    if (!s)
      return std::move(s).err();
    sock_ = std::move(*s);
    stats_.rcvbuf = sock_->rcvbuf();
    return {};
  }

  // A consistent snapshot on a separate request socket; raises min_gen so
  // that queued commits it already contains are dropped.
  result<nft::ruleset> snapshot(const nft::pull_options& o) {
    if (!req_) {
      sys::socket_options so;
      so.ns = opts_.ns;
      so.rcvbuf = 4 << 20;
      auto s = sys::socket::open(so);
      if (!s)
        return std::move(s).err();
      req_ = std::move(*s);
    }
    auto rs = nft::pull(*req_, o);
    if (rs)
      stats_.min_gen = std::max(stats_.min_gen, rs->gen_id);
    return rs;
  }

  // Waits for the socket or the mailbox, then reads what is there.
  void poll_once() {
    if (!sock_)
      return;
    pollfd fds[2] = {{sock_->fd(), POLLIN, 0}, {efd_, POLLIN, 0}};
    if (::poll(fds, 2, 1000) <= 0)
      return;
    if (fds[1].revents & POLLIN) {
      std::uint64_t n = 0;
      [[maybe_unused]] auto r = ::read(efd_, &n, sizeof n);
    }
    if (!(fds[0].revents & (POLLIN | POLLERR)))
      return;
    for (int i = 0; i < opts_.max_reads; ++i) {
      auto r = sock_->recv(buf_);
      if (!r) {
        // Any other socket error ends the monitor with that error.
        quit(to_caf_error(r.err()));
        return;
      }
      if (r->status == sys::recv_status::would_block)
        return;
      if (r->status == sys::recv_status::overrun) {
        on_overrun();
        continue;
      }
      ++stats_.datagrams;
      handle(byte_view{buf_}.first(r->size));
    }
  }

  void handle(byte_view datagram) {
    nl::message_reader rd{datagram};
    while (rd.next()) {
      ++stats_.messages;
      auto t = framer_.feed(rd.get());
      if (!t) {
        ++stats_.decode_errors;
        continue;
      }
      if (*t)
        deliver(std::move(**t));
    }
    if (!rd.status())
      ++stats_.decode_errors;
  }

  void deliver(nft::transaction t) {
    stats_.last_gen = t.gen_id;
    if (t.gen_id <= stats_.min_gen) {
      ++stats_.skipped;
      return;
    }
    ++stats_.transactions;
    stats_.changes += t.changes.size();
    if (!owner_)
      return;
    if (opts_.flat)
      anon_send(owner_, flat_batch{nft::flatten(t)});
    if (opts_.transactions)
      anon_send(owner_, std::move(t));
  }

  void on_overrun() {
    ++stats_.overruns;
    resync_needed r{stats_.overruns, stats_.last_gen, framer_.pending()};
    framer_.reset();
    if (owner_)
      anon_send(owner_, r);
    if (!opts_.auto_resync)
      return;
    auto rs = snapshot({});
    if (!rs) {
      quit(to_caf_error(rs.err()));
      return;
    }
    ++stats_.resyncs;
    if (owner_)
      anon_send(owner_, std::move(*rs));
  }

  caf::actor owner_;
  monitor_options opts_;
  std::optional<sys::socket> sock_;
  std::optional<sys::socket> req_;
  int efd_ = -1;
  std::vector<std::uint8_t> buf_;
  nft::commit_framer framer_;
  monitor_stats stats_;
};

} // namespace

monitor_actor spawn_monitor(caf::actor_system& sys, caf::actor owner,
                            monitor_options opts) {
  auto full =
      sys.spawn<monitor_impl, caf::detached>(std::move(owner), std::move(opts));
  return caf::actor_cast<monitor_actor>(full);
}

} // namespace nfactor::actors
