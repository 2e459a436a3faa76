// SPDX-License-Identifier: Apache-2.0
//
// nfactor-apply: reads a ruleset in nft's JSON schema (`nft -j list
// ruleset`) and commits it through the transactor in one atomic batch.
//
// Exit codes: 0 committed (or nothing to do / dry run), 1 the kernel
// refused the batch, 2 bad command line or bad input, 3 the generation
// guard failed (someone else changed the ruleset first).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <net/if.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "app_common.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/actors/transactor.hpp"
#include "nfactor/nft/json.hpp"
#include "nfactor/nft/reconcile.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/sys/socket.hpp"

namespace {

using namespace nfactor;

constexpr int exit_refused = app::exit_failure;
using app::exit_bad_input;
constexpr int exit_conflict = 3;

int complain(int code, const std::string& what) {
  std::cerr << "nfactor-apply: " << what << "\n";
  return code;
}

std::optional<std::string> slurp(const std::string& file) {
  std::ostringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return std::nullopt;
  ss << in.rdbuf();
  return ss.str();
}

sys::netns namespace_of(const std::string& name) {
  return name.empty() ? sys::netns::current() : sys::netns::named(name);
}

// --reconcile --dry-run: the operations the transactor's plan would
// commit against the current ruleset, each with the JSON object it comes
// from.
int dry_run_reconcile(const sys::netns& ns, const nft::ruleset& desired) {
  sys::socket_options so;
  so.ns = ns;
  auto sock = sys::socket::open(so);
  if (!sock)
    return complain(exit_refused, sock.err().message());
  auto current = nft::pull(*sock);
  if (!current)
    return complain(exit_refused, current.err().message());
  nft::batch b;
  std::vector<std::string> origins;
  nft::plan(*current, desired, b, &origins);
  auto enc = std::move(b).finish();
  if (!enc)
    return complain(exit_bad_input, enc.err().message());
  for (auto& op : enc->ops) {
    std::cout << op.describe();
    if (op.index < origins.size() && !origins[op.index].empty())
      std::cout << "  # " << origins[op.index];
    std::cout << "\n";
  }
  std::cout << "# " << enc->ops.size() << " operations, " << enc->body.size()
            << " bytes, guarded by generation " << current->gen_id << "\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Commits a ruleset in nft's JSON schema (nft -j list ruleset) "
               "in one atomic nf_tables batch.",
               "nfactor-apply"};
  std::string file;
  std::string netns;
  bool flush = false;
  bool dry_run = false;
  bool reconcile = false;
  bool guard = false;
  std::optional<std::uint32_t> at_gen;
  cli.add_option("file", file, "JSON ruleset file, - for standard input")
      ->required();
  cli.add_option("--netns", netns, "network namespace (ip netns name)");
  cli.add_flag("--flush", flush,
               "replace the whole ruleset (flush ruleset in the same batch)");
  cli.add_flag("--reconcile", reconcile,
               "apply only the difference to the current ruleset (the "
               "tables the file lists; always generation-guarded)");
  cli.add_flag("--genid-guard", guard,
               "refuse to commit if the ruleset changed since it was read");
  cli.add_option("--genid", at_gen,
                 "commit only if the ruleset is still at this generation "
                 "(e.g. the one a --reconcile --dry-run printed, or "
                 "nfactor-monitor's); exit 3 otherwise")
      ->type_name("GEN");
  cli.add_flag("--dry-run", dry_run,
               "print the operations instead of committing them");
  cli.footer("Exit codes: 0 done, 1 refused by the kernel, 2 bad input, "
             "3 generation guard failed.");
  if (auto rc = app::parse(cli, argc, argv))
    return *rc;
  if (flush && reconcile)
    return complain(exit_bad_input,
                    "--flush and --reconcile exclude each other");
  // A reconcile plans against the generation it pulls itself (and
  // re-plans when another writer got in first).
  if (at_gen && reconcile)
    return complain(exit_bad_input,
                    "--genid does not apply to --reconcile (always guarded "
                    "by the generation it reads)");

