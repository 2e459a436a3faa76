// SPDX-License-Identifier: Apache-2.0
//
// The writer's statements other than matches: counters, objects, log,
// limit, quota, ct count, notrack, NAT, reject, queue, set updates,
// synproxy and payload writes.
#include <bit>
#include <functional>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_synproxy.h>
#include <linux/netfilter/nf_tables.h>

#include "names.hpp"
#include "writer.hpp"

namespace nfactor::nft::json::detail {

namespace {

// nft's byte units: the largest that divides the amount.
std::pair<std::uint64_t, std::string_view> in_units(std::uint64_t n) {
  std::size_t u = 0;
  while (n && n % 1024 == 0 && u + 1 < byte_units.size()) {
    n /= 1024;
    ++u;
  }
  return {n, byte_units[u].name};
}

// Puts `n` bytes as `o[key]` and `o[unit_key]`.
void put_bytes(value& o, const char* key, const char* unit_key,
               std::uint64_t n) {
  auto [v, unit] = in_units(n);
  o[key] = v;
  o[unit_key] = unit;
}

} // namespace

void statement_writer::on(const expr::counter& c, const expression&) {
  emit({{"counter", {{"packets", c.packets}, {"bytes", c.bytes}}}});
}

void statement_writer::on(const expr::objref& o, const expression& e) {
  auto kind = o.imm_type && o.imm_name ? name_of(object_types, *o.imm_type)
                                       : std::nullopt;
  if (!kind) {
    opaque(e);
    return;
  }
  emit({{std::string{*kind}, *o.imm_name}});
}

void statement_writer::on(const expr::log& l, const expression&) {
  value o = value::object();
  if (l.prefix)
    o["prefix"] = *l.prefix;
  if (l.group)
    o["group"] = *l.group;
  if (l.snaplen)
    o["snaplen"] = *l.snaplen;
  if (l.qthreshold)
    o["queue-threshold"] = *l.qthreshold;
  if (l.level && *l.level != 4) {
    auto name = name_of(log_levels, *l.level);
    o["level"] = name ? value(*name) : value(*l.level);
  }
  emit({{"log", o.empty() ? value(nullptr) : o}});
}

void statement_writer::on(const expr::limit& l, const expression&) {
  value o = {{"rate", l.rate},
             {"burst", l.burst},
             {"per", name_of(time_units, static_cast<std::uint32_t>(l.unit))
                         .value_or("second")}};
  if (l.type == NFT_LIMIT_PKT_BYTES) {
    put_bytes(o, "rate", "rate_unit", l.rate);
    put_bytes(o, "burst", "burst_unit", l.burst);
  }
  if (l.flags & NFT_LIMIT_F_INV)
    o["inv"] = true;
  emit({{"limit", o}});
}

void statement_writer::on(const expr::quota& q, const expression&) {
  value o = value::object();
  put_bytes(o, "val", "val_unit", q.bytes);
  if (q.consumed && *q.consumed)
    put_bytes(o, "used", "used_unit", *q.consumed);
  if (q.flags & NFT_QUOTA_F_INV)
    o["inv"] = true;
  emit({{"quota", o}});
}

void statement_writer::on(const expr::connlimit& c, const expression&) {
  value o = {{"val", c.count}};
  if (c.flags & NFT_CONNLIMIT_F_INV)
    o["inv"] = true;
  emit({{"ct count", o}});
}

void statement_writer::on(const expr::notrack&, const expression&) {
  emit({{"notrack", nullptr}});
}

void statement_writer::on(const expr::masq&, const expression&) {
  emit({{"masquerade", nullptr}});
}

void statement_writer::on(const expr::redir& rd, const expression& e) {
  if (!rd.reg_proto_min) {
    emit({{"redirect", nullptr}});
    return;
  }
  auto h = take(*rd.reg_proto_min);
  if (!h.imm) {
    opaque(e);
    return;
  }
  emit({{"redirect",
         {{"port", number(*find_dtype("inet_service"), h.imm->value)}}}});
}

void statement_writer::on(const expr::nat& n, const expression& e) {
  auto h = n.reg_addr_min && !n.reg_proto_min ? take(*n.reg_addr_min) : held{};
  if (!h.imm) {
    opaque(e);
    return;
  }
  auto* t = find_dtype(n.family == NFPROTO_IPV6 ? "ipv6_addr" : "ipv4_addr");
  value o = {{"addr", scalar_json(t, h.imm->value)}};
  if (r_.family == NFPROTO_INET)
    o["family"] = n.family == NFPROTO_IPV6 ? "ip6" : "ip";
  emit({{n.type == NFT_NAT_SNAT ? "snat" : "dnat", o}});
}

void statement_writer::on(const expr::reject& rj, const expression&) {
  if (rj.type == NFT_REJECT_TCP_RST) {
    emit({{"reject", {{"type", "tcp reset"}}}});
    return;
  }
  auto code = rj.icmp_code.value_or(0);
  const char* type = rj.type == NFT_REJECT_ICMPX_UNREACH ? "icmpx"
                     : r_.family == NFPROTO_IPV6         ? "icmpv6"
                                                         : "icmp";
  value name = code;
  for (auto& rc : reject_code_names())
    if (rc.type == type && rc.code == code)
      name = std::string{rc.name};
  emit({{"reject", {{"type", type}, {"expr", name}}}});
}

void statement_writer::on(const expr::queue& q, const expression&) {
  value o = {{"num", q.num.value_or(0)}};
  if (q.flags.value_or(0) & NFT_QUEUE_FLAG_BYPASS)
    o["flags"] = "bypass";
  emit({{"queue", o}});
}

void statement_writer::on(const expr::dynset& d, const expression& e) {
  auto op = name_of(dynset_ops, d.op);
  if (!op) {
    opaque(e);
    return;
  }
  auto elem = lookup_key(d.sreg_key).first;
  emit({{"set", {{"op", *op}, {"elem", elem}, {"set", "@" + d.set_name}}}});
}

} // namespace nfactor::nft::json::detail

