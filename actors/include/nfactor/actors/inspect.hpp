// SPDX-License-Identifier: Apache-2.0
// Serialization glue for CAF 0.17's `inspect()`: its inspectors know
// caf::optional but not std::optional, so libnfactor's value types (which
// use std::optional and know nothing of CAF) go through these wrappers.
#pragma once

#include <optional>
#include <utility>

#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/none.hpp>

namespace nfactor::actors {

/// A reference to a `std::optional<T>` member, inspectable as (bool, T).
template <class T>
struct optional_field {
  std::optional<T>& ref;
};

/// Wraps `x` for use in an `inspect()` field list.
template <class T>
optional_field<T> opt(std::optional<T>& x) {
  return {x};
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, optional_field<T>& x) {
  bool present = x.ref.has_value();
  T value = present ? *x.ref : T{};
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
