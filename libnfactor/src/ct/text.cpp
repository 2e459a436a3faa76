// SPDX-License-Identifier: Apache-2.0
#include "nfactor/ct/text.hpp"

#include <string_view>
#include <utility>

#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

namespace nfactor::ct {

namespace {

void add(std::string& out, const char* key, std::uint64_t v) {
  out += ' ';
  out += key;
  out += '=';
  out += std::to_string(v);
}

// " src=A dst=B sport=P dport=Q" (or ICMP type, code, id); `prefix`
// names the addresses ("mask-" gives mask-src=, mask-dst=).
void put_tuple(std::string& out, const tuple& t, std::string_view prefix = {}) {
  if (t.src)
    out.append(" ").append(prefix).append("src=") += t.src->to_string();
  if (t.dst)
    out.append(" ").append(prefix).append("dst=") += t.dst->to_string();
  if (t.src_port)
    add(out, "sport", *t.src_port);
  if (t.dst_port)
    add(out, "dport", *t.dst_port);
  if (t.icmp_type)
    add(out, "type", *t.icmp_type);
  if (t.icmp_code)
    add(out, "code", *t.icmp_code);
  if (t.echo_id)
    add(out, "id", *t.echo_id);
}

void put_counters(std::string& out, const std::optional<counters>& c) {
  if (!c)
    return;
  add(out, "packets", c->packets);
  add(out, "bytes", c->bytes);
}

} // namespace

const char* tcp_state_name(std::uint8_t state) noexcept {
  static constexpr const char* names[] = {
      "NONE",       "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
      "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",       "SYN_SENT2",
  };
  return state < std::size(names) ? names[state] : "UNKNOWN";
}

const char* l4proto_name(std::uint8_t proto) noexcept {
  switch (proto) {
  case IPPROTO_TCP:
    return "tcp";
  case IPPROTO_UDP:
    return "udp";
  case IPPROTO_ICMP:
    return "icmp";
  case IPPROTO_ICMPV6:
    return "icmpv6";
  case IPPROTO_SCTP:
    return "sctp";
  case IPPROTO_DCCP:
    return "dccp";
  case IPPROTO_UDPLITE:
    return "udplite";
  case IPPROTO_GRE:
    return "gre";
  default:
    return "unknown";
  }
}

std::string to_text(const entry& e, std::uint8_t family,
                    std::optional<std::uint64_t> now_ns) {
  std::string out = family == AF_INET6 ? "ipv6 " : "ipv4 ";
  out += std::to_string(family);
  std::uint8_t proto = e.orig && e.orig->l4proto ? *e.orig->l4proto : 0;
  out += ' ';
  out += l4proto_name(proto);
  out += ' ' + std::to_string(proto);
  if (e.timeout)
    out += ' ' + std::to_string(*e.timeout);
  if (e.tcp_state) {
    out += ' ';
    out += tcp_state_name(*e.tcp_state);
  }
  auto status = e.status.value_or(0);
  if (e.orig) {
    put_tuple(out, *e.orig);
    put_counters(out, e.counters_orig);
  }
  if (e.status && !(status & IPS_SEEN_REPLY))
    out += " [UNREPLIED]";
  if (e.reply) {
    put_tuple(out, *e.reply);
    put_counters(out, e.counters_reply);
  }
  if (status & IPS_OFFLOAD)
    out += " [OFFLOAD]";
  else if (status & IPS_ASSURED)
    out += " [ASSURED]";
  if (e.mark)
    add(out, "mark", *e.mark);
  if (e.secctx)
    out += " secctx=" + *e.secctx;
  if (e.zone && *e.zone != 0)
    add(out, "zone", *e.zone);
  if (e.timestamp_start && now_ns && *now_ns >= *e.timestamp_start)
    add(out, "delta-time", (*now_ns - *e.timestamp_start) / 1'000'000'000u);
  if (e.use)
    add(out, "use", *e.use);
  if (e.id)
    add(out, "id", *e.id);
  return out;
}

std::string to_text(const event& ev) {
  // A flow's end says how long it lived, as conntrack -E does.
  return std::string{"["} + to_string(ev.kind) + "] " +
         to_text(ev.ct, ev.family, ev.ct.timestamp_stop);
}

std::string to_text(const expectation& e) {
  std::string out;
  if (e.timeout)
    out = std::to_string(*e.timeout) + ' ';
  auto proto = e.expected && e.expected->l4proto ? *e.expected->l4proto : 0;
  out += "proto=" + std::to_string(proto);
  for (auto [t, prefix] :
       {std::pair{&e.expected, ""}, std::pair{&e.mask, "mask-"},
        std::pair{&e.master, "master-"}})
    if (*t)
      put_tuple(out, **t, prefix);
  if (e.zone)
    add(out, "zone", *e.zone);
  auto flags = e.flags.value_or(0);
  const char* delim = " ";
  for (auto [bit, name] : {std::pair{NF_CT_EXPECT_PERMANENT, "PERMANENT"},
                           std::pair{NF_CT_EXPECT_INACTIVE, "INACTIVE"},
                           std::pair{NF_CT_EXPECT_USERSPACE, "USERSPACE"}})
    if (flags & bit) {
      out.append(delim).append(name);
      delim = ",";
    }
  if (e.expect_class)
    add(out, "class", *e.expect_class);
  if (e.helper)
    out += " helper=" + *e.helper;
  return out;
}

std::string to_text(const exp_event& ev) {
  // "%9s ": the kind right-aligned in nine columns, as conntrack -E expect.
  std::string kind = std::string{"["} + to_string(ev.kind) + "]";
  if (kind.size() < 9)
    kind.insert(0, 9 - kind.size(), ' ');
  return kind + ' ' + to_text(ev.exp);
}

} // namespace nfactor::ct