  auto text = slurp(file);
  if (!text)
    return complain(exit_bad_input, "cannot read " + file);
  auto ns = namespace_of(netns);
  if (auto fd = ns.open(); !netns.empty() && !fd)
    return complain(exit_bad_input, fd.err().message());
  // Interface names (iif, oif) are indexes of the target namespace.
  nft::json::read_options ro;
  ro.ifindex = [&](const std::string& name) {
    std::optional<std::uint32_t> idx;
    (void)sys::run_in(ns, [&] {
      if (auto i = ::if_nametoindex(name.c_str()))
        idx = i;
    });
    return idx;
  };
  auto ops = nft::json::read(*text, ro);
  if (!ops)
    return complain(exit_bad_input, file + ": " + ops.err().message());

  std::optional<nft::ruleset> desired;
  if (reconcile) {
    auto want = nft::json::to_ruleset(*ops);
    if (!want)
      return complain(exit_bad_input, file + ": " + want.err().message());
    // Refusals name the JSON object (to_ruleset tags each with its path).
    desired = std::move(*want);
    if (dry_run)
      return dry_run_reconcile(ns, *desired);
  }
  if (flush)
    ops->insert(ops->begin(),
                nft::json::operation{nft::verb::flush,
                                     nft::json::flush_ruleset{}, "--flush"});
  auto built = nft::json::build(*ops);
  if (!built)
    return complain(exit_bad_input, file + ": " + built.err().message());

  if (dry_run && !reconcile) {
    for (auto& op : *ops)
      std::cout << nft::json::describe(op) << "\n";
    std::cout << "# " << built->batch.ops.size() << " operations, "
              << built->batch.body.size() << " bytes\n";
    return 0;
  }
  if (!reconcile && built->batch.ops.empty()) {
    std::cout << "nothing to do\n";
    return 0;
  }

  app::config cfg;
  caf::actor_system sys{cfg};
  actors::transactor_options to;
  to.ns = namespace_of(netns);
  auto tx = actors::spawn_transactor(sys, to);
  std::optional<std::uint32_t> genid = at_gen;
  caf::scoped_actor self{sys};
  int rc = 0;
  auto failed = [&](const caf::error& err) {
    auto e = actors::from_caf_error(err);
    std::string where;
    for (std::size_t i = 0; i < built->batch.ops.size(); ++i)
      if (built->batch.ops[i].describe() == e.op)
        where = built->paths[i] + ": ";
    rc = e.code == make_error_code(errc::conflict) ? exit_conflict
                                                   : exit_refused;
    complain(rc, where + actors::describe(err));
  };
  if (reconcile) {
    // The transactor's reconcile: pull, plan the difference, commit it
    // guarded by the pulled generation, re-plan on a conflict.
    self->request(tx, caf::infinite, actors::reconcile_atom::value, *desired)
        .receive(
            [&](const nft::reconcile_result& r) {
              if (r.operations == 0)
                std::cout << "nothing to do\n";
              else
                std::cout << "committed " << r.operations
                          << " operations in one batch: generation " << r.genid
                          << " (" << r.attempts
                          << (r.attempts == 1 ? " attempt" : " attempts")
                          << ")\n";
            },
            [&](const caf::error& err) {
              auto e = actors::from_caf_error(err);
              rc = e.code == make_error_code(errc::conflict) ? exit_conflict
                                                             : exit_refused;
              complain(rc, actors::describe(err));
            });
    self->send_exit(tx, caf::exit_reason::user_shutdown);
    return rc;
  }
  if (guard && !genid) {
    self->request(tx, caf::infinite, actors::get_gen_atom::value)
        .receive([&](const nft::gen_info& g) { genid = g.id; }, failed);
    if (rc != 0)
      return rc;
  }
  auto done = [&](const nft::commit_result& r) {
    std::cout << "committed " << r.acked << " operations (" << r.bytes
              << " bytes) in one batch: generation " << r.genid
              << (r.changed ? "" : " (unchanged)") << "\n";
  };
  if (genid)
    self->request(tx, caf::infinite, actors::commit_atom::value, built->batch,
                  *genid)
        .receive(done, failed);
  else
    self->request(tx, caf::infinite, actors::commit_atom::value, built->batch)
        .receive(done, failed);
  self->send_exit(tx, caf::exit_reason::user_shutdown);
  return rc;
}
