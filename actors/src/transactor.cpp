// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/transactor.hpp"

#include <deque>
#include <optional>

#include <unistd.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/shutdown_barrier.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::actors {

namespace {

class transactor_actor : public transactor::base {
 public:
  transactor_actor(caf::actor_config& cfg, transactor_options opts)
    : transactor::base(cfg), opts_(std::move(opts)) {
    attach_shutdown_barrier(*this); // detached: see shutdown_barrier.hpp
    // Keep the exception's cause in the exit reason (CAF's default drops it).
    set_exception_handler(sup::keep_cause);
  }

  const char* name() const override { return "nfactor.transactor"; }

  behavior_type make_behavior() override {
    sys::socket_options so;
    so.ns = opts_.ns;
    auto s = sys::socket::open(so);
    if (!s) {
      sup::fail_with(this, s.err());
      return behavior_type::make_empty_behavior();
    }
    sock_.emplace(std::move(*s));
    stats_ = sup::stats_keeper{opts_.restarts};
    return {
        [this](commit_atom,
               nft::encoded_batch& b) -> caf::result<nft::commit_result> {
          return commit(b, std::nullopt);
        },
        [this](commit_atom, nft::encoded_batch& b, std::uint32_t genid)
            -> caf::result<nft::commit_result> { return commit(b, genid); },
        [this](reconcile_atom, const nft::ruleset& desired)
            -> caf::result<nft::reconcile_result> {
          if (!sock_)
            return to_caf_error(make_error(errc::closed, "reconcile"));
          nft::reconcile_options o;
          o.max_attempts = opts_.reconcile_attempts;
          o.commit.timeout = opts_.timeout;
          o.commit.ack_each = opts_.ack_each;
          auto r = nft::reconcile(*sock_, desired, o);
          if (!r)
            return failed(r.err());
          if (r->commit)
            count(*r->commit, r->operations);
          return std::move(*r);
        },
        [this](get_gen_atom) -> caf::result<nft::gen_info> {
          if (!sock_)
            return to_caf_error(make_error(errc::closed, "NFT_MSG_GETGEN"));
          auto g = nft::get_gen(*sock_);
          if (!g)
            return answer(g.err());
          return std::move(*g);
        },
        [this](ident_atom) -> tx_identity {
          tx_identity id;
          id.portid = sock_ ? sock_->portid() : 0;
          id.pid = static_cast<std::uint32_t>(::getpid());
          id.netns = opts_.ns.describe();
          id.recent.assign(recent_.begin(), recent_.end());
          return id;
        },
        [this](stats_atom) {
          auto out = counters_;
          out.common = stats_.snapshot();
          if (sock_ && sock_->is_open())
            out.common.rcvbuf = sock_->rcvbuf();
          if (sock_)
            out.common.foreign = sock_->foreign_dropped();
          return out;
        },
    };
  }

  void on_exit() override { sock_.reset(); }

 private:
  caf::result<nft::commit_result> commit(nft::encoded_batch& b,
                                         std::optional<std::uint32_t> genid) {
    if (!sock_)
      return to_caf_error(make_error(errc::closed, "commit nf_tables batch"));
    nft::commit_options o;
    o.genid = genid;
    o.timeout = opts_.timeout;
    o.ack_each = opts_.ack_each;
    auto r = nft::commit(*sock_, b, o);
    if (!r)
      return failed(r.err());
    count(*r, b.ops.size());
    return std::move(*r);
  }

  // The reply for error `e`. A broken socket also ends this incarnation
  // with `e` as its exit reason: a supervisor starts a new one, with a new
  // socket. Anything else (the kernel refusing a batch) leaves it running.
  caf::error answer(const error& e) {
    if (sys::is_socket_failure(e))
      sup::fail_with(this, e);
    return to_caf_error(e);
  }

  // Counts a failed commit or reconcile and answers it.
  caf::error failed(const error& e) {
    if (e.code == make_error_code(errc::conflict))
      ++counters_.conflicts;
    else
      ++counters_.failures;
    if (e.is_overrun())
      ++stats_->enobufs;
    return answer(e);
  }

  // Counts a successful commit of `operations` and remembers it.
  void count(const nft::commit_result& r, std::uint64_t operations) {
    ++counters_.commits;
    counters_.operations += operations;
    counters_.bytes += r.bytes;
    if (!r.changed)
      return;
    recent_.push_back(r);
    while (recent_.size() > opts_.keep_recent)
      recent_.pop_front();
  }

  transactor_options opts_;
  std::optional<sys::socket> sock_;
  sup::stats_keeper stats_;
  tx_stats counters_;
  std::deque<nft::commit_result> recent_;
};

} // namespace

transactor spawn_transactor(caf::actor_system& sys, transactor_options opts) {
  return sys.spawn<transactor_actor, caf::detached>(std::move(opts));
}

sup::child_spec transactor_child(std::string name, transactor_options opts,
                                 sup::restart_type restart) {
  return sup::child(
      std::move(name),
      [opts = std::move(opts)](const sup::start_context& ctx) {
        auto o = opts;
        o.restarts = ctx.restarts;
        return spawn_transactor(ctx.sys, std::move(o));
      },
      restart);
}

} // namespace nfactor::actors
