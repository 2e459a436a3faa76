// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/error.hpp"

namespace nfactor::actors {

namespace {

constexpr caf::atom_value own_category = caf::atom("nfactor");

} // namespace

caf::error to_caf_error(const error& e) {
  auto offset = e.extack_offset ? static_cast<std::int64_t>(*e.extack_offset)
                                : std::int64_t{-1};
  auto ctx = caf::make_message(e.op, e.detail, e.extack, e.seq, offset);
  if (e.code.category() == nfactor_category())
    return caf::error{static_cast<std::uint8_t>(e.code.value()), own_category,
                      std::move(ctx)};
  // errnos are below 256 on Linux; anything else keeps its text.
  if (e.code.category() == std::system_category() && e.code.value() > 0 &&
      e.code.value() < 256)
    return caf::error{static_cast<std::uint8_t>(e.code.value()), errno_category,
                      std::move(ctx)};
  return caf::error{static_cast<std::uint8_t>(errc::bad_message), own_category,
                    caf::make_message(e.op,
                                      e.detail + " (" + e.code.message() + ")",
                                      e.extack, e.seq, offset)};
}

error from_caf_error(const caf::error& e) {
  error out;
  const auto& ctx = e.context();
  if (ctx.match_elements<std::string, std::string, std::string, std::uint32_t,
                         std::int64_t>()) {
    out.op = ctx.get_as<std::string>(0);
    out.detail = ctx.get_as<std::string>(1);
    out.extack = ctx.get_as<std::string>(2);
    out.seq = ctx.get_as<std::uint32_t>(3);
    auto off = ctx.get_as<std::int64_t>(4);
    if (off >= 0)
      out.extack_offset = static_cast<std::uint32_t>(off);
  }
  if (e.category() == own_category) {
    out.code = make_error_code(static_cast<errc>(e.code()));
  } else if (e.category() == errno_category) {
    out.code = errno_code(e.code());
  } else {
    out.code = make_error_code(errc::actor_failure);
    out.op = "actor";
    out.detail = caf::to_string(e);
  }
  return out;
}

std::string describe(const caf::error& e) {
  if (e.category() == own_category || e.category() == errno_category)
    return from_caf_error(e).message();
  return caf::to_string(e);
}

} // namespace nfactor::actors
