// SPDX-License-Identifier: Apache-2.0
#include <optional>

#include <caf/all.hpp>

#include "nfactor/actors/conntrack.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/shutdown_barrier.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/ct/ops.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::actors {

namespace {

class conntrack_table_actor : public conntrack_table::base {
 public:
  conntrack_table_actor(caf::actor_config& cfg, conntrack_table_options opts)
    : conntrack_table::base(cfg), opts_(std::move(opts)) {
    attach_shutdown_barrier(*this); // detached: see shutdown_barrier.hpp
    // Keep the exception's cause in the exit reason (CAF's default drops it).
    set_exception_handler(sup::keep_cause);
    exchange_.timeout = opts_.timeout;
  }

  const char* name() const override { return "nfactor.conntrack_table"; }

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
    (*stats_).rcvbuf = sock_->rcvbuf();
    return {
        [this](ct_dump_atom,
               const ct::filter& f) -> caf::result<std::vector<ct::event>> {
          std::vector<ct::event> out;
          auto st = ct::dump(
              *sock_, f, [&](ct::event&& ev) { out.push_back(std::move(ev)); },
              exchange_);
          return answer(st, std::move(out));
        },
        [this](ct_get_atom, const ct::tuple& orig) -> caf::result<ct::entry> {
          auto got = ct::get(*sock_, orig, std::nullopt, exchange_);
          if (!got)
            return refuse(got.err());
          ++stats_->received;
          return std::move(*got);
        },
        [this](ct_create_atom,
               const ct::entry& e) -> caf::result<caf::ok_atom> {
          return answer(ct::create(*sock_, e, exchange_), caf::ok_atom_v);
        },
        [this](ct_update_atom,
               const ct::entry& e) -> caf::result<caf::ok_atom> {
          return answer(ct::update(*sock_, e, exchange_), caf::ok_atom_v);
        },
        [this](ct_delete_atom, const ct::tuple& orig,
               std::uint32_t id) -> caf::result<caf::ok_atom> {
          auto which = id != 0 ? std::optional{id} : std::nullopt;
          return answer(
              ct::remove(*sock_, orig, which, std::nullopt, exchange_),
              caf::ok_atom_v);
        },
        [this](ct_flush_atom,
               const ct::filter& f) -> caf::result<caf::ok_atom> {
          return answer(ct::flush(*sock_, f, exchange_), caf::ok_atom_v);
        },
        [this](ct_count_atom) -> caf::result<ct::global_stats> {
          auto got = ct::stats(*sock_, exchange_);
          if (!got)
            return refuse(got.err());
          return *got;
        },
        [this](ct_cpu_atom) -> caf::result<std::vector<ct::cpu_stats>> {
          auto got = ct::stats_per_cpu(*sock_, exchange_);
          if (!got)
            return refuse(got.err());
          return std::move(*got);
        },
        [this](ct_exp_dump_atom,
               std::uint8_t family) -> caf::result<std::vector<ct::exp_event>> {
          std::vector<ct::exp_event> out;
          auto st = ct::dump_expectations(
              *sock_, family,
              [&](ct::exp_event&& ev) { out.push_back(std::move(ev)); },
              exchange_);
          return answer(st, std::move(out));
        },
        [this](ct_exp_delete_atom, const ct::tuple& expected,
               std::uint32_t id) -> caf::result<caf::ok_atom> {
          auto which = id != 0 ? std::optional{id} : std::nullopt;
          return answer(ct::remove_expectation(*sock_, expected, which,
                                               std::nullopt, exchange_),
                        caf::ok_atom_v);
        },
        [this](ct_exp_flush_atom) -> caf::result<caf::ok_atom> {
          return answer(ct::flush_expectations(*sock_, std::nullopt, exchange_),
                        caf::ok_atom_v);
        },
        [this](stats_atom) -> sup::stats {
          (*stats_).foreign = sock_->foreign_dropped();
          return stats_.snapshot();
        },
    };
  }

  void on_exit() override {
    sock_.reset();
    conntrack_table::base::on_exit();
  }

 private:
  // The reply for `st`: `value` on success, else the error (see `refuse`).
  template <class T>
  caf::result<T> answer(const result<void>& st, T value) {
    if (!st)
      return refuse(st.err());
    if constexpr (!std::is_same_v<T, caf::ok_atom>)
      stats_->received += value.size();
    return value;
  }

  // The kernel's refusal is the request's error; a broken socket also ends
  // the actor, for its supervisor to restart it with a new one.
  caf::error refuse(const error& e) {
    if (e.is_overrun())
      ++stats_->enobufs;
    auto err = to_caf_error(e);
    if (sys::is_socket_failure(e))
      sup::fail_with(this, e);
    return err;
  }

  conntrack_table_options opts_;
  sys::exchange_options exchange_;
  std::optional<sys::socket> sock_;
  sup::stats_keeper stats_;
};

} // namespace

conntrack_table spawn_conntrack_table(caf::actor_system& sys,
                                      conntrack_table_options opts) {
  return sys.spawn<conntrack_table_actor, caf::detached>(std::move(opts));
}

sup::child_spec conntrack_table_child(std::string name,
                                      conntrack_table_options opts,
                                      sup::restart_type restart) {
  return sup::child(
      std::move(name),
      [opts = std::move(opts)](const sup::start_context& ctx) {
        auto o = opts;
        o.restarts = ctx.restarts;
        return spawn_conntrack_table(ctx.sys, std::move(o));
      },
      restart);
}

} // namespace nfactor::actors
