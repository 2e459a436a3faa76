// SPDX-License-Identifier: Apache-2.0
#include "nfactor/ct/message.hpp"

#include <array>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "nfactor/nfnl/codec.hpp"
#include "rows.hpp"
#include "wire.hpp"

namespace nfactor::ct {

namespace detail {

nl::message_writer start(byte_buffer& out, nfnl::subsys sub, std::uint8_t msg,
                         std::uint16_t flags, std::uint32_t seq,
                         std::uint8_t family, std::uint16_t res_id) {
  nl::message_writer w{out};
  w.begin(nfnl::nlmsg_type(sub, msg), flags, seq);
  w.put_nfgenmsg(family, res_id);
  return w;
}

result<byte_buffer> finish(nl::message_writer& w, byte_buffer& out) {
  w.end();
  if (auto st = w.status(); !st)
    return std::move(st).err();
  return std::move(out);
}

error invalid(std::string op, std::string detail) {
  return make_error(errc::invalid_argument, std::move(op), std::move(detail));
}

result<nfnl::nfgenmsg> open_message(const nl::message& msg, const char* op,
                                    nfnl::subsys sub, std::uint8_t want,
                                    std::uint8_t also) {
  auto [s, type] = nfnl::split_type(msg.type);
  if (s != static_cast<std::uint8_t>(sub) || (type != want && type != also))
    return make_error(errc::bad_message, op,
                      "message type " + std::to_string(msg.type) +
                          " is not a ctnetlink message of this kind");
  return nfnl::decode_nfgenmsg(msg.payload);
}

change change_of(std::uint8_t type, std::uint16_t flags,
                 std::uint8_t delete_type) {
  if (type == delete_type)
    return change::destroyed;
  if ((flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_MULTI)) != 0)
    return change::created;
  return change::updated;
}

change_header header_of(change kind, bool multi, std::uint8_t new_type,
                        std::uint8_t delete_type) {
  change_header h{new_type, 0};
  if (multi)
    h.flags = NLM_F_MULTI;
  else if (kind == change::created)
    h.flags = NLM_F_CREATE | NLM_F_EXCL;
  if (kind == change::destroyed)
    h.type = delete_type;
  return h;
}

result<std::uint8_t> check_complete(const tuple& t, const char* op,
                                    const char* which) {
  auto fam = family_of(t);
  if (!t.src || !t.dst || t.src->version != t.dst->version)
    return invalid(op, std::string{which} +
                           " tuple needs a source and a destination address "
                           "of one family");
  if (!t.l4proto)
    return invalid(op, std::string{which} + " tuple needs l4proto");
  return fam;
}

} // namespace detail

