// SPDX-License-Identifier: Apache-2.0
//
// `boxed<T>`: an optional value kept on the heap. It reads like
// `std::optional<T>` (bool test, `*`, `->`, `emplace`, `value_or`,
// assignment from T or nullopt, ==) but takes one pointer in its owner.
// Used for members that are rarely set yet large, so that the values
// decoded in bulk stay small: a verdict in a data register and bitwise's
// mask/xor/shift keep `nft::expression` at 112 bytes (a decoded 50k-rule
// commit touches 2.5 times less memory); the parsed conntrack entry costs
// an NFLOG event one pointer when absent.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace nfactor {

/// An optional `T` held on the heap (see the file comment).
template <class T>
class boxed {
 public:
  using value_type = T;

  boxed() noexcept = default;
  boxed(std::nullopt_t) noexcept {}
  boxed(const T& v) : p_(std::make_unique<T>(v)) {}
  boxed(T&& v) : p_(std::make_unique<T>(std::move(v))) {}
  boxed(const boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  boxed(boxed&&) noexcept = default;
  ~boxed() = default;

  boxed& operator=(const boxed& o) {
    if (this != &o)
      p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  boxed& operator=(boxed&&) noexcept = default;
  boxed& operator=(std::nullopt_t) noexcept {
    p_.reset();
    return *this;
  }
  boxed& operator=(const T& v) {
    emplace(v);
    return *this;
  }
  boxed& operator=(T&& v) {
    emplace(std::move(v));
    return *this;
  }

  /// Replaces the value with one made from `args`.
  template <class... Args>
  T& emplace(Args&&... args) {
    p_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *p_;
  }

  void reset() noexcept { p_.reset(); }

  [[nodiscard]] bool has_value() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

  T& operator*() noexcept { return *p_; }
  const T& operator*() const noexcept { return *p_; }
  T* operator->() noexcept { return p_.get(); }
  const T* operator->() const noexcept { return p_.get(); }

  /// The value, or `fallback` when empty.
  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const {
    return p_ ? *p_ : static_cast<T>(std::forward<U>(fallback));
  }

  friend bool operator==(const boxed& a, const boxed& b) {
    return a.has_value() == b.has_value() && (!a.p_ || *a.p_ == *b.p_);
  }
  friend bool operator==(const boxed& a, std::nullopt_t) noexcept {
    return !a.p_;
  }

 private:
  std::unique_ptr<T> p_;
};

} // namespace nfactor