namespace nfactor::nft::json::detail {

value statement_writer::device(std::optional<std::uint32_t> reg) {
  auto h = reg ? take(*reg) : held{};
  if (!h.imm)
    return nullptr;
  return scalar_json(find_dtype("iface_index"), h.imm->value);
}

void statement_writer::on(const expr::dup& d, const expression& e) {
  auto dev = device(d.sreg_dev);
  auto addr = d.sreg_addr ? take(*d.sreg_addr) : held{};
  if (d.sreg_addr ? !addr.imm || (d.sreg_dev && dev.is_null())
                  : dev.is_null()) {
    opaque(e);
    return;
  }
  // netdev: the device is listed as the address.
  if (!d.sreg_addr) {
    emit({{"dup", {{"addr", dev}}}});
    return;
  }
  auto v6 = addr.imm->value.size() == 16;
  value o = {{"addr", scalar_json(find_dtype(v6 ? "ipv6_addr" : "ipv4_addr"),
                                  addr.imm->value)}};
  if (d.sreg_dev)
    o["dev"] = dev;
  emit({{"dup", o}});
}

void statement_writer::on(const expr::forward& fw, const expression& e) {
  auto dev = device(fw.sreg_dev);
  auto addr = fw.sreg_addr ? take(*fw.sreg_addr) : held{};
  auto fam = name_of(ip_families, fw.nfproto.value_or(0));
  if (dev.is_null() || (fw.sreg_addr && (!addr.imm || !fam))) {
    opaque(e);
    return;
  }
  value o = {{"dev", dev}};
  if (fw.sreg_addr) {
    o["family"] = *fam;
    o["addr"] = scalar_json(
        find_dtype(*fam == "ip6" ? "ipv6_addr" : "ipv4_addr"), addr.imm->value);
  }
  emit({{"fwd", o}});
}

void statement_writer::on(const expr::synproxy& sp, const expression&) {
  value o = value::object();
  if (sp.flags & NF_SYNPROXY_OPT_MSS)
    o["mss"] = sp.mss;
  if (sp.flags & NF_SYNPROXY_OPT_WSCALE)
    o["wscale"] = sp.wscale;
  value flags = value::array();
  for (auto& fl : synproxy_flags)
    if (sp.flags & fl.value)
      flags.push_back(fl.name);
  if (!flags.empty())
    o["flags"] = flags;
  emit({{"synproxy", o.empty() ? value(nullptr) : o}});
}

const expression* statement_writer::next_to(const expression& e,
                                            std::ptrdiff_t n) const {
  const auto* first = r_.exprs.data();
  const auto* end = first + r_.exprs.size();
  if (!std::less_equal<>{}(first, &e) || !std::less<>{}(&e, end))
    return nullptr;
  auto i = (&e - first) + n;
  return i >= 0 && i < end - first ? first + i : nullptr;
}

const expr::bitwise* statement_writer::word_rewrite(const expression& e) const {
  auto* load = e.get_if<expr::payload>();
  auto* next = next_to(e, 1);
  auto* bw = next ? next->get_if<expr::bitwise>() : nullptr;
  auto* last = next_to(e, 2);
  auto* w = last ? last->get_if<expr::payload>() : nullptr;
  if (!load || !load->dreg || !bw || !w || !w->sreg || w->len != load->len ||
      w->base != load->base || w->offset != load->offset ||
      bw->sreg != *load->dreg || bw->dreg != *w->sreg || !bw->mask ||
      !bw->xor_ || bw->mask->value.size() != load->len ||
      bw->xor_->value.size() != load->len)
    return nullptr;
  return bw;
}

void statement_writer::payload_write(const expr::payload& p,
                                     const expression& e) {
  namespace f = front;
  // A field of less than its bytes, or a byte under a checksum: nft
  // loads the bytes around it, replaces its bits (bitwise mask, xor) and
  // writes them back; the field is the one whose bits the mask clears.
  auto* load = next_to(e, -2);
  auto* bw = load ? word_rewrite(*load) : nullptr;
  auto* nf = field_where([&](const named_field& r) {
    const auto& fl = *r.fld;
    if (fl.from != f::field::source::payload || fl.key != p.base)
      return false;
    if (!bw)
      return !r.mask && fl.offset == p.offset && fl.len == p.len;
    return fl.offset >= p.offset && fl.offset + fl.len <= p.offset + p.len &&
           keep_mask(fl, r.mask, p.offset, p.len) == bw->mask->value;
  });
  if (!nf) {
    opaque(e);
    return;
  }
  auto len = nf->fld->len;
  const dtype* t = find_dtype(nf->type);
  if (t && t->kind == shape::integer && t->len != len && !nf->mask)
    t = &integer_type(len, nf->fld->kind == f::field::shape::integer_be);
  value set_to;
  if (bw) {
    // The field's bits of the xor, moved down to the field's value.
    const auto& x = bw->xor_->value;
    std::uint64_t n = 0;
    for (std::uint32_t i = 0; i < len && i < 8; ++i)
      n = n << 8 | x[nf->fld->offset - p.offset + i];
    if (nf->mask) {
      n >>= std::countr_zero(nf->mask);
      auto name = t ? symbol_name(*t, n) : std::nullopt;
      set_to = name ? value(std::string{*name}) : value(n);
    } else {
      set_to = scalar_json(t, field_bytes(*nf->fld, n));
    }
  }
  imply(*nf);
  value key = field_held(*nf).operand;
  // nft lists no dependency the field implies, even when listed already.
  if (nf->fld->l4proto && nf->fld->l4proto == flushed_l4_ &&
      flushed_at_ + 1 == out_.size())
    out_.erase(out_.end() - 1);
  if (!bw) {
    mangle(std::move(key), t, *p.sreg, e);
    return;
  }
  loaded_.clear();
  emit({{"mangle", {{"key", std::move(key)}, {"value", std::move(set_to)}}}});
}

} // namespace nfactor::nft::json::detail