namespace {

using detail::field;
using detail::row;

// CTA_FILTER_ORIG_FLAGS / _REPLY_FLAGS bits: which tuple fields a filter
// compares. The kernel defines them in net/netfilter/nf_conntrack_netlink.c
// (CTA_FILTER_F_*), not in a uapi header; the values are ABI since 5.8.
constexpr std::uint32_t filter_ip_src = 1u << 0;
constexpr std::uint32_t filter_ip_dst = 1u << 1;
constexpr std::uint32_t filter_tuple_zone = 1u << 2;
constexpr std::uint32_t filter_proto_num = 1u << 3;
constexpr std::uint32_t filter_src_port = 1u << 4;
constexpr std::uint32_t filter_dst_port = 1u << 5;
constexpr std::uint32_t filter_icmp_type = 1u << 6;
constexpr std::uint32_t filter_icmp_code = 1u << 7;
constexpr std::uint32_t filter_icmp_id = 1u << 8;
constexpr std::uint32_t filter_icmpv6_type = 1u << 9;
constexpr std::uint32_t filter_icmpv6_code = 1u << 10;
constexpr std::uint32_t filter_icmpv6_id = 1u << 11;

std::uint32_t filter_flags(const tuple& t) {
  bool v6 = t.l4proto == std::uint8_t{IPPROTO_ICMPV6};
  std::uint32_t f = 0;
  f |= t.src ? filter_ip_src : 0;
  f |= t.dst ? filter_ip_dst : 0;
  f |= t.zone ? filter_tuple_zone : 0;
  f |= t.l4proto ? filter_proto_num : 0;
  f |= t.src_port ? filter_src_port : 0;
  f |= t.dst_port ? filter_dst_port : 0;
  f |= t.icmp_type ? (v6 ? filter_icmpv6_type : filter_icmp_type) : 0;
  f |= t.icmp_code ? (v6 ? filter_icmpv6_code : filter_icmp_code) : 0;
  f |= t.echo_id ? (v6 ? filter_icmpv6_id : filter_icmp_id) : 0;
  return f;
}

// Starts a ctnetlink (entry) message.
nl::message_writer start(byte_buffer& out, std::uint8_t msg,
                         std::uint16_t flags, std::uint32_t seq,
                         std::uint8_t family, std::uint16_t res_id = 0) {
  return detail::start(out, nfnl::subsys::ctnetlink, msg, flags, seq, family,
                       res_id);
}

using detail::finish;
using detail::invalid;

using detail::check_complete;

void put_filter(nl::message_writer& w, const filter& f) {
  if (f.mark) {
    w.attr_u32_be(CTA_MARK, *f.mark);
    w.attr_u32_be(CTA_MARK_MASK, f.mark_mask.value_or(0xffffffffu));
  }
  if (f.status) {
    w.attr_u32_be(CTA_STATUS, *f.status);
    w.attr_u32_be(CTA_STATUS_MASK, f.status_mask.value_or(0xffffffffu));
  }
  if (!f.zone && !f.orig && !f.reply)
    return;
  if (f.zone)
    w.attr_u16_be(CTA_ZONE, *f.zone);
  if (f.orig)
    encode_tuple(w, CTA_TUPLE_ORIG, *f.orig);
  if (f.reply)
    encode_tuple(w, CTA_TUPLE_REPLY, *f.reply);
  auto nest = w.begin_nested(CTA_FILTER);
  if (f.orig)
    w.attr_u32_ne(CTA_FILTER_ORIG_FLAGS, filter_flags(*f.orig));
  if (f.reply)
    w.attr_u32_ne(CTA_FILTER_REPLY_FLAGS, filter_flags(*f.reply));
  w.end_nested(nest);
}

result<void> check_filter(const filter& f, const char* op) {
  if (f.family != 0 && f.family != AF_INET && f.family != AF_INET6)
    return invalid(op, "family " + std::to_string(f.family) +
                           " is neither AF_INET nor AF_INET6");
  if (f.mark_mask && !f.mark)
    return invalid(op, "mark_mask without mark");
  if (f.status_mask && !f.status)
    return invalid(op, "status_mask without status");
  for (const auto* t : {&f.orig, &f.reply}) {
    if (!*t)
      continue;
    if (((*t)->src || (*t)->dst) && f.family == 0)
      return invalid(op, "a tuple filter with addresses needs the family");
    auto fam = family_of(**t);
    if (fam != 0 && fam != f.family)
      return invalid(op, "tuple filter addresses are not of the filter's "
                         "family");
    bool l4 = (*t)->src_port || (*t)->dst_port || (*t)->echo_id ||
              (*t)->icmp_type || (*t)->icmp_code;
    if (l4 && !(*t)->l4proto)
      return invalid(op, "a tuple filter with ports or ICMP fields needs "
                         "l4proto");
  }
  return {};
}

} // namespace

// -- statistics rows ---------------------------------------------------------

namespace detail {

template <>
struct rows_of<cpu_stats> {
  static constexpr std::array<row<cpu_stats>, 10> rows{
      field<&cpu_stats::found>(CTA_STATS_FOUND),
      field<&cpu_stats::invalid>(CTA_STATS_INVALID),
      field<&cpu_stats::insert>(CTA_STATS_INSERT),
      field<&cpu_stats::insert_failed>(CTA_STATS_INSERT_FAILED),
      field<&cpu_stats::drop>(CTA_STATS_DROP),
      field<&cpu_stats::early_drop>(CTA_STATS_EARLY_DROP),
      field<&cpu_stats::error>(CTA_STATS_ERROR),
      field<&cpu_stats::search_restart>(CTA_STATS_SEARCH_RESTART),
      field<&cpu_stats::clash_resolve>(CTA_STATS_CLASH_RESOLVE),
      field<&cpu_stats::chain_toolong>(CTA_STATS_CHAIN_TOOLONG),
  };
};

template <>
struct rows_of<global_stats> {
  static constexpr std::array<row<global_stats>, 2> rows{
      field<&global_stats::entries>(CTA_STATS_GLOBAL_ENTRIES),
      field<&global_stats::max_entries>(CTA_STATS_GLOBAL_MAX_ENTRIES),
  };
};

} // namespace detail

