// SPDX-License-Identifier: Apache-2.0
// Serialization glue for CAF 0.17's `inspect()`: its inspectors know
// caf::optional but not std::optional, and no enums, so libnfactor's value
// types (which use std::optional, nfactor::boxed and enums and know nothing
// of CAF) go through these wrappers.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/none.hpp>
#include <caf/sec.hpp>

#include "nfactor/boxed.hpp"

namespace nfactor::actors {

/// A reference to a `std::optional<T>` or `nfactor::boxed<T>` member,
/// inspectable as (bool, T).
template <class Holder>
struct optional_field {
  Holder& ref;
};

/// Wraps `x` for use in an `inspect()` field list.
template <class T>
optional_field<std::optional<T>> opt(std::optional<T>& x) {
  return {x};
}

/// Wraps `x` for use in an `inspect()` field list.
template <class T>
optional_field<boxed<T>> opt(boxed<T>& x) {
  return {x};
}

template <class Inspector, class Holder>
typename Inspector::result_type inspect(Inspector& f,
                                        optional_field<Holder>& x) {
  using value_type = typename Holder::value_type;
  bool present = x.ref.has_value();
  value_type value = present ? *x.ref : value_type{};
  auto restore = caf::meta::load_callback([&]() -> caf::error {
    if (present)
      x.ref = std::move(value);
    else
      x.ref.reset();
    return caf::none;
  });
  return f(present, value, restore);
}

/// A reference to an enum member, inspectable as its underlying number.
/// With `last`, loading a number above it fails with
/// `sec::invalid_argument` and the text `what`.
template <class Enum>
struct number_field {
  Enum& ref;
  std::optional<Enum> last;
  const char* what;
};

/// Wraps `x` for use in an `inspect()` field list; any number loads.
template <class Enum>
number_field<Enum> as_number(Enum& x) {
  return {x, std::nullopt, nullptr};
}

/// Wraps `x`; numbers above `last` do not load (`what` says why).
template <class Enum>
number_field<Enum> as_number(Enum& x, Enum last, const char* what) {
  return {x, last, what};
}

template <class Inspector, class Enum>
typename Inspector::result_type inspect(Inspector& f, number_field<Enum>& x) {
  using number = std::underlying_type_t<Enum>;
  auto n = static_cast<number>(x.ref);
  auto restore = caf::meta::load_callback([&]() -> caf::error {
    if (x.last && n > static_cast<number>(*x.last))
      return caf::make_error(caf::sec::invalid_argument, x.what);
    x.ref = static_cast<Enum>(n);
    return caf::none;
  });
  return f(n, restore);
}

} // namespace nfactor::actors
