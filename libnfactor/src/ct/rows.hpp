// SPDX-License-Identifier: Apache-2.0
//
// The ctnetlink attribute table (private to libnfactor). A struct lists its
// attributes once, in `rows_of<T>::rows`, one row per attribute:
//
//   field<&entry::mark>(CTA_MARK)        the member's type picks the wire
//                                        shape: a scalar (nl/scalars.hpp)
//                                        or a struct with its own rows
//                                        (nested); optional = when set
//   nest<entry, timestamp_rows>(CTA_TIMESTAMP)
//                                        a nest whose attributes fill
//                                        members of the same struct (kept
//                                        flat for users); written when any
//                                        of them is set
//   custom rows                          {type, read, write, present}
//
// One loop decodes (rows matched by type, unknown types skipped) and one
// encodes (rows in order, the kernel's dump order).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include "nfactor/bytes.hpp"
#include "nfactor/nl/attr.hpp"
#include "../nl/scalars.hpp"

namespace nfactor::ct::detail {

using reader = nl::attr_reader;
using writer = nl::message_writer;

/// One attribute of a `T`.
template <class T>
struct row {
  std::uint16_t type;
  void (*read)(reader&, T&);
  void (*write)(writer&, std::uint16_t, const T&);
  bool (*present)(const T&);
};

/// Specialize with `static constexpr std::array<row<T>, N> rows{...}` for
/// a struct that is encoded as a nest of its own.
template <class T>
struct rows_of;

template <class T>
concept has_rows = requires {
  rows_of<T>::rows;
};

template <class T>
void decode_rows(reader& r, T& obj, std::span<const row<T>> rows) {
  while (r.next())
    for (const auto& row : rows)
      if (row.type == r.type()) {
        row.read(r, obj);
        break;
      }
}

template <class T>
void encode_rows(writer& w, const T& obj, std::span<const row<T>> rows) {
  for (const auto& row : rows)
    if (row.present(obj))
      row.write(w, row.type, obj);
}

template <class T>
bool any_present(const T& obj, std::span<const row<T>> rows) {
  for (const auto& row : rows)
    if (row.present(obj))
      return true;
  return false;
}

template <class V>
void read_value(reader& r, V& v) {
  if constexpr (nl::attr_scalar<V>) {
    nl::read_scalar(r, v);
  } else {
    static_assert(has_rows<V>, "no wire shape for this member type");
    auto n = r.nested();
    decode_rows<V>(n, v, rows_of<V>::rows);
  }
}

template <class V>
void write_value(writer& w, std::uint16_t type, const V& v) {
  if constexpr (nl::attr_scalar<V>) {
    nl::write_scalar(w, type, v);
  } else {
    static_assert(has_rows<V>, "no wire shape for this member type");
    auto nest = w.begin_nested(type);
    encode_rows<V>(w, v, rows_of<V>::rows);
    w.end_nested(nest);
  }
}

template <class M>
struct member_of;
template <class T, class V>
struct member_of<V T::*> {
  using owner = T;
  using value = V;
};

template <class V>
struct optional_value {
  using type = V;
  static constexpr bool optional = false;
};
template <class V>
struct optional_value<std::optional<V>> {
  using type = V;
  static constexpr bool optional = true;
};

/// A row for member `Member`, encoded as its type says.
template <auto Member>
constexpr auto field(std::uint16_t type) {
  using T = typename member_of<decltype(Member)>::owner;
  using M = typename member_of<decltype(Member)>::value;
  using V = typename optional_value<M>::type;
  if constexpr (optional_value<M>::optional)
    return row<T>{type,
                  [](reader& r, T& o) { read_value(r, (o.*Member).emplace()); },
                  [](writer& w, std::uint16_t t, const T& o) {
                    write_value<V>(w, t, *(o.*Member));
                  },
                  [](const T& o) {
                    return (o.*Member).has_value();
                  }};
  else
    return row<T>{type, [](reader& r, T& o) { read_value(r, o.*Member); },
                  [](writer& w, std::uint16_t t, const T& o) {
                    write_value<V>(w, t, o.*Member);
                  },
                  [](const T&) {
                    return true;
                  }};
}

/// A nest whose attributes (`Table::rows`) fill members of the same `T`.
template <class T, class Table>
constexpr row<T> nest(std::uint16_t type) {
  return {type,
          [](reader& r, T& o) {
            auto n = r.nested();
            decode_rows<T>(n, o, Table::rows);
          },
          [](writer& w, std::uint16_t t, const T& o) {
            auto token = w.begin_nested(t);
            encode_rows<T>(w, o, Table::rows);
            w.end_nested(token);
          },
          [](const T& o) {
            return any_present<T>(o, Table::rows);
          }};
}

} // namespace nfactor::ct::detail
