// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace nfactor {

/// Error conditions that nfactor itself detects (kernel errnos travel in
/// `std::system_category()` instead). Values are stable: never renumber or
/// reuse one, because they cross CAF nodes as integers.
enum class errc : std::uint8_t {
  /// A buffer ended before the header or attribute it should hold.
  truncated = 1,
  /// An attribute had the wrong length or shape for its type.
  bad_attribute = 2,
  /// A netlink message header was inconsistent (length, type).
  bad_message = 3,
  /// A reply did not match the request (sequence, port id or type).
  unexpected_reply = 4,
  /// The kernel flagged a dump as interrupted (NLM_F_DUMP_INTR).
  dump_interrupted = 5,
  /// A caller passed an option or value outside its documented range.
  invalid_argument = 6,
  /// No reply arrived within the allowed time.
  timeout = 7,
  /// The receive buffer overflowed and messages were lost (ENOBUFS).
  overrun = 8,
  /// A guarded batch lost the race: the ruleset generation moved (ERESTART).
  conflict = 9,
  /// A multipart reply ended without NLMSG_DONE.
  incomplete = 10,
  /// A consistent snapshot could not be taken within the retry budget.
  inconsistent = 11,
  /// The peer (socket or actor) is closed.
  closed = 12,
  /// The object (group, table, ...) is owned by somebody else.
  busy = 13,
  /// An actor failed or went away; the detail holds CAF's account.
  actor_failure = 14,
};

/// The category of nfactor's own error conditions.
const std::error_category& nfactor_category() noexcept;

/// Makes `e` a `std::error_code` in `nfactor_category()`.
std::error_code make_error_code(errc e) noexcept;

/// Makes `err` (a positive errno) a `std::error_code` in the system category.
inline std::error_code errno_code(int err) noexcept {
  return {err, std::system_category()};
}

/// What went wrong, where, and what the kernel said about it.
///
/// An `error` names the operation (`"NFULNL_CFG_CMD_BIND group 5"`), the
/// code (an errno or an `nfactor::errc`), the netlink sequence number of the
/// failing message when there is one, and the kernel's extended ACK text and
/// attribute offset when the kernel sent them.
struct error {
  /// Errno (system category) or nfactor condition (nfactor category).
  std::error_code code;
  /// The operation that failed, in words a user can search for.
  std::string op;
  /// Extra context from nfactor (which attribute, which index, ...).
  std::string detail;
  /// The kernel's extended ACK message (NLMSGERR_ATTR_MSG), if any.
  std::string extack;
  /// Sequence number of the failing message, 0 when not applicable.
  std::uint32_t seq = 0;
  /// Byte offset of the offending attribute in the failing message
  /// (NLMSGERR_ATTR_OFFS), if the kernel reported one.
  std::optional<std::uint32_t> extack_offset;

  /// The errno of a system error, 0 for nfactor conditions.
  [[nodiscard]] int errno_value() const noexcept {
    return code.category() == std::system_category() ? code.value() : 0;
  }

  /// True when this error says that messages were lost (ENOBUFS).
  [[nodiscard]] bool is_overrun() const noexcept;

  /// One line: `op: message (detail) [seq N]: extack`.
  [[nodiscard]] std::string message() const;
};

/// Builds an error for `op` with code `code` and optional detail text.
[[nodiscard]] error make_error(std::error_code code, std::string op,
                               std::string detail = {});

/// Builds an error for `op` from nfactor condition `e`.
[[nodiscard]] inline error make_error(errc e, std::string op,
                                      std::string detail = {}) {
  return make_error(make_error_code(e), std::move(op), std::move(detail));
}

/// Builds an error for `op` from the current `errno`.
[[nodiscard]] error errno_error(std::string op, std::string detail = {});

/// A value of type `T` or an `error`. Library functions return results and
/// never throw for failures of the kernel or of input.
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result(T value) : data_(std::in_place_index<0>, std::move(value)) {}
  result(error err) : data_(std::in_place_index<1>, std::move(err)) {}

  [[nodiscard]] bool has_value() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  error& err() & { return std::get<1>(data_); }
  const error& err() const& { return std::get<1>(data_); }
  error&& err() && { return std::get<1>(std::move(data_)); }

 private:
  std::variant<T, error> data_;
};

/// Success without a value, or an `error`.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error err) : err_(std::move(err)) {}

  [[nodiscard]] bool has_value() const noexcept { return !err_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {}

  error& err() & { return *err_; }
  const error& err() const& { return *err_; }
  error&& err() && { return std::move(*err_); }

 private:
  std::optional<error> err_;
};

} // namespace nfactor

namespace std {
template <>
struct is_error_code_enum<nfactor::errc> : true_type {};
} // namespace std
