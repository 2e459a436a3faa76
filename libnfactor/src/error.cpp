// SPDX-License-Identifier: Apache-2.0
#include "nfactor/error.hpp"

#include <cerrno>

namespace nfactor {

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "nfactor"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
    case errc::truncated:
      return "buffer truncated";
    case errc::bad_attribute:
      return "malformed attribute";
    case errc::bad_message:
      return "malformed netlink message";
    case errc::unexpected_reply:
      return "unexpected reply";
    case errc::dump_interrupted:
      return "dump interrupted (NLM_F_DUMP_INTR)";
    case errc::invalid_argument:
      return "invalid argument";
    case errc::timeout:
      return "timed out waiting for the kernel";
    case errc::overrun:
      return "receive buffer overrun, messages lost (ENOBUFS)";
    case errc::conflict:
      return "ruleset generation changed (conflict)";
    case errc::incomplete:
      return "multipart reply ended early";
    case errc::inconsistent:
      return "no consistent snapshot within the retry budget";
    case errc::closed:
      return "closed";
    case errc::busy:
      return "owned by another socket";
    case errc::actor_failure:
      return "actor failure";
    }
    return "unknown nfactor error " + std::to_string(value);
  }
};

} // namespace

const std::error_category& nfactor_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), nfactor_category()};
}

bool error::is_overrun() const noexcept {
  return code == make_error_code(errc::overrun) ||
         (code.category() == std::system_category() && code.value() == ENOBUFS);
}

std::string error::message() const {
  std::string out = op.empty() ? std::string{"nfactor"} : op;
  out += ": ";
  out += code.message();
  if (code.category() == std::system_category())
    out += " (errno " + std::to_string(code.value()) + ")";
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  if (seq != 0)
    out += " [seq " + std::to_string(seq) + "]";
  if (!extack.empty()) {
    out += ": kernel says \"";
    out += extack;
    out += '"';
  }
  if (extack_offset)
    out += " (at attribute offset " + std::to_string(*extack_offset) + ")";
  return out;
}

error make_error(std::error_code code, std::string op, std::string detail) {
  error e;
  e.code = code;
  e.op = std::move(op);
  e.detail = std::move(detail);
  return e;
}

error errno_error(std::string op, std::string detail) {
  return make_error(errno_code(errno), std::move(op), std::move(detail));
}

} // namespace nfactor
