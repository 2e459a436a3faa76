// SPDX-License-Identifier: Apache-2.0
//
// Conntrack expectations (NFNL_SUBSYS_CTNETLINK_EXP, CTA_EXPECT_* in
// <linux/netfilter/nfnetlink_conntrack.h>): the connections a helper (ftp,
// sip, tftp, ...) announces before they come, so the kernel can relate
// them to their master. Messages are
//
//   nlmsghdr (NFNL_SUBSYS_CTNETLINK_EXP << 8 | IPCTNL_MSG_EXP_*) |
//   nfgenmsg (family of the expected tuple) |
//   CTA_EXPECT_TUPLE  { tuple }   the expected connection
//   CTA_EXPECT_MASK   { tuple }   which of its fields must match
//   CTA_EXPECT_MASTER { tuple }   the master's original tuple
//   CTA_EXPECT_NAT    { CTA_EXPECT_NAT_DIR BE32, CTA_EXPECT_NAT_TUPLE }
//   CTA_EXPECT_TIMEOUT BE32 s  CTA_EXPECT_ID BE32  CTA_EXPECT_FLAGS BE32
//   CTA_EXPECT_CLASS BE32  CTA_EXPECT_HELP_NAME string  CTA_EXPECT_FN
//   string  CTA_EXPECT_ZONE BE16
//
// A tuple is the entry's tuple nest (ct/entry.hpp), read and written by
// the same table. Events: IPCTNL_MSG_EXP_NEW with NLM_F_CREATE|NLM_F_EXCL
// (NFNLGRP_CONNTRACK_EXP_NEW) and IPCTNL_MSG_EXP_DELETE
// (NFNLGRP_CONNTRACK_EXP_DESTROY; kernel 6.18 sends no EXP_UPDATE); dump
// parts are IPCTNL_MSG_EXP_NEW with NLM_F_MULTI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/ct/entry.hpp"
#include "nfactor/ct/message.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::ct {

/// The parsed attributes of an expectation. Every member is optional: the
/// kernel leaves out what does not apply (NAT without NAT, the helper of
/// an expectation made from user space, the zone outside requests).
struct expectation {
  /// The master connection's original tuple (CTA_EXPECT_MASTER).
  std::optional<tuple> master;
  /// The expected connection (CTA_EXPECT_TUPLE); fields the mask clears
  /// are wildcards (0 here), e.g. the source port of an FTP data
  /// connection.
  std::optional<tuple> expected;
  /// Which bits of `expected` a new connection must match
  /// (CTA_EXPECT_MASK): all-ones addresses and ports are exact, 0 any.
  std::optional<tuple> mask;
  /// Seconds until it expires (CTA_EXPECT_TIMEOUT).
  std::optional<std::uint32_t> timeout;
  /// Expectation id (CTA_EXPECT_ID); stable for its life.
  std::optional<std::uint32_t> id;
  /// Name of the master's helper (CTA_EXPECT_HELP_NAME, e.g. "ftp").
  std::optional<std::string> helper;
  /// Conntrack zone (CTA_EXPECT_ZONE; requests).
  std::optional<std::uint16_t> zone;
  /// NF_CT_EXPECT_* bits (CTA_EXPECT_FLAGS: 1 permanent, 2 inactive, 4
  /// created from user space).
  std::optional<std::uint32_t> flags;
  /// The helper's expectation class (CTA_EXPECT_CLASS; 0 default, e.g.
  /// SIP's signalling/audio/video).
  std::optional<std::uint32_t> expect_class;
  /// NAT: the direction (CTA_EXPECT_NAT_DIR, IP_CT_DIR_*) and the tuple
  /// the expected connection is mangled to (CTA_EXPECT_NAT_TUPLE).
  std::optional<std::uint32_t> nat_dir;
  std::optional<tuple> nat_tuple;
  /// The helper function that sets the expected connection up
  /// (CTA_EXPECT_FN, e.g. "nat-follow-master").
  std::optional<std::string> function;

  friend bool operator==(const expectation&, const expectation&) = default;
};

/// One expectation message: an event or a part of a dump.
struct exp_event {
  /// `created` (NEW, or listed by a dump) or `destroyed` (DESTROY:
  /// expired, used, replaced, deleted or flushed).
  change kind = change::created;
  /// Layer-3 family of the expected tuple (AF_INET, AF_INET6).
  std::uint8_t family = 0;
  expectation exp;

  friend bool operator==(const exp_event&, const exp_event&) = default;
};

/// Reads the CTA_EXPECT_* attributes of `attrs`; errors go to `attrs`'
/// error slot, unknown attributes are skipped.
expectation decode_expectation(nl::attr_reader& attrs);

/// Appends the set members of `e` as CTA_EXPECT_* attributes, in the
/// kernel's order (ctnetlink_exp_dump_expect).
void encode_expectation(nl::message_writer& w, const expectation& e);

/// True for a message of the expectation subsystem.
[[nodiscard]] bool is_expectation_message(const nl::message& msg) noexcept;

/// Decodes an IPCTNL_MSG_EXP_NEW or _DELETE message; an error for other
/// types, a short header or a malformed attribute.
[[nodiscard]] result<exp_event> decode_exp_event(const nl::message& msg);

/// Appends `ev` as the kernel sends it (the inverse of `decode_exp_event`:
/// an event message, or a dump part when `multi`).
void append_exp_event(byte_buffer& out, const exp_event& ev,
                      std::uint32_t seq = 0, bool multi = false);

/// A dump request for the expectations of `family` (IPCTNL_MSG_EXP_GET,
/// NLM_F_DUMP; 0: both families), what `conntrack -L expect` sends.
[[nodiscard]] result<byte_buffer> exp_dump_request(std::uint8_t family,
                                                   std::uint32_t seq);

/// A request that deletes the expectation whose expected tuple is
/// `expected` (complete: addresses, l4proto, ports; a wildcard port is 0)
/// (IPCTNL_MSG_EXP_DELETE, NLM_F_ACK); with `id`, only if it still has
/// that id. ENOENT from the kernel when there is none.
[[nodiscard]] result<byte_buffer>
exp_delete_request(const tuple& expected, std::optional<std::uint32_t> id,
                   std::optional<std::uint16_t> zone, std::uint32_t seq);

/// A request that deletes every expectation, or only those whose master's
/// helper is `helper` when given (IPCTNL_MSG_EXP_DELETE without a tuple,
/// NLM_F_ACK). The kernel flushes both families (it ignores nfgenmsg's).
[[nodiscard]] result<byte_buffer>
exp_flush_request(const std::optional<std::string>& helper, std::uint32_t seq);

} // namespace nfactor::ct
