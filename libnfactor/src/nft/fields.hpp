// SPDX-License-Identifier: Apache-2.0
//
// Table-driven attribute codecs (private to libnfactor). A kind lists its
// attributes once, as rows `field(NFTA_COUNTER_BYTES, &counter::bytes)`;
// the member's C++ type picks the wire shape (STYLE rules 4 and 7):
//
//   std::uint8_t             u8
//   std::uint16_t/32/64      u16/u32/u64 big-endian
//   std::int32_t             s32 big-endian
//   std::string              NUL-terminated string
//   byte_buffer              raw bytes
//   nft::data                nested data register (NFTA_DATA_*)
//   nft::expression          nested NFTA_EXPR_NAME + NFTA_EXPR_DATA
//   std::vector<X>           nested list, one `elem` attribute per item
//   std::optional<X>         X when set, nothing when not
//   struct with fields_of<>  nested, encoded by its own rows
//
// Rows are written in the order listed (the kernel's dump order, so a
// decoded kernel message re-encodes to the same bytes); on decode, rows
// are matched by type and unknown attributes are skipped (rule 6).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <linux/netfilter/nf_tables.h>

#include "nfactor/bytes.hpp"
#include "nfactor/nft/data.hpp"
#include "nfactor/nft/expr.hpp"
#include "nfactor/nl/attr.hpp"
#include "../nl/scalars.hpp"

