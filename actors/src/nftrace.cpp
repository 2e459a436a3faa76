// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/nftrace.hpp"

#include <optional>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/sup/owner.hpp"
#include "nfactor/nft/batch.hpp"

namespace nfactor::actors {

namespace {

// The full interface: the public one plus the time limit's self-message.
using nftrace_impl_actor = nftrace_actor::extend<caf::reacts_to<untrace_atom>>;

static_assert(std::is_convertible_v<nftrace_impl_actor, nftrace_actor>,
              "owners get a narrow handle without the timer");

result<nft::encoded_batch> batch_of(const nft::nftrace_scope& s, bool add) {
  nft::batch b;
  if (add)
    nft::add_nftrace(b, s);
  else
    nft::remove_nftrace(b, s);
  return std::move(b).finish();
}

class nftrace_impl : public nftrace_impl_actor::base {
 public:
  using super = nftrace_impl_actor::base;

  nftrace_impl(caf::actor_config& cfg, transactor tx, caf::actor owner,
               nftrace_options opts)
    : super(cfg), tx_(std::move(tx)), owner_(std::move(owner)),
      opts_(std::move(opts)) {}

  const char* name() const override { return "nfactor.nftrace"; }

  behavior_type make_behavior() override {
    sup::stop_with_owner(this, owner_);
    // The transactor gone: nothing can remove the rule any more (an owned
    // table went with its socket); fail with its reason.
    monitor(tx_);
    set_down_handler([this](caf::down_msg& dm) {
      if (dm.source == owner_.address())
        remove();
      else if (dm.source == tx_.address())
        quit(dm.reason ? dm.reason
                       : caf::make_error(caf::sec::runtime_error,
                                         "transactor stopped"));
    });
    install();
    return {
        [this](armed_atom) -> caf::result<nft::commit_result> {
          if (installed_)
            return *installed_;
          auto rp = make_response_promise<nft::commit_result>();
          waiting_.push_back(rp);
          return rp;
        },
        [this](traced_atom, std::uint64_t n) {
          packets_ += n;
          if (opts_.max_packets > 0 && packets_ >= opts_.max_packets)
            remove();
        },
        [this](stop_atom) { remove(); },
        [this](untrace_atom) { remove(); },
    };
  }

  void on_exit() override {
    for (auto& rp : waiting_)
      rp.deliver(caf::make_error(caf::sec::request_receiver_down));
    waiting_.clear();
    tx_ = nullptr;
    owner_ = nullptr;
    super::on_exit();
  }

 private:
  void install() {
    auto b = batch_of(opts_.scope, true);
    if (!b) {
      quit(to_caf_error(b.err()));
      return;
    }
    request(tx_, caf::infinite, commit_atom_v, std::move(*b))
        .then(
            [this](nft::commit_result& r) {
              installed_ = r;
              for (auto& rp : waiting_)
                rp.deliver(r);
              waiting_.clear();
              if (removing_) // stop or limit arrived meanwhile
                send_removal();
              else if (opts_.duration.count() > 0)
                delayed_send(this, opts_.duration, untrace_atom_v);
            },
            [this](caf::error& e) { quit(std::move(e)); });
  }

  // Removes the rule once it is installed, then stops.
  void remove() {
    if (removing_)
      return;
    removing_ = true;
    if (installed_)
      send_removal();
  }

  void send_removal() {
    auto b = batch_of(opts_.scope, false);
    if (!b) {
      quit(to_caf_error(b.err()));
      return;
    }
    request(tx_, caf::infinite, commit_atom_v, std::move(*b))
        .then([this](nft::commit_result&) { quit(); },
              [this](caf::error& e) { quit(std::move(e)); });
  }

  transactor tx_;
  caf::actor owner_;
  nftrace_options opts_;
  std::optional<nft::commit_result> installed_;
  std::vector<caf::typed_response_promise<nft::commit_result>> waiting_;
  std::uint64_t packets_ = 0;
  bool removing_ = false;
};

} // namespace

nftrace_actor start_nftrace(caf::actor_system& sys, transactor tx,
                            caf::actor owner, nftrace_options opts) {
  auto full =
      sys.spawn<nftrace_impl>(std::move(tx), std::move(owner), std::move(opts));
  return caf::actor_cast<nftrace_actor>(full);
}

} // namespace nfactor::actors
