// SPDX-License-Identifier: Apache-2.0
//
// nf_tables data registers (<linux/netfilter/nf_tables.h>): a nested
// attribute (NFTA_CMP_DATA, NFTA_IMMEDIATE_DATA, NFTA_SET_ELEM_KEY, ...)
// that holds either
//
//   NFTA_DATA_VALUE    raw bytes, in the byte order of the packet field
//   NFTA_DATA_VERDICT  nested: NFTA_VERDICT_CODE (s32 BE, NF_ACCEPT,
//                      NFT_JUMP, ...), NFTA_VERDICT_CHAIN (string) or
//                      NFTA_VERDICT_CHAIN_ID (u32 BE)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nfactor/bytes.hpp"
#include "nfactor/boxed.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::nft {

/// A verdict: NF_ACCEPT, NF_DROP, NF_QUEUE or one of NFT_CONTINUE,
/// NFT_BREAK, NFT_JUMP, NFT_GOTO, NFT_RETURN, with the target chain for
/// jump and goto.
struct verdict {
  /// The verdict code (host order; the negative NFT_* codes included).
  std::int32_t code = 0;
  /// Target chain of NFT_JUMP / NFT_GOTO.
  std::optional<std::string> chain;
  /// Target chain by id (a chain created in the same batch).
  std::optional<std::uint32_t> chain_id;

  friend bool operator==(const verdict&, const verdict&) = default;
};

/// The value of a data register: bytes, or a verdict.
struct data {
  /// The bytes (NFTA_DATA_VALUE); empty for a verdict.
  byte_buffer value;
  /// The verdict (NFTA_DATA_VERDICT), if this is one (held on the heap:
  /// most data registers are values, and `data` is in every cmp).
  boxed<nft::verdict> verdict;

  friend bool operator==(const data&, const data&) = default;
};

/// A data value from raw bytes (already in wire order).
[[nodiscard]] data make_value(byte_view bytes);

/// A data value holding `v` in network byte order (big-endian), `len`
/// bytes wide (1, 2, 4 or 8).
[[nodiscard]] data make_be(std::uint64_t v, std::size_t len);

/// A data value holding `v` in host byte order (meta mark, ct mark, ...).
[[nodiscard]] data make_u32(std::uint32_t v);

/// A data value holding `s` NUL-padded to `len` bytes (interface names:
/// 16 bytes).
[[nodiscard]] data make_string(std::string_view s, std::size_t len = 16);

/// A verdict data value (`code` is NF_ACCEPT, NFT_JUMP, ...).
[[nodiscard]] data make_verdict(std::int32_t code,
                                std::optional<std::string> chain = {});

/// Writes `d` as the nested attribute `type`.
void encode_data(nl::message_writer& w, std::uint16_t type, const data& d);

/// Reads a data register from `nested` (the nested attribute's reader);
/// errors go to the reader's error slot.
void decode_data(nl::attr_reader nested, data& out);

/// The name libnftnl prints for verdict `code` ("accept", "jump", ...).
[[nodiscard]] std::string_view verdict_name(std::int32_t code) noexcept;

/// Renders like libnftnl: "0x0100a8c0 " per 32-bit word (host order) for
/// values, "accept " / "jump -> chain " for verdicts.
void render_data(const data& d, std::string& out);

} // namespace nfactor::nft
