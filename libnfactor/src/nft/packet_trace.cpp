// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/packet_trace.hpp"

#include <algorithm>
#include <cstdio>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/nfnl/codec.hpp"

namespace nfactor::nft {

// -- packet_trace -------------------------------------------------------------

std::string_view to_string(trace_end e) noexcept {
  switch (e) {
  case trace_end::verdict:
    return "verdict";
  case trace_end::timeout:
    return "timeout";
  case trace_end::cut:
    return "cut";
  case trace_end::lost:
    return "lost";
  case trace_end::stopped:
    return "stopped";
  }
  return "unknown";
}

const trace_event* packet_trace::packet() const noexcept {
  for (const auto& s : steps)
    if (s.event.carries_packet())
      return &s.event;
  return nullptr;
}

std::optional<std::int32_t> packet_trace::verdict() const noexcept {
  if (end != trace_end::verdict || steps.empty())
    return std::nullopt;
  const auto& last = steps.back().event;
  if (last.kind() == trace_type::policy)
    return last.policy ? std::optional<std::int32_t>(
                             static_cast<std::int32_t>(*last.policy))
                       : std::nullopt;
  return last.verdict ? std::optional<std::int32_t>(last.verdict->code)
                      : std::nullopt;
}

// -- trace_assembler ----------------------------------------------------------

trace_assembler::trace_assembler(assembler_options opts)
  : opts_(std::move(opts)) {}

void trace_assembler::close(std::uint32_t id, trace_end why,
                            std::vector<packet_trace>& out) {
  auto it = open_.find(id);
  if (it == open_.end())
    return;
  it->second.trace.end = why;
  out.push_back(std::move(it->second.trace));
  open_.erase(it);
}

void trace_assembler::feed(trace_event e, clock::time_point now,
                           std::vector<packet_trace>& out) {
  if (std::find(opts_.hidden_tables.begin(), opts_.hidden_tables.end(),
                e.table) != opts_.hidden_tables.end()) {
    ++hidden_;
    return;
  }
  auto id = e.id;
  auto it = open_.find(id);
  // The packet comes with the first event of each base chain: an open
  // trace of the same id missed its verdict.
  if (it != open_.end() && e.carries_packet()) {
    close(id, trace_end::cut, out);
    it = open_.end();
  }
  if (it == open_.end()) {
    if (open_.size() >= opts_.max_open && !open_.empty()) {
      auto oldest = std::min_element(open_.begin(), open_.end(),
                                     [](const auto& a, const auto& b) {
                                       return a.second.order < b.second.order;
                                     });
      close(oldest->first, trace_end::cut, out);
    }
    it = open_.emplace(id, open_trace{}).first;
    it->second.trace.id = id;
    it->second.order = next_order_++;
  }
  auto& o = it->second;
  o.last = now;
  bool ends = ends_base_chain(e);
  o.trace.steps.push_back(trace_step{std::move(e), std::nullopt});
  if (ends)
    close(id, trace_end::verdict, out);
  else if (o.trace.steps.size() >= opts_.max_steps)
    close(id, trace_end::cut, out);
}

void trace_assembler::expire(clock::time_point now,
                             std::vector<packet_trace>& out) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> due;
  for (const auto& [id, o] : open_)
    if (now - o.last >= opts_.timeout)
      due.emplace_back(o.order, id);
  std::sort(due.begin(), due.end()); // oldest first, as they were opened
  for (auto [order, id] : due)
    close(id, trace_end::timeout, out);
}

void trace_assembler::close_all(trace_end why, std::vector<packet_trace>& out) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> all;
  for (const auto& [id, o] : open_)
    all.emplace_back(o.order, id);
  std::sort(all.begin(), all.end());
  for (auto [order, id] : all)
    close(id, why, out);
}

std::optional<trace_assembler::clock::time_point>
trace_assembler::next_expiry() const {
  std::optional<clock::time_point> first;
  for (const auto& [id, o] : open_)
    if (!first || o.last < *first)
      first = o.last;
  if (first)
    *first += opts_.timeout;
  return first;
}

// -- trace_resolver -----------------------------------------------------------

void trace_resolver::reset(ruleset rs) {
  rules_ = std::move(rs);
  stale_ = true;
}

void trace_resolver::apply(const transaction& t) {
  for (const auto& c : t.changes)
    nft::apply(rules_, c);
  if (!t.partial && t.gen_id != 0)
    rules_.gen_id = t.gen_id;
  stale_ = true;
}

const rule* trace_resolver::find(std::uint8_t family, const std::string& table,
                                 std::uint64_t handle) const {
  if (stale_) {
    index_.clear();
    for (std::size_t i = 0; i < rules_.rules.size(); ++i) {
      const auto& r = rules_.rules[i];
      if (r.handle)
        index_.emplace(key{r.family, r.table, *r.handle}, i);
    }
    stale_ = false;
  }
  auto it = index_.find(key{family, table, handle});
  return it == index_.end() ? nullptr : &rules_.rules[it->second];
}