namespace nfactor::nft::detail {

/// One attribute row: its type, the member it fills, and for lists the
/// type of each element attribute.
template <class T, class M>
struct field_row {
  std::uint16_t type;
  M T::*member;
  std::uint16_t elem;
};

template <class T, class M>
constexpr field_row<T, M> field(std::uint16_t type, M T::*member,
                                std::uint16_t elem = 0) {
  return {type, member, elem};
}

/// Rows of a struct that is encoded nested inside another one; specialize
/// with `static constexpr auto rows = std::tuple{...}`.
template <class T>
struct fields_of;

/// A verdict (NFTA_DATA_VERDICT in a data register, NFTA_TRACE_VERDICT in
/// a trace event).
template <>
struct fields_of<verdict> {
  static constexpr auto rows =
      std::tuple{field(NFTA_VERDICT_CODE, &verdict::code),
                 field(NFTA_VERDICT_CHAIN, &verdict::chain),
                 field(NFTA_VERDICT_CHAIN_ID, &verdict::chain_id)};
};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_optional<boxed<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

template <class T, class Rows>
void encode_rows(const T& obj, nl::message_writer& w, const Rows& rows);

template <class T, class Rows>
void decode_rows(nl::attr_reader& r, T& obj, const Rows& rows);

template <class V>
void put(nl::message_writer& w, std::uint16_t type, const V& v,
         std::uint16_t elem) {
  if constexpr (is_optional<V>::value) {
    if (v)
      put(w, type, *v, elem);
  } else if constexpr (nl::attr_scalar<V>) {
    nl::write_scalar(w, type, v);
  } else if constexpr (std::is_same_v<V, nft::data>) {
    encode_data(w, type, v);
  } else if constexpr (std::is_same_v<V, nft::expression>) {
    auto nest = w.begin_nested(type);
    encode_expression(w, v);
    w.end_nested(nest);
  } else if constexpr (is_vector<V>::value) {
    auto nest = w.begin_nested(type);
    for (const auto& x : v)
      put(w, elem, x, 0);
    w.end_nested(nest);
  } else {
    auto nest = w.begin_nested(type);
    encode_rows(v, w, fields_of<V>::rows);
    w.end_nested(nest);
  }
}

template <class V>
void get(nl::attr_reader& r, V& v, std::uint16_t elem) {
  if constexpr (is_optional<V>::value) {
    v.emplace();
    get(r, *v, elem);
  } else if constexpr (nl::attr_scalar<V>) {
    nl::read_scalar(r, v);
  } else if constexpr (std::is_same_v<V, nft::data>) {
    decode_data(r.nested(), v);
  } else if constexpr (std::is_same_v<V, nft::expression>) {
    decode_expression(r.nested(), v);
  } else if constexpr (is_vector<V>::value) {
    // Count first: one allocation per list (rules hold many large
    // expressions, and growth by doubling dominated dump decoding).
    std::size_t count = 0;
    for (auto probe = nl::attr_reader{r.bytes()}; probe.next();)
      count += probe.type() == elem;
    v.reserve(v.size() + count);
    auto n = r.nested();
    while (n.next())
      if (n.type() == elem)
        get(n, v.emplace_back(), 0);
  } else {
    auto n = r.nested();
    decode_rows(n, v, fields_of<V>::rows);
  }
}

/// Writes every row of `obj` in order.
template <class T, class Rows>
void encode_rows(const T& obj, nl::message_writer& w, const Rows& rows) {
  std::apply(
      [&](const auto&... f) { (put(w, f.type, obj.*f.member, f.elem), ...); },
      rows);
}

/// Reads the current attribute of `r` into the row of `obj` with its
/// type; false if no row matches.
template <class T, class Rows>
bool match_row(nl::attr_reader& r, T& obj, const Rows& rows) {
  auto t = r.type();
  return std::apply(
      [&](const auto&... f) {
        return ((f.type == t ? (get(r, obj.*f.member, f.elem), true) : false) ||
                ...);
      },
      rows);
}

/// Reads attributes from `r` into the matching rows of `obj`.
template <class T, class Rows>
void decode_rows(nl::attr_reader& r, T& obj, const Rows& rows) {
  while (r.next())
    match_row(r, obj, rows);
}

template <class T, class V>
struct index_of;
template <class T, class... Ts>
struct index_of<T, std::variant<Ts...>> {
  static constexpr std::size_t value = [] {
    std::size_t i = 0;
    (void)((std::is_same_v<T, Ts> ? false : (++i, true)) && ...);
    return i;
  }();
};

/// A descriptor for kind `T` whose attributes are `*Rows` and whose
/// rendering is `Render`.
template <class T, const auto* Rows, void (*Render)(const T&, std::string&)>
expr_kind make_kind(std::string_view name) {
  constexpr std::size_t index = index_of<T, expression::variant>::value;
  return expr_kind{name,
                   index,
                   std::tuple_size_v<std::decay_t<decltype(*Rows)>> > 0,
                   [](const expression& e, nl::message_writer& w) {
                     encode_rows(std::get<T>(e.value), w, *Rows);
                   },
                   [](nl::attr_reader& r, expression& e) {
                     T x{};
                     decode_rows(r, x, *Rows);
                     e.value = std::move(x);
                   },
                   [](const expression& e, std::string& out) {
                     Render(std::get<T>(e.value), out);
                   }};
}

/// Appends `v` in decimal.
inline void num(std::string& out, std::uint64_t v) {
  out += std::to_string(v);
}

/// Appends `v` as "0x%x".
void hex(std::string& out, std::uint64_t v);

/// A value to append in hex ("0x%x").
struct hexnum {
  std::uint64_t v;
};

inline void cat1(std::string& out, std::string_view s) {
  out += s;
}
inline void cat1(std::string& out, const char* s) {
  out += s;
}
inline void cat1(std::string& out, const std::string& s) {
  out += s;
}
inline void cat1(std::string& out, hexnum h) {
  hex(out, h.v);
}
inline void cat1(std::string& out, const nft::data& d) {
  render_data(d, out);
}
template <class N, class = std::enable_if_t<std::is_integral_v<N>>>
void cat1(std::string& out, N n) {
  if constexpr (std::is_signed_v<N>)
    out += std::to_string(static_cast<long long>(n));
  else
    out += std::to_string(static_cast<unsigned long long>(n));
}

/// Appends every argument: strings as is, integers in decimal, `hexnum`
/// in hex, data registers the libnftnl way.
template <class... Ts>
void cat(std::string& out, const Ts&... xs) {
  (cat1(out, xs), ...);
}

/// Appends " NAME reg N" for each register that is set, then "flags 0x.."
/// (the tail nat, masq and redir share in libnftnl's rendering).
inline void nat_regs(std::string& out, std::string_view names,
                     std::initializer_list<std::optional<std::uint32_t>> regs,
                     std::optional<std::uint32_t> flags) {
  for (const auto& reg : regs) {
    auto name = names.substr(0, names.find(' '));
    names.remove_prefix(std::min(names.size(), name.size() + 1));
    if (reg)
      cat(out, name, " reg ", *reg, " ");
  }
  if (flags)
    cat(out, "flags ", hexnum{*flags}, " ");
  out += "]";
}

/// `names[i]` or "unknown".
template <std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names,
                         std::uint64_t i) {
  return i < N && !names[i].empty() ? names[i] : std::string_view{"unknown"};
}

} // namespace nfactor::nft::detail