namespace {

result<nfnl::nfgenmsg> open_message(const nl::message& msg, const char* op,
                                    std::uint8_t want, std::uint8_t also) {
  return detail::open_message(msg, op, nfnl::subsys::ctnetlink, want, also);
}

template <class T>
result<T> decode_rows_of(byte_view attrs, const char* op, T out) {
  nl::attr_reader r{attrs, op};
  detail::decode_rows<T>(r, out, detail::rows_of<T>::rows);
  if (auto st = r.status(); !st)
    return std::move(st).err();
  return out;
}

template <class T>
void append_rows_of(byte_buffer& out, std::uint8_t msg, std::uint32_t seq,
                    std::uint16_t res_id, const T& v) {
  auto w = start(out, msg, 0, seq, AF_UNSPEC, res_id);
  detail::encode_rows<T>(w, v, detail::rows_of<T>::rows);
  w.end();
}

} // namespace

const char* to_string(change c) noexcept {
  switch (c) {
  case change::created:
    return "NEW";
  case change::updated:
    return "UPDATE";
  case change::destroyed:
    return "DESTROY";
  }
  return "UNKNOWN";
}

result<event> decode_event(const nl::message& msg) {
  return detail::decode_change_message<event>(
      msg, "decode conntrack message", nfnl::subsys::ctnetlink,
      IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_DELETE,
      [](event& ev, nl::attr_reader& r) { ev.ct = decode_entry(r); });
}

void append_event(byte_buffer& out, const event& ev, std::uint32_t seq,
                  bool multi) {
  auto h = detail::header_of(ev.kind, multi, IPCTNL_MSG_CT_NEW,
                             IPCTNL_MSG_CT_DELETE);
  auto w = start(out, h.type, h.flags, seq, ev.family);
  encode_entry(w, ev.ct);
  w.end();
}

result<byte_buffer> dump_request(const filter& f, std::uint32_t seq) {
  if (auto st = check_filter(f, "conntrack dump"); !st)
    return std::move(st).err();
  byte_buffer out;
  auto w =
      start(out, IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, seq, f.family);
  put_filter(w, f);
  return finish(w, out);
}

result<byte_buffer> get_request(const tuple& orig,
                                std::optional<std::uint16_t> zone,
                                std::uint32_t seq) {
  auto fam = check_complete(orig, "conntrack get", "the original");
  if (!fam)
    return std::move(fam).err();
  byte_buffer out;
  auto w = start(out, IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_ACK, seq, *fam);
  encode_tuple(w, CTA_TUPLE_ORIG, orig);
  if (zone)
    w.attr_u16_be(CTA_ZONE, *zone);
  return finish(w, out);
}

result<byte_buffer> create_request(const entry& e, std::uint32_t seq) {
  constexpr const char* op = "conntrack create";
  if (!e.orig || !e.reply)
    return invalid(op, "a new entry needs its orig and reply tuples");
  auto fam = check_complete(*e.orig, op, "the original");
  if (!fam)
    return std::move(fam).err();
  if (auto r = check_complete(*e.reply, op, "the reply"); !r)
    return std::move(r).err();
  if (family_of(*e.reply) != *fam)
    return invalid(op, "orig and reply tuples are of different families");
  if (!e.timeout)
    return invalid(op, "a new entry needs a timeout");
  byte_buffer out;
  auto w =
      start(out, IPCTNL_MSG_CT_NEW,
            NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, seq, *fam);
  encode_entry(w, e);
  return finish(w, out);
}