std::optional<std::string> trace_resolver::text(const rule& r) const {
  if (namer_)
    return namer_(r, rules_);
  auto out = render(r.exprs);
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

void trace_resolver::resolve(packet_trace& t) const {
  for (auto& s : t.steps) {
    if (!s.event.rule_handle || s.rule)
      continue;
    if (auto* r = find(s.event.family, s.event.table, *s.event.rule_handle))
      s.rule = text(*r);
  }
}

// -- text ---------------------------------------------------------------------

namespace {

std::string hex8(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::string interface(const char* what, std::uint32_t index,
                      const ifname_lookup& ifname) {
  std::string out = what;
  if (auto name = ifname ? ifname(index) : std::nullopt)
    return out + " \"" + *name + "\"";
  return out + " " + std::to_string(index);
}

std::uint16_t be16(const byte_buffer& b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] << 8 | b[off + 1]);
}

// Addresses, protocol and ports from the network and transport headers.
std::string headers(const trace_event& e) {
  std::string out;
  if (!e.network_header || e.network_header->empty())
    return out;
  const auto& nh = *e.network_header;
  // Where each IP version keeps its addresses and protocol.
  struct layout {
    int family;
    const char* name;
    const char* protocol_name;
    std::size_t min, saddr, daddr, protocol;
  };
  static constexpr layout v4{AF_INET, "ip", " ip protocol ", 20, 12, 16, 9};
  static constexpr layout v6{AF_INET6, "ip6", " ip6 nexthdr ", 40, 8, 24, 6};
  auto version = nh[0] >> 4;
  const layout* l = version == 4 ? &v4 : version == 6 ? &v6 : nullptr;
  if (!l || nh.size() < l->min)
    return out;
  char addr[INET6_ADDRSTRLEN];
  inet_ntop(l->family, nh.data() + l->saddr, addr, sizeof addr);
  out += " " + std::string{l->name} + " saddr " + addr;
  inet_ntop(l->family, nh.data() + l->daddr, addr, sizeof addr);
  out += " " + std::string{l->name} + " daddr " + addr;
  int l4 = nh[l->protocol];
  const byte_buffer empty;
  const auto& th = e.transport_header ? *e.transport_header : empty;
  if ((l4 == IPPROTO_TCP || l4 == IPPROTO_UDP) && th.size() >= 4) {
    const char* p = l4 == IPPROTO_TCP ? "tcp" : "udp";
    out += " " + std::string{p} + " sport " + std::to_string(be16(th, 0));
    out += " " + std::string{p} + " dport " + std::to_string(be16(th, 2));
  } else if ((l4 == IPPROTO_ICMP || l4 == IPPROTO_ICMPV6) && th.size() >= 2) {
    const char* p = l4 == IPPROTO_ICMP ? "icmp" : "icmpv6";
    out += " " + std::string{p} + " type " + std::to_string(th[0]);
    out += " " + std::string{p} + " code " + std::to_string(th[1]);
  } else {
    out += l->protocol_name + std::to_string(l4);
  }
  return out;
}

std::string mark_text(const trace_event& e) {
  return e.mark ? " meta mark 0x" + hex8(*e.mark) : std::string{};
}

} // namespace

std::string verdict_text(const verdict& v) {
  std::string out{verdict_name(v.code)};
  if ((v.code == NFT_JUMP || v.code == NFT_GOTO) && v.chain)
    out += " " + *v.chain;
  return out;
}

std::string trace_text(const packet_trace& t, const ifname_lookup& ifname) {
  std::string out;
  for (const auto& s : t.steps) {
    const auto& e = s.event;
    std::string head = "trace id " + hex8(e.id) + " " +
                       nfnl::to_string(static_cast<nfnl::family>(e.family)) +
                       " " + e.table + " " + e.chain + " ";
    if (e.carries_packet()) {
      out += head + "packet:";
      if (e.iif)
        out += " " + interface("iif", *e.iif, ifname);
      if (e.oif)
        out += " " + interface("oif", *e.oif, ifname);
      out += headers(e) + "\n";
    }
    switch (e.kind()) {
    case trace_type::rule:
      // A rule event without a handle is the end of a chain; nft shows
      // nothing for it.
      if (!e.rule_handle)
        break;
      out += head + "rule ";
      out += s.rule ? *s.rule
                    : "unknown rule handle " + std::to_string(*e.rule_handle);
      if (e.verdict)
        out += " (verdict " + verdict_text(*e.verdict) + ")";
      out += "\n";
      break;
    case trace_type::ret:
      out += head + "verdict " +
             (e.verdict ? verdict_text(*e.verdict) : std::string{"continue"}) +
             mark_text(e) + "\n";
      break;
    case trace_type::policy:
      out += head + "policy " +
             std::string{verdict_name(
                 static_cast<std::int32_t>(e.policy.value_or(NF_ACCEPT)))} +
             mark_text(e) + "\n";
      break;
    default:
      break;
    }
  }
  return out;
}

} // namespace nfactor::nft
