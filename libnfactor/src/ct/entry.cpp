// SPDX-License-Identifier: Apache-2.0
#include "nfactor/ct/entry.hpp"

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "tuple_rows.hpp"

namespace nfactor::ct {

namespace detail {

// -- nested values -----------------------------------------------------------

template <>
struct rows_of<counters> {
  static constexpr std::array<row<counters>, 2> rows{
      field<&counters::packets>(CTA_COUNTERS_PACKETS),
      field<&counters::bytes>(CTA_COUNTERS_BYTES),
  };
};

template <>
struct rows_of<seq_adj> {
  static constexpr std::array<row<seq_adj>, 3> rows{
      field<&seq_adj::correction_pos>(CTA_SEQADJ_CORRECTION_POS),
      field<&seq_adj::offset_before>(CTA_SEQADJ_OFFSET_BEFORE),
      field<&seq_adj::offset_after>(CTA_SEQADJ_OFFSET_AFTER),
  };
};

// struct nf_ct_tcp_flags: two bytes, not a nest.
template <std::optional<tcp_flags> entry::*Member>
constexpr row<entry> flags(std::uint16_t type) {
  return {type,
          [](reader& r, entry& e) {
            if (r.bytes().size() != 2) {
              r.fail("CTA_PROTOINFO_TCP_FLAGS has " +
                     std::to_string(r.bytes().size()) + " bytes, expected 2");
              return;
            }
            e.*Member = tcp_flags{r.bytes()[0], r.bytes()[1]};
          },
          [](writer& w, std::uint16_t ty, const entry& e) {
            std::uint8_t b[2] = {(e.*Member)->flags, (e.*Member)->mask};
            w.attr_bytes(ty, b);
          },
          [](const entry& e) {
            return (e.*Member).has_value();
          }};
}

// -- the entry ---------------------------------------------------------------

struct tcp_rows {
  static constexpr std::array<row<entry>, 5> rows{
      field<&entry::tcp_state>(CTA_PROTOINFO_TCP_STATE),
      field<&entry::tcp_wscale_orig>(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL),
      field<&entry::tcp_wscale_reply>(CTA_PROTOINFO_TCP_WSCALE_REPLY),
      flags<&entry::tcp_flags_orig>(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL),
      flags<&entry::tcp_flags_reply>(CTA_PROTOINFO_TCP_FLAGS_REPLY),
  };
};

struct sctp_rows {
  static constexpr std::array<row<entry>, 3> rows{
      field<&entry::sctp_state>(CTA_PROTOINFO_SCTP_STATE),
      field<&entry::sctp_vtag_orig>(CTA_PROTOINFO_SCTP_VTAG_ORIGINAL),
      field<&entry::sctp_vtag_reply>(CTA_PROTOINFO_SCTP_VTAG_REPLY),
  };
};

struct dccp_rows {
  static constexpr std::array<row<entry>, 2> rows{
      field<&entry::dccp_state>(CTA_PROTOINFO_DCCP_STATE),
      field<&entry::dccp_role>(CTA_PROTOINFO_DCCP_ROLE),
  };
};

struct protoinfo_rows {
  static constexpr std::array<row<entry>, 3> rows{
      nest<entry, tcp_rows>(CTA_PROTOINFO_TCP),
      nest<entry, sctp_rows>(CTA_PROTOINFO_SCTP),
      nest<entry, dccp_rows>(CTA_PROTOINFO_DCCP),
  };
};

struct timestamp_rows {
  static constexpr std::array<row<entry>, 2> rows{
      field<&entry::timestamp_start>(CTA_TIMESTAMP_START),
      field<&entry::timestamp_stop>(CTA_TIMESTAMP_STOP),
  };
};

struct secctx_rows {
  static constexpr std::array<row<entry>, 1> rows{
      field<&entry::secctx>(CTA_SECCTX_NAME),
  };
};

struct help_rows {
  static constexpr std::array<row<entry>, 1> rows{
      field<&entry::helper>(CTA_HELP_NAME),
  };
};

// In the kernel's order (ctnetlink_fill_info): tuples, zone, id, status,
// then the extras.
constexpr std::array<row<entry>, 21> entry_rows{
    field<&entry::orig>(CTA_TUPLE_ORIG),
    field<&entry::reply>(CTA_TUPLE_REPLY),
    field<&entry::zone>(CTA_ZONE),
    field<&entry::id>(CTA_ID),
    field<&entry::status>(CTA_STATUS),
    field<&entry::status_mask>(CTA_STATUS_MASK),
    field<&entry::master>(CTA_TUPLE_MASTER),
    field<&entry::counters_orig>(CTA_COUNTERS_ORIG),
    field<&entry::counters_reply>(CTA_COUNTERS_REPLY),
    nest<entry, timestamp_rows>(CTA_TIMESTAMP),
    field<&entry::timeout>(CTA_TIMEOUT),
    field<&entry::mark>(CTA_MARK),
    field<&entry::mark_mask>(CTA_MARK_MASK),
    nest<entry, secctx_rows>(CTA_SECCTX),
    field<&entry::labels>(CTA_LABELS),
    field<&entry::labels_mask>(CTA_LABELS_MASK),
    nest<entry, protoinfo_rows>(CTA_PROTOINFO),
    nest<entry, help_rows>(CTA_HELP),
    field<&entry::seq_adj_orig>(CTA_SEQ_ADJ_ORIG),
    field<&entry::seq_adj_reply>(CTA_SEQ_ADJ_REPLY),
    field<&entry::use>(CTA_USE),
    // CTA_SYNPROXY and CTA_NAT_* are not decoded (skipped as unknown).
};

} // namespace detail

std::string ip_address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(version == 4 ? AF_INET : AF_INET6, bytes.data(), buf,
              sizeof(buf));
  return buf;
}

std::optional<ip_address> ip_address::parse(std::string_view text) {
  std::string s{text};
  ip_address a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.version = 4;
    return a;
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.version = 6;
    return a;
  }
  return std::nullopt;
}

entry decode_entry(nl::attr_reader& attrs) {
  entry out;
  detail::decode_rows<entry>(attrs, out, detail::entry_rows);
  return out;
}

result<entry> decode_entry(byte_view attrs) {
  nl::attr_reader r{attrs, "decode conntrack entry"};
  auto out = decode_entry(r);
  if (auto st = r.status(); !st)
    return std::move(st).err();
  return out;
}

void encode_entry(nl::message_writer& w, const entry& e) {
  detail::encode_rows<entry>(w, e, detail::entry_rows);
}

void encode_tuple(nl::message_writer& w, std::uint16_t type, const tuple& t) {
  detail::write_value(w, type, t);
}

std::uint8_t family_of(const tuple& t) noexcept {
  const auto& a = t.src ? t.src : t.dst;
  if (!a)
    return 0;
  return a->version == 4 ? AF_INET : AF_INET6;
}

} // namespace nfactor::ct
