// SPDX-License-Identifier: Apache-2.0
// Serialization glue for CAF 0.17's `inspect()`: its inspectors know
// caf::optional but not std::optional, so libnfactor's value types (which
// use std::optional or nfactor::boxed and know nothing of CAF) go through
// these wrappers.
#pragma once

#include <optional>
#include <utility>

#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/none.hpp>

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

} // namespace nfactor::actors