result<byte_buffer> update_request(const entry& e, std::uint32_t seq) {
  constexpr const char* op = "conntrack update";
  if (!e.orig)
    return invalid(op, "an update names its entry by the orig tuple");
  auto fam = check_complete(*e.orig, op, "the original");
  if (!fam)
    return std::move(fam).err();
  if (!e.mark && !e.timeout && !e.labels && !e.status)
    return invalid(op, "nothing to change: set mark, timeout, labels or "
                       "status");
  if (e.mark_mask && !e.mark)
    return invalid(op, "mark_mask without mark");
  if (e.labels_mask && !e.labels)
    return invalid(op, "labels_mask without labels");
  if (e.labels_mask && e.labels_mask->size() != e.labels->size())
    return invalid(op, "labels and labels_mask differ in length");
  // Only what an update may change, and the tuple that names the entry.
  entry change;
  change.orig = e.orig;
  change.zone = e.zone;
  change.status = e.status;
  change.timeout = e.timeout;
  change.mark = e.mark;
  change.mark_mask = e.mark_mask;
  change.labels = e.labels;
  change.labels_mask = e.labels_mask;
  byte_buffer out;
  auto w = start(out, IPCTNL_MSG_CT_NEW, NLM_F_REQUEST | NLM_F_ACK, seq, *fam);
  encode_entry(w, change);
  return finish(w, out);
}

result<byte_buffer> delete_request(const tuple& orig,
                                   std::optional<std::uint32_t> id,
                                   std::optional<std::uint16_t> zone,
                                   std::uint32_t seq) {
  auto fam = check_complete(orig, "conntrack delete", "the original");
  if (!fam)
    return std::move(fam).err();
  byte_buffer out;
  auto w =
      start(out, IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, seq, *fam);
  encode_tuple(w, CTA_TUPLE_ORIG, orig);
  if (zone)
    w.attr_u16_be(CTA_ZONE, *zone);
  if (id)
    w.attr_u32_be(CTA_ID, *id);
  return finish(w, out);
}

result<byte_buffer> flush_request(const filter& f, std::uint32_t seq) {
  if (auto st = check_filter(f, "conntrack flush"); !st)
    return std::move(st).err();
  byte_buffer out;
  auto w = start(out, IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, seq,
                 f.family);
  put_filter(w, f);
  return finish(w, out);
}

byte_buffer stats_cpu_request(std::uint32_t seq) {
  byte_buffer out;
  auto w = start(out, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_REQUEST | NLM_F_DUMP,
                 seq, AF_UNSPEC);
  w.end();
  return out;
}

byte_buffer stats_request(std::uint32_t seq) {
  byte_buffer out;
  auto w = start(out, IPCTNL_MSG_CT_GET_STATS, NLM_F_REQUEST | NLM_F_ACK, seq,
                 AF_UNSPEC);
  w.end();
  return out;
}

result<cpu_stats> decode_cpu_stats(const nl::message& msg) {
  constexpr const char* op = "decode conntrack cpu stats";
  auto gen = open_message(msg, op, IPCTNL_MSG_CT_GET_STATS_CPU,
                          IPCTNL_MSG_CT_GET_STATS_CPU);
  if (!gen)
    return std::move(gen).err();
  cpu_stats s;
  s.cpu = gen->res_id;
  return decode_rows_of(gen->rest, op, s);
}

result<global_stats> decode_global_stats(const nl::message& msg) {
  constexpr const char* op = "decode conntrack stats";
  auto gen =
      open_message(msg, op, IPCTNL_MSG_CT_GET_STATS, IPCTNL_MSG_CT_GET_STATS);
  if (!gen)
    return std::move(gen).err();
  return decode_rows_of(gen->rest, op, global_stats{});
}

void append_cpu_stats(byte_buffer& out, const cpu_stats& s, std::uint32_t seq) {
  append_rows_of(out, IPCTNL_MSG_CT_GET_STATS_CPU, seq, s.cpu, s);
}

void append_global_stats(byte_buffer& out, const global_stats& s,
                         std::uint32_t seq) {
  append_rows_of(out, IPCTNL_MSG_CT_GET_STATS, seq, 0, s);
}

} // namespace nfactor::ct
