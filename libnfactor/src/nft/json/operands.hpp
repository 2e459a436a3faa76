// SPDX-License-Identifier: Apache-2.0
//
// Internals of the JSON statement reader: operands (what a match, a map or
// a set statement looks at) and the matches built on them. operands.cpp
// reads operands and loads them into registers; matches.cpp reads
// matches and verdict maps; statements.cpp the other statements.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/nft/rule_builder.hpp"
#include "reader.hpp"

namespace nfactor::nft::json::detail {

/// One part of what a match or a map looks at: a packet field, or an
/// expression that loads a value (fib, numgen, socket, rt, exthdr, hash).
struct operand {
  std::string name;
  const front::field* fld = nullptr;
  /// The loading expression, when not a field (dreg set on use).
  std::optional<expression> load;
  /// A field whose dependencies the expression has too (an IPv6
  /// extension header needs IPv6).
  const front::field* needs = nullptr;
  std::uint32_t len = 0;
  const dtype* type = nullptr;
  /// What a hash hashes: loaded from NFT_REG_2 on, its register the
  /// hash's sreg (jhash).
  std::vector<operand> inputs;
  /// The bits of the field's bytes it looks at (0: all): a field of less
  /// than a byte (ip dscp), or `&` with a mask; a bitwise follows the load.
  std::uint64_t mask = 0;
  /// Where the field's value starts in them: values are shifted by it.
  int shift = 0;
};

/// A value of `o` as a number: a number, a symbol of its type, or a list
/// of symbols (flags: "ct state", "tcp flags") or'ed together.
std::uint64_t bits_of(const operand& o, const value& v, const std::string& path,
                      const context& cx);

/// The type called `name`; a logic error when the table lacks it.
const dtype& type_named(std::string_view name);

/// Whether `o`'s values are in network byte order: a payload field, a
/// network order key, or a loaded header field (exthdr).
bool big_endian(const operand& o);

/// `n` as the bytes of `o` (its length, its byte order).
byte_buffer operand_bytes(const operand& o, std::uint64_t n);

/// The operand `left` ({"payload": ...}, {"meta": ...}, ...).
operand read_operand(const value& left, const std::string& path);

/// The operands of `left`: one, or the parts of {"concat": [...]}.
std::vector<operand> read_operands(const value& left, const std::string& path);

/// The key type of a concatenation of `ops`.
key_type key_of(const std::vector<operand>& ops);

/// Loads `ops` into registers as nft does: dependencies first, then the
/// first part into reg 1, each further part into the next 32-bit
/// register. Returns the first register.
std::uint32_t load(front::rule_builder& rb, const std::vector<operand>& ops);

/// {"match": {"op", "left", "right"}}.
void read_match(const value& m, front::rule_builder& rb, const rule& r,
                const std::string& path, context& cx);

/// {"vmap": {"key": operand, "data": {"set": [...]} | "@m"}}.
void read_vmap(const value& v, front::rule_builder& rb, const rule& r,
               const std::string& path, context& cx);

} // namespace nfactor::nft::json::detail
