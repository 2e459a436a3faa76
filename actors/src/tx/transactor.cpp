// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/transactor.hpp"

#include <deque>
#include <optional>

#include <unistd.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::actors {

namespace {

class transactor_actor : public transactor::base {
 public:
  transactor_actor(caf::actor_config& cfg, transactor_options opts)
    : transactor::base(cfg), opts_(std::move(opts)) {
    // Keep the exception's text in the exit reason (CAF's default drops it).
    set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& p) {
      try {
        std::rethrow_exception(p);
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::runtime_error, e.what());
      } catch (...) {
        return caf::make_error(caf::sec::runtime_error, "unknown exception");
      }
    });
  }

  const char* name() const override { return "nfactor.transactor"; }

  behavior_type make_behavior() override {
    sys::socket_options so;
    so.ns = opts_.ns;
    auto s = sys::socket::open(so);
    if (!s)
      quit(to_caf_error(s.err()));
    else
      sock_.emplace(std::move(*s));
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
          auto r = nft::reconcile(*sock_, desired, o);
          if (!r)
            return failed(r.err());
          if (r->commit) {
            ++stats_.commits;
            stats_.operations += r->operations;
            stats_.bytes += r->commit->bytes;
            remember(*r->commit);
          }
          return std::move(*r);
        },
        [this](get_gen_atom) -> caf::result<nft::gen_info> {
          if (!sock_)
            return to_caf_error(make_error(errc::closed, "NFT_MSG_GETGEN"));
          auto g = nft::get_gen(*sock_);
          if (!g)
            return to_caf_error(g.err());
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
        [this](stats_atom) { return stats_; },
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
    auto r = nft::commit(*sock_, b, o);
    if (!r)
      return failed(r.err());
    ++stats_.commits;
    stats_.operations += b.ops.size();
    stats_.bytes += r->bytes;
    remember(*r);
    return std::move(*r);
  }

  // Counts a failed commit or reconcile and converts its error.
  caf::error failed(const error& e) {
    if (e.code == make_error_code(errc::conflict))
      ++stats_.conflicts;
    else
      ++stats_.failures;
    return to_caf_error(e);
  }

  void remember(const nft::commit_result& r) {
    if (!r.changed)
      return;
    recent_.push_back(r);
    while (recent_.size() > opts_.keep_recent)
      recent_.pop_front();
  }

  transactor_options opts_;
  std::optional<sys::socket> sock_;
  tx_stats stats_;
  std::deque<nft::commit_result> recent_;
};

} // namespace

transactor spawn_transactor(caf::actor_system& sys, transactor_options opts) {
  return sys.spawn<transactor_actor, caf::detached>(std::move(opts));
}

} // namespace nfactor::actors
