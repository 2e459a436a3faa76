// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/event.hpp"

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nfactor/nfnl/codec.hpp"

namespace nfactor::nft {

namespace {

template <class T>
result<std::optional<notification>> wrap(result<T> r, bool added,
                                         std::uint16_t flags) {
  if (!r)
    return std::move(r).err();
  return std::optional<notification>{
      change{added, flags, entity{std::move(*r)}}};
}

} // namespace

result<std::optional<notification>>
decode_notification(const nl::message& msg) {
  auto t = nfnl::split_type(msg.type);
  if (t.subsys != NFNL_SUBSYS_NFTABLES)
    return std::optional<notification>{};
  switch (t.msg) {
  case NFT_MSG_NEWTABLE:
  case NFT_MSG_DELTABLE:
    return wrap(decode_table(msg), t.msg == NFT_MSG_NEWTABLE, msg.flags);
  case NFT_MSG_NEWCHAIN:
  case NFT_MSG_DELCHAIN:
    return wrap(decode_chain(msg), t.msg == NFT_MSG_NEWCHAIN, msg.flags);
  case NFT_MSG_NEWRULE:
  case NFT_MSG_DELRULE:
    return wrap(decode_rule(msg), t.msg == NFT_MSG_NEWRULE, msg.flags);
  case NFT_MSG_NEWSET:
  case NFT_MSG_DELSET:
    return wrap(decode_set(msg), t.msg == NFT_MSG_NEWSET, msg.flags);
  case NFT_MSG_NEWSETELEM:
  case NFT_MSG_DELSETELEM:
    return wrap(decode_elems(msg), t.msg == NFT_MSG_NEWSETELEM, msg.flags);
  case NFT_MSG_NEWOBJ:
  case NFT_MSG_DELOBJ:
    return wrap(decode_object(msg), t.msg == NFT_MSG_NEWOBJ, msg.flags);
  case NFT_MSG_NEWFLOWTABLE:
  case NFT_MSG_DELFLOWTABLE:
    return wrap(decode_flowtable(msg), t.msg == NFT_MSG_NEWFLOWTABLE,
                msg.flags);
  case NFT_MSG_NEWGEN: {
    auto g = decode_gen(msg);
    if (!g)
      return std::move(g).err();
    return std::optional<notification>{std::move(*g)};
  }
  default:
    return std::optional<notification>{};
  }
}

std::uint8_t message_type(const change& c) noexcept {
  static constexpr std::uint8_t types[][2] = {
      {NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE},
      {NFT_MSG_NEWCHAIN, NFT_MSG_DELCHAIN},
      {NFT_MSG_NEWRULE, NFT_MSG_DELRULE},
      {NFT_MSG_NEWSET, NFT_MSG_DELSET},
      {NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM},
      {NFT_MSG_NEWOBJ, NFT_MSG_DELOBJ},
      {NFT_MSG_NEWFLOWTABLE, NFT_MSG_DELFLOWTABLE}};
  return types[c.entity.index()][c.added ? 0 : 1];
}

const char* kind_name(const entity& e) noexcept {
  static constexpr const char* names[] = {
      "table", "chain", "rule", "set", "element", "object", "flowtable"};
  return names[e.index()];
}

void encode_changes(byte_buffer& out, const std::vector<change>& changes) {
  for (const auto& c : changes)
    std::visit(
        [&](const auto& x) { append(out, message_type(c), c.flags, 0, x); },
        c.entity);
}

result<std::vector<change>> decode_changes(byte_view bytes) {
  std::vector<change> out;
  nl::message_reader rd{bytes};
  while (rd.next()) {
    auto n = decode_notification(rd.get());
    if (!n)
      return std::move(n).err();
    if (*n)
      if (auto* c = std::get_if<change>(&**n)) {
        c->flags = static_cast<std::uint16_t>(c->flags & ~NLM_F_REQUEST);
        out.push_back(std::move(*c));
      }
  }
  if (auto st = rd.status(); !st)
    return std::move(st).err();
  return out;
}

std::vector<flat_event> flatten(const transaction& t) {
  std::vector<flat_event> out;
  out.reserve(t.changes.size());
  for (const auto& c : t.changes)
    out.push_back(flat_event{t.gen_id, t.proc_pid, t.proc_name, c});
  return out;
}

result<std::optional<transaction>> commit_framer::feed(const nl::message& msg) {
  auto n = decode_notification(msg);
  if (!n)
    return std::move(n).err();
  if (!*n)
    return std::optional<transaction>{};
  if (auto* c = std::get_if<change>(&**n)) {
    pending_.push_back(std::move(*c));
    return std::optional<transaction>{};
  }
  auto& g = std::get<gen_info>(**n);
  if (excluded_by_min_gen(g.id, min_gen_)) {
    pending_.clear();
    return std::optional<transaction>{};
  }
  transaction t{g.id, g.proc_pid, std::move(g.proc_name), std::move(pending_)};
  pending_.clear();
  return std::optional<transaction>{std::move(t)};
}

transaction commit_framer::take_part() {
  transaction t;
  t.changes = std::move(pending_);
  t.partial = true;
  pending_.clear();
  return t;
}

} // namespace nfactor::nft
