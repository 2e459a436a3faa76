// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/trace.hpp"

#include <tuple>

#include <arpa/inet.h>

#include <linux/netfilter.h>

#include "object_codec.hpp"

namespace nfactor::nft {

namespace {

using namespace detail;

// The conntrack attributes are newer than Debian 12's uapi header (6.1),
// which stops at NFTA_TRACE_PAD (17): they are numbered here as the newer
// header numbers them (sent by 6.18 here).
#ifdef NFTA_TRACE_CT_ID
constexpr std::uint16_t trace_ct_id = NFTA_TRACE_CT_ID;
constexpr std::uint16_t trace_ct_direction = NFTA_TRACE_CT_DIRECTION;
constexpr std::uint16_t trace_ct_status = NFTA_TRACE_CT_STATUS;
constexpr std::uint16_t trace_ct_state = NFTA_TRACE_CT_STATE;
#else
constexpr std::uint16_t trace_ct_id = NFTA_TRACE_PAD + 1;
constexpr std::uint16_t trace_ct_direction = NFTA_TRACE_PAD + 2;
constexpr std::uint16_t trace_ct_status = NFTA_TRACE_PAD + 3;
constexpr std::uint16_t trace_ct_state = NFTA_TRACE_PAD + 4;
#endif

// The kernel's order (nft_trace_notify, measured on 6.18): the link-layer
// header follows the transport header.
constexpr auto rows = std::tuple{
    field(NFTA_TRACE_NFPROTO, &trace_event::nfproto),
    field(NFTA_TRACE_TYPE, &trace_event::type),
    field(NFTA_TRACE_ID, &trace_event::id),
    field(NFTA_TRACE_CHAIN, &trace_event::chain),
    field(NFTA_TRACE_TABLE, &trace_event::table),
    field(NFTA_TRACE_RULE_HANDLE, &trace_event::rule_handle),
    field(NFTA_TRACE_VERDICT, &trace_event::verdict),
    field(NFTA_TRACE_POLICY, &trace_event::policy),
    field(NFTA_TRACE_MARK, &trace_event::mark),
    field(NFTA_TRACE_IIF, &trace_event::iif),
    field(NFTA_TRACE_IIFTYPE, &trace_event::iif_type),
    field(NFTA_TRACE_OIF, &trace_event::oif),
    field(NFTA_TRACE_OIFTYPE, &trace_event::oif_type),
    field(NFTA_TRACE_NETWORK_HEADER, &trace_event::network_header),
    field(NFTA_TRACE_TRANSPORT_HEADER, &trace_event::transport_header),
    field(NFTA_TRACE_LL_HEADER, &trace_event::ll_header),
    field(trace_ct_state, &trace_event::ct_state),
    field(trace_ct_direction, &trace_event::ct_direction),
    field(trace_ct_id, &trace_event::ct_id),
    field(trace_ct_status, &trace_event::ct_status)};

} // namespace

std::string_view to_string(trace_type t) noexcept {
  switch (t) {
  case trace_type::policy:
    return "policy";
  case trace_type::ret:
    return "return";
  case trace_type::rule:
    return "rule";
  default:
    return "unknown";
  }
}

bool is_trace(const nl::message& m) noexcept {
  auto t = nfnl::split_type(m.type);
  return t.subsys == NFNL_SUBSYS_NFTABLES && t.msg == NFT_MSG_TRACE;
}

result<trace_event> decode_trace(const nl::message& msg) {
  return decode_message<trace_event>(
      msg, NFT_MSG_TRACE, NFT_MSG_TRACE, "decode trace",
      [](nl::attr_reader& r, trace_event& x) { decode_rows(r, x, rows); });
}

void encode(nl::message_writer& w, const trace_event& e) {
  encode_rows(e, w, rows);
}

void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const trace_event& e) {
  append_message(out, msg, flags, seq, e);
}

bool ends_base_chain(const trace_event& e) noexcept {
  if (e.kind() == trace_type::policy)
    return true;
  if (e.kind() != trace_type::rule || !e.verdict)
    return false;
  // NF_QUEUE carries the queue number in the upper bits.
  switch (static_cast<std::uint32_t>(e.verdict->code) & NF_VERDICT_MASK) {
  case NF_ACCEPT:
  case NF_DROP:
  case NF_QUEUE:
  case NF_STOLEN:
    return e.verdict->code >= 0;
  default:
    return false;
  }
}

} // namespace nfactor::nft
