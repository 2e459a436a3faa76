// SPDX-License-Identifier: Apache-2.0
//
// nf_tables rules (NFT_MSG_NEWRULE / DELRULE): NFTA_RULE_TABLE,
// NFTA_RULE_CHAIN, NFTA_RULE_HANDLE, NFTA_RULE_POSITION (the handle of
// the rule it follows, in notifications), NFTA_RULE_EXPRESSIONS (nested
// list, see expr.hpp), NFTA_RULE_USERDATA (nft's TLVs: type u8, length
// u8, value; type 0 = comment).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nft/expr.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

/// A rule and its expressions.
struct rule {
  /// NFPROTO_* family (nfgenmsg).
  std::uint8_t family = 0;
  /// Table name.
  std::string table;
  /// Chain name.
  std::string chain;
  /// Kernel handle.
  std::optional<std::uint64_t> handle;
  /// Handle of the rule this one follows (insert/append position).
  std::optional<std::uint64_t> position;
  /// The expressions, in order.
  std::vector<expression> exprs;
  /// Opaque user data (nft's comment TLVs; see `comment()`).
  std::optional<byte_buffer> userdata;
  /// Rule id within a batch.
  std::optional<std::uint32_t> id;
  /// Position by rule id within a batch.
  std::optional<std::uint32_t> position_id;
  /// Chain by id (a chain created in the same batch).
  std::optional<std::uint32_t> chain_id;

  /// The comment stored in `userdata`, if any.
  [[nodiscard]] std::optional<std::string> comment() const;

  friend bool operator==(const rule&, const rule&) = default;
};

/// nft's user-data TLV holding `comment` (type 0, NUL-terminated).
[[nodiscard]] byte_buffer comment_userdata(std::string_view comment);

/// Decodes a NEWRULE or DELRULE message.
[[nodiscard]] result<rule> decode_rule(const nl::message& msg);

/// Writes the attributes of `r`.
void encode(nl::message_writer& w, const rule& r);

/// Appends a complete nf_tables message for `r` to `out`.
void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const rule& r);

} // namespace nfactor::nft
