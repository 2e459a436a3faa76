// SPDX-License-Identifier: Apache-2.0
//
// Rule expressions (<linux/netfilter/nf_tables.h>). In a rule, and in a
// dynset or set, every expression is a nested attribute:
//
//   NFTA_LIST_ELEM (nested)
//     NFTA_EXPR_NAME  "counter"
//     NFTA_EXPR_DATA  (nested) the kind's own attributes (NFTA_COUNTER_*)
//
// Every kind is one file in nft/expr/ and one alternative of
// `expression::variant`; `expr_kinds()` is built from that list, so the
// variant IS the registry (STYLE rule 3). Unknown kinds decode to
// `expr::opaque` and re-encode unchanged (rule 6).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "nfactor/error.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nft/data.hpp"
#include "nfactor/nft/expr/bitwise.hpp"
#include "nfactor/nft/expr/byteorder.hpp"
#include "nfactor/nft/expr/cmp.hpp"
#include "nfactor/nft/expr/connlimit.hpp"
#include "nfactor/nft/expr/counter.hpp"
#include "nfactor/nft/expr/ct.hpp"
#include "nfactor/nft/expr/dup.hpp"
#include "nfactor/nft/expr/dynset.hpp"
#include "nfactor/nft/expr/exthdr.hpp"
#include "nfactor/nft/expr/fib.hpp"
#include "nfactor/nft/expr/forward.hpp"
#include "nfactor/nft/expr/hash.hpp"
#include "nfactor/nft/expr/immediate.hpp"
#include "nfactor/nft/expr/limit.hpp"
#include "nfactor/nft/expr/log.hpp"
#include "nfactor/nft/expr/lookup.hpp"
#include "nfactor/nft/expr/masq.hpp"
#include "nfactor/nft/expr/meta.hpp"
#include "nfactor/nft/expr/nat.hpp"
#include "nfactor/nft/expr/notrack.hpp"
#include "nfactor/nft/expr/numgen.hpp"
#include "nfactor/nft/expr/objref.hpp"
#include "nfactor/nft/expr/opaque.hpp"
#include "nfactor/nft/expr/payload.hpp"
#include "nfactor/nft/expr/queue.hpp"
#include "nfactor/nft/expr/quota.hpp"
#include "nfactor/nft/expr/range.hpp"
#include "nfactor/nft/expr/redir.hpp"
#include "nfactor/nft/expr/reject.hpp"
#include "nfactor/nft/expr/rt.hpp"
#include "nfactor/nft/expr/socket.hpp"
#include "nfactor/nft/expr/synproxy.hpp"

namespace nfactor::nft {

/// One rule expression: one of the known kinds, or `expr::opaque`.
struct expression {
  /// Every known kind, then `opaque` last. Adding a kind = one file in
  /// nft/expr/ and one entry here.
  using variant =
      std::variant<expr::payload, expr::meta, expr::cmp, expr::bitwise,
                   expr::immediate, expr::counter, expr::log, expr::limit,
                   expr::lookup, expr::ct, expr::range, expr::reject, expr::nat,
                   expr::masq, expr::redir, expr::queue, expr::notrack,
                   expr::dynset, expr::quota, expr::objref, expr::connlimit,
                   expr::fib, expr::rt, expr::socket, expr::exthdr,
                   expr::byteorder, expr::numgen, expr::hash, expr::dup,
                   expr::forward, expr::synproxy, expr::opaque>;

  variant value;

  expression() = default;

  /// Wraps one kind (implicit, so rules read `{expr::counter{}, ...}`).
  template <class T, class = std::enable_if_t<
                         std::is_constructible_v<variant, T&&> &&
                         !std::is_same_v<std::decay_t<T>, expression>>>
  expression(T&& x) : value(std::forward<T>(x)) {}

  /// The kind's kernel name ("counter", or the opaque expression's name).
  [[nodiscard]] std::string_view name() const noexcept;

  /// The alternative `T`, or nullptr.
  template <class T>
  [[nodiscard]] const T* get_if() const noexcept {
    return std::get_if<T>(&value);
  }

  friend bool operator==(const expression&, const expression&) = default;
};

/// Describes one expression kind: its kernel name and its codec. The
/// functions take the NFTA_EXPR_DATA contents.
struct expr_kind {
  /// Kernel name (NFTA_EXPR_NAME).
  std::string_view name;
  /// Index of the kind in `expression::variant`.
  std::size_t index;
  /// Whether the kernel sends NFTA_EXPR_DATA for this kind (false for
  /// kinds without attributes, such as notrack).
  bool has_data;
  /// Writes the kind's attributes (inside NFTA_EXPR_DATA).
  void (*encode)(const expression&, nl::message_writer&);
  /// Reads the kind's attributes from NFTA_EXPR_DATA; problems go to the
  /// reader's error slot.
  void (*decode)(nl::attr_reader&, expression&);
  /// Appends the libnftnl rendering ("[ counter pkts 0 bytes 0 ]").
  void (*render)(const expression&, std::string&);
};

/// Every known kind, in `expression::variant` order (without opaque).
[[nodiscard]] std::span<const expr_kind* const> expr_kinds() noexcept;

/// The kind called `name` in the kernel, or nullptr.
[[nodiscard]] const expr_kind* find_expr_kind(std::string_view name) noexcept;

/// Writes NFTA_EXPR_NAME and NFTA_EXPR_DATA of `e` (the caller opened the
/// enclosing NFTA_LIST_ELEM / NFTA_*_EXPR nest).
void encode_expression(nl::message_writer& w, const expression& e);

/// Reads one expression from the attributes inside an NFTA_LIST_ELEM
/// (NFTA_EXPR_NAME, NFTA_EXPR_DATA); errors go to the reader's slot.
void decode_expression(nl::attr_reader elem, expression& out);

/// Writes `list` as the nested list attribute `type` (NFTA_RULE_EXPRESSIONS,
/// NFTA_SET_EXPRESSIONS, ...): one NFTA_LIST_ELEM per expression.
void encode_expressions(nl::message_writer& w, std::uint16_t type,
                        const std::vector<expression>& list);

/// Reads a nested list of expressions; errors go to the reader's slot.
void decode_expressions(nl::attr_reader list, std::vector<expression>& out);

/// Decodes the expression list in `bytes` (the payload of
/// NFTA_RULE_EXPRESSIONS).
[[nodiscard]] result<std::vector<expression>>
decode_expressions(byte_view bytes);

/// The libnftnl rendering of `e`: "[ counter pkts 0 bytes 0 ]".
[[nodiscard]] std::string render(const expression& e);

/// The libnftnl rendering of a list, one expression per line, each line
/// starting with two spaces (the layout of `nft --debug=netlink`).
[[nodiscard]] std::string render(const std::vector<expression>& list);

} // namespace nfactor::nft
