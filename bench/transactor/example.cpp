// SPDX-License-Identifier: Apache-2.0
// The README's transactor example: build a ruleset with the rule front,
// commit it guarded by the generation, show what a failing batch and a
// stale generation report, and reconcile. Run it in a scratch namespace:
//   unshare -n build/bench/transactor/nfactor_tx_example
#include <cstdio>

#include <arpa/inet.h>
#include <linux/netfilter.h>

#include "nfactor/nft/batch_ops.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nft/reconcile.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "nfactor/nft/transaction.hpp"

using namespace nfactor;
using namespace nfactor::nft::front;

int main() {
  auto sock = sys::socket::open();
  if (!sock)
    return std::puts(sock.err().message().c_str()), 1;
  auto gen = nft::get_gen(*sock);
  if (!gen)
    return std::puts(gen.err().message().c_str()), 1;

  nft::batch b;
  nft::table t;
  t.family = NFPROTO_INET;
  t.name = "demo";
  nft::add(b, t);
  nft::chain in;
  in.family = NFPROTO_INET;
  in.table = "demo";
  in.name = "input";
  in.hook = nft::hook{.num = NF_INET_LOCAL_IN,
                      .priority = *nft::priority_from_string("filter"),
                      .device = {},
                      .devices = {}};
  in.type = "filter";
  in.policy = NF_ACCEPT;
  nft::add(b, in);
  auto r1 = rule_builder{nfnl::family::inet, "demo", "input"}
                .match(ct::state, ct::established | ct::related)
                .accept()
                .build();
  auto r2 = rule_builder{nfnl::family::inet, "demo", "input"}
                .match(ip::saddr, "10.0.0.0/8")
                .match(tcp::dport, 22)
                .counter()
                .log({.group = 5000, .prefix = "ssh "})
                .accept()
                .build();
  nft::add(b, *r1);
  nft::add(b, *r2);
  auto batch = std::move(b).finish();
  nft::commit_options guarded;
  guarded.genid = gen->id;
  auto ok = nft::commit(*sock, *batch, guarded);
  if (!ok)
    return std::puts(ok.err().message().c_str()), 1;
  std::printf("committed %u operations: generation %u -> %u "
              "(NEWGEN carries portid %u, seq %u)\n",
              ok->acked, gen->id, ok->genid, ok->portid, ok->seq);

  // One bad operation in the middle: nothing is applied.
  nft::batch bad;
  nft::chain extra = in;
  extra.name = "extra";
  extra.hook.reset();
  extra.type.reset();
  extra.policy.reset();
  nft::add(bad, extra);
  auto jump =
      rule_builder{nfnl::family::inet, "demo", "input"}.jump("missing").build();
  nft::add(bad, *jump);
  auto bad_batch = std::move(bad).finish();
  auto failed = nft::commit(*sock, *bad_batch);
  std::printf("bad batch: %s\n", failed.err().message().c_str());

  // The generation we started from is stale now.
  auto stale = nft::commit(*sock, *batch, guarded);
  std::printf("stale guard: %s\n", stale.err().message().c_str());

  // Bad input never reaches the kernel.
  nft::batch typo;
  auto hook = nft::hook_from_string(NFPROTO_INET, "inptu");
  std::printf("bad input: %s\n", hook.err().message().c_str());
  nft::table unnamed;
  unnamed.family = NFPROTO_INET;
  nft::add(typo, unnamed);
  std::printf("bad input: %s\n",
              std::move(typo).finish().err().message().c_str());

  // Reconcile to a desired state twice: the second run has nothing to do.
  nft::ruleset want;
  want.tables.push_back(t);
  want.chains.push_back(in);
  want.rules.push_back(*r2);
  for (int i = 0; i < 2; ++i) {
    auto rec = nft::reconcile(*sock, want);
    if (!rec)
      return std::puts(rec.err().message().c_str()), 1;
    std::printf("reconcile: %u operations, generation %u\n", rec->operations,
                rec->genid);
  }
  return 0;
}
