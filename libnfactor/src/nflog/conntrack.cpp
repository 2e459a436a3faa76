// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/conntrack.hpp"

#include <cstring>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

namespace nfactor::nflog {

namespace {

using reader = nl::attr_reader;

// An address attribute of `N` bytes (4 for CTA_IP_V4_*, 16 for V6).
template <std::size_t N>
std::optional<ip_address> read_ip(reader& r) {
  if (r.bytes().size() != N) {
    r.fail("CTA_IP address has " + std::to_string(r.bytes().size()) +
           " bytes, expected " + std::to_string(N));
    return std::nullopt;
  }
  ip_address a;
  a.version = N == 4 ? 4 : 6;
  std::memcpy(a.bytes.data(), r.bytes().data(), N);
  return a;
}

void read_tuple_ip(reader in, ct_tuple& t) {
  while (in.next()) {
    switch (in.type()) {
    case CTA_IP_V4_SRC:
      t.src = read_ip<4>(in);
      break;
    case CTA_IP_V4_DST:
      t.dst = read_ip<4>(in);
      break;
    case CTA_IP_V6_SRC:
      t.src = read_ip<16>(in);
      break;
    case CTA_IP_V6_DST:
      t.dst = read_ip<16>(in);
      break;
    default:
      break;
    }
  }
}

// CTA_TUPLE_PROTO: one row per CTA_PROTO_* attribute.
struct proto_row {
  std::uint16_t type;
  void (*read)(reader&, ct_tuple&);
};

constexpr proto_row proto_rows[] = {
    {CTA_PROTO_NUM,
     [](reader& r, ct_tuple& t) {
       t.l4proto = r.u8();
     }},
    {CTA_PROTO_SRC_PORT,
     [](reader& r, ct_tuple& t) {
       t.src_port = r.u16_be();
     }},
    {CTA_PROTO_DST_PORT,
     [](reader& r, ct_tuple& t) {
       t.dst_port = r.u16_be();
     }},
    {CTA_PROTO_ICMP_ID,
     [](reader& r, ct_tuple& t) {
       t.echo_id = r.u16_be();
     }},
    {CTA_PROTO_ICMP_TYPE,
     [](reader& r, ct_tuple& t) {
       t.icmp_type = r.u8();
     }},
    {CTA_PROTO_ICMP_CODE,
     [](reader& r, ct_tuple& t) {
       t.icmp_code = r.u8();
     }},
    {CTA_PROTO_ICMPV6_ID,
     [](reader& r, ct_tuple& t) {
       t.echo_id = r.u16_be();
     }},
    {CTA_PROTO_ICMPV6_TYPE,
     [](reader& r, ct_tuple& t) {
       t.icmp_type = r.u8();
     }},
    {CTA_PROTO_ICMPV6_CODE,
     [](reader& r, ct_tuple& t) {
       t.icmp_code = r.u8();
     }},
};

void read_tuple_proto(reader in, ct_tuple& t) {
  while (in.next())
    for (const auto& row : proto_rows)
      if (row.type == in.type())
        row.read(in, t);
}

ct_tuple read_tuple(reader in) {
  ct_tuple t;
  while (in.next()) {
    switch (in.type()) {
    case CTA_TUPLE_IP:
      read_tuple_ip(in.nested(), t);
      break;
    case CTA_TUPLE_PROTO:
      read_tuple_proto(in.nested(), t);
      break;
    case CTA_TUPLE_ZONE:
      t.zone = in.u16_be();
      break;
    default:
      break;
    }
  }
  return t;
}

void read_protoinfo(reader in, conntrack& ct) {
  while (in.next()) {
    if (in.type() != CTA_PROTOINFO_TCP)
      continue;
    auto tcp = in.nested();
    while (tcp.next())
      if (tcp.type() == CTA_PROTOINFO_TCP_STATE)
        ct.tcp_state = tcp.u8();
  }
}

// The top level: one row per CTA_* attribute we parse.
struct ct_row {
  std::uint16_t type;
  void (*read)(reader&, conntrack&);
};

constexpr ct_row ct_rows[] = {
    {CTA_TUPLE_ORIG,
     [](reader& r, conntrack& c) {
       c.orig = read_tuple(r.nested());
     }},
    {CTA_TUPLE_REPLY,
     [](reader& r, conntrack& c) {
       c.reply = read_tuple(r.nested());
     }},
    {CTA_STATUS,
     [](reader& r, conntrack& c) {
       c.status = r.u32_be();
     }},
    {CTA_PROTOINFO,
     [](reader& r, conntrack& c) {
       read_protoinfo(r.nested(), c);
     }},
    {CTA_TIMEOUT,
     [](reader& r, conntrack& c) {
       c.timeout = r.u32_be();
     }},
    {CTA_MARK,
     [](reader& r, conntrack& c) {
       c.mark = r.u32_be();
     }},
    {CTA_USE,
     [](reader& r, conntrack& c) {
       c.use = r.u32_be();
     }},
    {CTA_ID,
     [](reader& r, conntrack& c) {
       c.id = r.u32_be();
     }},
    {CTA_ZONE,
     [](reader& r, conntrack& c) {
       c.zone = r.u16_be();
     }},
};

} // namespace

std::string ip_address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(version == 4 ? AF_INET : AF_INET6, bytes.data(), buf,
              sizeof(buf));
  return buf;
}

conntrack decode_conntrack(nl::attr_reader& attrs) {
  conntrack out;
  while (attrs.next())
    for (const auto& row : ct_rows)
      if (row.type == attrs.type())
        row.read(attrs, out);
  return out;
}

result<conntrack> decode_conntrack(byte_view payload) {
  nl::attr_reader attrs{payload, "decode NFULA_CT"};
  auto out = decode_conntrack(attrs);
  if (auto st = attrs.status(); !st)
    return std::move(st).err();
  return out;
}

} // namespace nfactor::nflog
