// SPDX-License-Identifier: Apache-2.0
//
// What every ctnetlink message builder and decoder shares (private to
// libnfactor), for both subsystems: NFNL_SUBSYS_CTNETLINK (entries,
// src/ct/message.cpp) and NFNL_SUBSYS_CTNETLINK_EXP (expectations,
// src/ct/expect.cpp). Every message is nlmsghdr | nfgenmsg | CTA_*.
#pragma once

#include <cstdint>
#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/ct/message.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::ct::detail {

/// Starts a message of subsystem `sub`, type `msg`, for `family` in `out`.
nl::message_writer start(byte_buffer& out, nfnl::subsys sub, std::uint8_t msg,
                         std::uint16_t flags, std::uint32_t seq,
                         std::uint8_t family, std::uint16_t res_id = 0);

/// Ends the message `w` writes into `out`: the bytes, or its first error.
result<byte_buffer> finish(nl::message_writer& w, byte_buffer& out);

/// An `errc::invalid_argument` error of `op`.
error invalid(std::string op, std::string detail);

/// The nfgenmsg and attributes of a message of subsystem `sub` whose type
/// is `want` or `also`; `errc::bad_message` for any other message.
result<nfnl::nfgenmsg> open_message(const nl::message& msg, const char* op,
                                    nfnl::subsys sub, std::uint8_t want,
                                    std::uint8_t also);

/// The family of `t` if it names one connection (both addresses, of one
/// family, and the protocol); an `errc::invalid_argument` error of `op`
/// naming `which` tuple otherwise.
result<std::uint8_t> check_complete(const tuple& t, const char* op,
                                    const char* which);

/// What a NEW or DELETE message of either subsystem says happened: a
/// DELETE (`delete_type`) is a destruction, a NEW with NLM_F_CREATE or
/// NLM_F_EXCL (an event) or NLM_F_MULTI (a dump part) a creation, any
/// other NEW an update.
change change_of(std::uint8_t type, std::uint16_t flags,
                 std::uint8_t delete_type);

/// The message type and flags the kernel sends for `kind` (the inverse of
/// `change_of`): a dump part when `multi`.
struct change_header {
  std::uint8_t type;
  std::uint16_t flags;
};
change_header header_of(change kind, bool multi, std::uint8_t new_type,
                        std::uint8_t delete_type);

/// Decodes a NEW or DELETE message of subsystem `sub` into an `Event`
/// (`kind`, `family` and what `read(event, attrs)` takes from the
/// attributes): the one shape of entry and expectation events.
template <class Event, class Read>
result<Event> decode_change_message(const nl::message& msg, const char* op,
                                    nfnl::subsys sub, std::uint8_t new_type,
                                    std::uint8_t delete_type, Read read) {
  auto gen = open_message(msg, op, sub, new_type, delete_type);
  if (!gen)
    return std::move(gen).err();
  Event ev;
  ev.family = gen->family;
  ev.kind = change_of(nfnl::split_type(msg.type).msg, msg.flags, delete_type);
  nl::attr_reader r{gen->rest, op};
  read(ev, r);
  if (auto st = r.status(); !st)
    return std::move(st).err();
  return ev;
}

} // namespace nfactor::ct::detail
