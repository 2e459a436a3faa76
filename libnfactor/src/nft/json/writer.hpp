// SPDX-License-Identifier: Apache-2.0
//
// Internals of the writer, the reverse of the reader: a rule's
// expressions → nft's JSON statements (what `nft -j list` shows), and
// those → nft syntax (what `nft monitor` prints). values.cpp writes
// values and set elements; write_loads.cpp, write_matches.cpp and
// write_statements.cpp the expressions (loads into registers, the
// matches on them, the other statements); text.cpp nft syntax.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nfactor/nft/json.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "reader.hpp"

namespace nfactor::nft::json::detail {

// -- values (values.cpp) ------------------------------------------------------

/// The integer in `b`, in `t`'s byte order (at most 8 bytes).
std::uint64_t number(const dtype& t, byte_view b);

/// A value of type `t` as nft lists it (hex bytes when `t` is null).
value scalar_json(const dtype* t, byte_view b);

/// An integer of `b.size()` bytes in the given byte order.
value integer_json(const dtype* t, byte_view b, bool big_endian);

/// A verdict: {"accept": null}, {"jump": {"target": "c"}}, ...
value verdict_json(const verdict& v);

/// The prefix length of [from, to] when it is one, else -1.
int prefix_len(const byte_buffer& from, const byte_buffer& to);

/// The key type of `s` from its NFTA_SET_KEY_TYPE.
key_type key_of_set(const set& s);

/// Elements as nft lists them: interval start/end pairs folded into
/// prefixes and ranges; map elements as [key, data].
value elements_json(const set& s, const std::vector<set_elem>& elems);

// -- expressions → statements -------------------------------------------------

/// What a register holds.
struct held {
  value operand;                     // {"payload": ...}, or null for a value
  const dtype* type = nullptr;       // type of what it holds
  const front::field* fld = nullptr; // the field, when it is one
  std::optional<data> imm;           // an immediate value
  std::optional<byte_buffer> mask;   // a bitwise mask applied to it
  std::uint32_t len = 0;
  /// Integer byte order differs from the type's (a field in network
  /// order, or a value turned by byteorder hton).
  std::optional<bool> big_endian;
  /// Adjacent fields nft loaded as one (tcp sport . dport in 4 bytes:
  /// payload_can_merge in nftables), each matched on its own.
  std::vector<held> parts;
  /// A field of less than its bytes: where its bits start in them.
  int shift = 0;
  /// The load (payload or exthdr) that put there bytes holding such
  /// fields (named when the bitwise that picks the field's bits comes).
  std::optional<expression> bytes_of = {};

  /// A register loaded by an expression that is not a field.
  static held loaded(value operand, const dtype* type, std::uint32_t len) {
    return held{std::move(operand), type, nullptr, {}, {}, len, {}, {}};
  }
};

/// Walks a rule's expressions and collects nft's statements for them.
class statement_writer {
 public:
  statement_writer(const rule& r, const set_finder& sets)
    : r_(r), sets_(sets),
      l3_(r.family == NFPROTO_IPV4 || r.family == NFPROTO_IPV6 ? r.family : 0) {
  }

  /// The "expr" array of the rule.
  value run();

 private:
  const rule& r_;
  const set_finder& sets_;
  value out_ = value::array();
  std::map<std::uint32_t, held> regs_;
  // Registers loaded since the last consumer, in order (concatenations).
  std::vector<std::uint32_t> loaded_;
  // Dependency matches held back until the next load shows whether nft
  // would have implied them, one per layer: meta iiftype ether (link);
  // ether type 8021q (frame);
  // meta nfproto, or meta protocol in bridge and netdev tables (network);
  // meta l4proto (transport). Each with the code a field must need to
  // imply it (ARPHRD_ETHER, NFPROTO_*, IPPROTO_*); a null match when none.
  enum layer { link, frame, network, transport, layers };
  struct held_dep {
    value match;
    std::uint32_t code = 0;
  };
  std::array<held_dep, layers> deps_;
  // The transport protocol the rule matched on last.
  std::uint8_t last_l4_ = 0;
  // The rule's network protocol: its table's (ip, ip6), or the last one
  // it checked (NFPROTO_*), 0 when none.
  std::uint8_t l3_ = 0;
  // The transport dependency flush_dep() listed last, and where in out_
  // (a set statement's field implies it after a hash loaded its value).
  std::uint8_t flushed_l4_ = 0;
  std::size_t flushed_at_ = 0;

