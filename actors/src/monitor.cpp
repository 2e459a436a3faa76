// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/monitor.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/socket_actor.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::actors {

namespace {

// The monitor's full interface: the public one plus its own tick.
using monitor_impl_actor =
    monitor_actor::extend<caf::reacts_to<monitor_tick_atom>>;

static_assert(std::is_convertible_v<monitor_impl_actor, monitor_actor>,
              "owners get a narrow handle without the tick");

class monitor_impl
  : public socket_actor<monitor_impl_actor, monitor_tick_atom> {
 public:
  monitor_impl(caf::actor_config& cfg, caf::actor owner, monitor_options opts)
    : socket_actor(cfg), owner_(std::move(owner)), opts_(std::move(opts)),
      buf_(sys::default_recv_buffer * 4) {
    set_credit_limit(opts_.max_in_flight);
    if (opts_.since_gen)
      min_gen_ = *opts_.since_gen;
  }

  const char* name() const override { return "nfactor.monitor"; }

  behavior_type make_behavior() override {
    // Owner down: stop normally (whatever the owner's reason), so a
    // supervisor does not restart the monitor.
    start(owner_, opts_.restarts);
    return {
        [this](set_min_gen_atom, std::uint32_t gen) {
          raise_min_gen(gen);
          return min_gen_;
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
        [this](stats_atom) { return stats(); },
        stop_handler(),
        tick_handler(),
    };
  }

  void on_exit() override {
    socket_actor::on_exit();
    outbox_.clear();
    owner_ = nullptr;
  }

 private:
  // One message for the owner, queued until it may be sent.
  // Transactions and parts need credit; the others do not.
  using payload =
      std::variant<nft::transaction, flat_batch, resync_needed, nft::ruleset>;
  struct outgoing {
    payload msg;
    // The commit's generation (0 for a part and for notices).
    std::uint32_t gen = 0;
    std::size_t changes = 0;
    [[nodiscard]] bool credited() const noexcept { return msg.index() == 0; }
  };

  // -- the socket-actor hooks ----------------------------------------------

  result<void> open_sockets() override {
    sys::socket_options o;
    o.ns = opts_.ns;
    o.rcvbuf = opts_.rcvbuf;
    o.groups = {NFNLGRP_NFTABLES};
    auto s = sys::socket::open(o);
    if (!s)
      return std::move(s).err();
    sock_ = std::move(*s);
    fd_ = sock_->fd();
    counters().rcvbuf = sock_->rcvbuf();
    // Subscribed first, then the generation: every commit whose events
    // we read completely is newer than this one.
    auto r = request_socket();
    if (!r)
      return r;
    auto g = nft::get_gen(*req_);
    if (!g)
      return std::move(g).err();
    last_gen_ = g->id;
    return {};
  }

  void close_sockets() override {
    sock_.reset();
    req_.reset();
  }

  std::span<const int> socket_fds() const override { return {&fd_, 1}; }

  // Reads what is there while credit is left and nothing waits to be sent.
  void on_readable(std::uint32_t) override {
    for (int i = 0; i < opts_.max_reads && running() && may_read(); ++i) {
      auto r = sock_->recv(buf_);
      if (!r) {
        // Any other socket error ends the monitor with that error.
        fail(r.err());
        return;
      }
      if (r->status == sys::recv_status::would_block)
        break;
      if (r->status == sys::recv_status::overrun) {
        on_overrun();
        continue;
      }
      ++area_.datagrams;
      handle(byte_view{buf_}.first(r->size));
    }
    if (!may_read() && in_flight() >= credit_limit())
      ++area_.stalls;
  }

  // Credit left and nothing waiting.
  bool may_read() const override {
    return outbox_.empty() && socket_actor::may_read();
  }

  // An answer gives credit back: send what waits for it.
  void on_ack() override { flush(); }

  // -- the protocol ----------------------------------------------------------

  result<void> request_socket() {
    if (req_)
      return {};
    sys::socket_options so;
    so.ns = opts_.ns;
    so.rcvbuf = 4 << 20;
    auto s = sys::socket::open(so);
    if (!s)
      return std::move(s).err();
    req_ = std::move(*s);
    return {};
  }

  monitor_stats stats() const {
    auto s = area_;
    s.common = counters_snapshot();
    s.common.foreign = (sock_ ? sock_->foreign_dropped() : 0) +
                       (req_ ? req_->foreign_dropped() : 0);
    s.in_flight = static_cast<std::uint32_t>(in_flight());
    s.last_gen = last_gen_;
    s.min_gen = min_gen_;
    return s;
  }

  void raise_min_gen(std::uint32_t gen) {
    min_gen_ = std::max(min_gen_, gen);
    // Commits waiting for credit that are now excluded are not sent.
    std::erase_if(outbox_, [&](const outgoing& o) {
      bool drop = o.credited() && o.gen != 0 && o.gen <= min_gen_;
      area_.skipped += drop;
      return drop;
    });
  }

  // A consistent snapshot on a separate request socket. Everything read
  // before it and not yet sent is superseded by it (the commits it read
  // are at or below its generation), and so is the commit being read.
  result<nft::ruleset> snapshot(const nft::pull_options& o) {
    if (auto st = request_socket(); !st)
      return std::move(st).err();
    auto rs = nft::pull(*req_, o);
    if (!rs)
      return rs;
    min_gen_ = std::max(min_gen_, rs->gen_id);
    area_.skipped += outbox_.size();
    outbox_.clear();
    if (framer_.pending() > 0 || part_sent_) {
      framer_.reset();
      discard_until_newgen_ = true;
    }
    part_sent_ = false;
    return rs;
  }

  void handle(byte_view datagram) {
    nl::message_reader rd{datagram};
    while (rd.next()) {
      const auto& msg = rd.get();
      ++counters().received;
      // The rest of a commit a snapshot contains (parts of it were sent
      // before the snapshot): skip to its NEWGEN.
      if (discard_until_newgen_ && !is_newgen(msg))
        continue;
      auto t = framer_.feed(msg);
      if (!t) {
        ++area_.decode_errors;
        continue;
      }
      if (*t) {
        discard_until_newgen_ = false;
        gen_unsure_ = false;
        deliver(std::move(**t));
      }
    }
    if (!rd.status())
      ++area_.decode_errors;
    // Parts only for a commit known to be newer than min_gen: the commit
    // being read follows the last NEWGEN seen (generations are
    // consecutive), so it is newer once last_gen >= min_gen.
    if (opts_.max_part > 0 && opts_.transactions && !opts_.flat &&
        !discard_until_newgen_ && !gen_unsure_ && last_gen_ >= min_gen_ &&
        framer_.pending() >= opts_.max_part) {
      auto part = framer_.take_part();
      part_sent_ = true;
      ++area_.parts;
      post(std::move(part));
    }
    flush();
  }

  static bool is_newgen(const nl::message& msg) {
    auto t = nfnl::split_type(msg.type);
    return t.subsys == NFNL_SUBSYS_NFTABLES && t.msg == NFT_MSG_NEWGEN;
  }

  void deliver(nft::transaction t) {
    last_gen_ = t.gen_id;
    bool had_parts = part_sent_;
    part_sent_ = false;
    if (nft::excluded_by_min_gen(t.gen_id, min_gen_) && !had_parts) {
      ++area_.skipped;
      return;
    }
    ++area_.transactions;
    if (opts_.flat)
      outbox_.push_back(outgoing{flat_batch{nft::flatten(t)}});
    if (opts_.transactions)
      post(std::move(t));
  }

  // Queues a transaction or part (credited).
  void post(nft::transaction t) {
    auto n = t.changes.size();
    area_.changes += n;
    auto gen = t.partial ? 0 : t.gen_id;
    outbox_.push_back(outgoing{std::move(t), gen, n});
  }

  // Sends what credit allows, in order.
  void flush() {
    while (!outbox_.empty() && owner_) {
      auto& o = outbox_.front();
      if (auto* t = std::get_if<nft::transaction>(&o.msg)) {
        if (in_flight() >= credit_limit())
          return;
        socket_actor::deliver(owner_, std::move(*t), 1, o.changes);
      } else {
        std::visit([this](auto& x) { anon_send(owner_, std::move(x)); }, o.msg);
      }
      outbox_.pop_front();
    }
  }

  void on_overrun() {
    auto& c = counters();
    ++c.enobufs;
    auto dropped = framer_.pending();
    c.lost += 1 + dropped;
    resync_needed r{c.enobufs, last_gen_, dropped};
    // The commit being read lost its start or its end, and its NEWGEN may
    // be lost too: frame whole commits again (min_gen decides at NEWGEN)
    // and send no part until a NEWGEN shows where commits start.
    framer_.reset();
    discard_until_newgen_ = false;
    gen_unsure_ = true;
    part_sent_ = false;
    if (opts_.auto_resync) {
      // The snapshot supersedes what waits in the outbox.
      auto rs = snapshot({});
      if (!rs) {
        fail(rs.err());
        return;
      }
      ++area_.resyncs;
      outbox_.push_back(outgoing{r});
      outbox_.push_back(outgoing{std::move(*rs)});
    } else {
      outbox_.push_back(outgoing{r});
    }
    flush();
  }

  caf::actor owner_;
  monitor_options opts_;
  std::optional<sys::socket> sock_;
  std::optional<sys::socket> req_;
  int fd_ = -1;
  std::vector<std::uint8_t> buf_;
  nft::commit_framer framer_;
  monitor_stats area_;
  std::deque<outgoing> outbox_;
  std::uint32_t last_gen_ = 0;
  std::uint32_t min_gen_ = 0;
  bool part_sent_ = false;
  bool discard_until_newgen_ = false;
  // After a loss, until the next NEWGEN.
  bool gen_unsure_ = false;
};

} // namespace

result<void> monitor_options::validate() const {
  auto bad = [](std::string detail) {
    return make_error(errc::invalid_argument, "validate monitor options",
                      std::move(detail));
  };
  if (max_in_flight == 0)
    return bad("max_in_flight must be at least 1 (0 would never send)");
  if (max_reads < 1)
    return bad("max_reads must be at least 1, not " +
               std::to_string(max_reads));
  if (rcvbuf < 0)
    return bad("rcvbuf must not be negative, not " + std::to_string(rcvbuf));
  return {};
}

caf::expected<monitor_actor>
spawn_monitor(caf::actor_system& sys, caf::actor owner, monitor_options opts) {
  if (auto st = opts.validate(); !st)
    return to_caf_error(st.err());
  auto full =
      sys.spawn<monitor_impl, caf::detached>(std::move(owner), std::move(opts));
  return caf::actor_cast<monitor_actor>(full);
}

} // namespace nfactor::actors