  void emit(value v);
  // Match `m` of `h` `op` `v`: held when nft may have implied it (see
  // dependency()), else emitted.
  void match(value m, const held& h, std::string_view op, byte_view v);
  void flush_dep();
  // The layer and code of a dependency match `h` `op` `v` nft may have
  // implied, if it is one.
  static std::optional<std::pair<layer, std::uint32_t>>
  dependency(const held& h, std::string_view op, byte_view v);
  void put(std::uint32_t reg, held h);
  held take(std::uint32_t reg);
  void opaque(const expression& e);
  // A loaded field: drops a held dependency it implies.
  void load_field(std::uint32_t reg, const named_field& nf);
  // Drops the held dependencies a load of `nf` implies.
  void imply(const named_field& nf);
  // Drops the dependency held at `l` if its code is `code`.
  void implied(layer l, std::uint32_t code);
  // Drops the IPv6 dependency an IPv6 extension header's load implies.
  void implied_by(const expr::exthdr& x);
  // What a register loaded with `nf` holds.
  static held field_held(const named_field& nf);
  // The fields of one protocol that a load of `len` bytes at `offset` of
  // `base` covers, first to last, or none.
  std::vector<const named_field*> fields_covering(std::uint32_t base,
                                                  std::uint32_t offset,
                                                  std::uint32_t len) const;
  // The field of less than a byte whose bytes `p` loads (with `mask`:
  // whose bits it is).
  const named_field* sub_field(const expr::payload& p,
                               std::optional<std::uint64_t> mask) const;
  // A payload write (write_statements.cpp): {"mangle"} of a known field.
  void payload_write(const expr::payload& p, const expression& e);
  // The bitwise of nft's write of a byte under a checksum, when `e` is
  // the load of its 16-bit word, then the word's write follows.
  const expr::bitwise* word_rewrite(const expression& e) const;
  // The expression `n` places after `e` in the rule, or nullptr.
  const expression* next_to(const expression& e, std::ptrdiff_t n) const;
  // The first known field `p` accepts that fits the rule's transport
  // protocol (a tcp or udp port: the one the rule matched on; th when
  // it matched on none).
  template <class Pred>
  const named_field* field_where(const Pred& p) const {
    for (auto& nf : known_fields()) {
      if constexpr (std::is_invocable_v<const Pred&, const named_field&>) {
        if (!p(nf))
          continue;
      } else if (!p(*nf.fld)) {
        continue;
      }
      // tcp dport only after a tcp match, else th dport.
      auto l4 = deps_[transport].code ? deps_[transport].code : last_l4_;
      if (nf.fld->l4proto && nf.fld->l4proto != l4)
        continue;
      if (!nf.fld->l4proto && l4 &&
          nf.fld->from == front::field::source::payload &&
          nf.fld->key == NFT_PAYLOAD_TRANSPORT_HEADER)
        continue;
      // ip6 saddr not in an ip table, nor after an ipv4 check.
      if (nf.fld->nfproto && l3_ && nf.fld->nfproto != l3_)
        continue;
      return &nf;
    }
    return nullptr;
  }
  // {"mangle": {"key": key, "value": the value register `sreg` holds}}
  // (an immediate, or what an expression loaded: jhash, ...).
  void mangle(value key, const dtype* type, std::uint32_t sreg,
              const expression& e);
  // The name of the device whose index register `reg` holds, or null.
  value device(std::optional<std::uint32_t> reg);
  // The operand a lookup reads: one register or a concatenation.
  std::pair<value, key_type> lookup_key(std::uint32_t sreg);
  // A set reference: "@name", or an anonymous set's elements (of a field
  // of less than its bytes: moved down by `shift`).
  value set_ref(const std::string& name, int shift = 0);

  // write_loads.cpp
  void on(const expr::payload& p, const expression& e);
  void on(const expr::meta& m, const expression& e);
  void on(const expr::ct& c, const expression& e);
  void on(const expr::fib& fb, const expression& e);
  void on(const expr::numgen& n, const expression& e);
  void on(const expr::socket& s, const expression& e);
  void on(const expr::bitwise& b, const expression& e);
  void on(const expr::byteorder& bo, const expression& e);
  void on(const expr::immediate& im, const expression& e);
  void on(const expr::hash& h, const expression& e);
  void on(const expr::rt& rt, const expression& e);
  void on(const expr::exthdr& x, const expression& e);
  // write_matches.cpp
  void on(const expr::cmp& c, const expression& e);
  void on(const expr::range& rg, const expression& e);
  void on(const expr::lookup& l, const expression& e);
  // write_statements.cpp
  void on(const expr::counter& c, const expression& e);
  void on(const expr::objref& o, const expression& e);
  void on(const expr::log& l, const expression& e);
  void on(const expr::limit& l, const expression& e);
  void on(const expr::quota& q, const expression& e);
  void on(const expr::connlimit& c, const expression& e);
  void on(const expr::notrack& n, const expression& e);
  void on(const expr::masq& m, const expression& e);
  void on(const expr::redir& rd, const expression& e);
  void on(const expr::nat& n, const expression& e);
  void on(const expr::reject& rj, const expression& e);
  void on(const expr::queue& q, const expression& e);
  void on(const expr::dynset& d, const expression& e);
  void on(const expr::dup& d, const expression& e);
  void on(const expr::forward& fw, const expression& e);
  void on(const expr::synproxy& sp, const expression& e);
  // Any other expression: kept as its libnftnl rendering.
  template <class T>
  void on(const T&, const expression& e) {
    opaque(e);
  }
};

// -- statements → nft syntax (text.cpp) ---------------------------------------

/// One statement in nft syntax.
std::string statement_text(const value& st, std::uint8_t family);

/// A value in nft syntax (`hex`: marks as 0x%08x).
std::string value_text(const value& v, bool hex);

} // namespace nfactor::nft::json::detail
