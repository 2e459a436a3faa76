// SPDX-License-Identifier: Apache-2.0
//
// Shared message framing for the object kinds (private to libnfactor).
#pragma once

#include <string>
#include <string_view>

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "fields.hpp"
#include "nfactor/nfnl/codec.hpp"

namespace nfactor::nft::detail {

/// Decodes message `msg` of type `new_msg` or `del_msg` into a `T`: the
/// family from nfgenmsg, then `read(reader, obj)` over the attributes.
template <class T, class Read>
result<T> decode_message(const nl::message& msg, std::uint8_t new_msg,
                         std::uint8_t del_msg, std::string_view op,
                         Read&& read) {
  auto type = nfnl::split_type(msg.type);
  if (type.subsys != NFNL_SUBSYS_NFTABLES ||
      (type.msg != new_msg && type.msg != del_msg))
    return make_error(errc::bad_message, std::string{op},
                      "message type " + std::to_string(msg.type));
  auto hdr = nfnl::decode_nfgenmsg(msg.payload);
  if (!hdr)
    return std::move(hdr).err();
  T out{};
  out.family = hdr->family;
  nl::attr_reader r{hdr->rest, op};
  read(r, out);
  if (auto st = r.status(); !st)
    return std::move(st).err();
  return out;
}

/// Appends one nf_tables message of type `msg` for `obj`.
template <class T>
void append_message(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
                    std::uint32_t seq, const T& obj) {
  nl::message_writer w{out};
  w.begin(nfnl::nlmsg_type(nfnl::subsys::nftables, msg),
          static_cast<std::uint16_t>(NLM_F_REQUEST | flags), seq);
  w.put_nfgenmsg(obj.family);
  encode(w, obj);
  w.end();
}

} // namespace nfactor::nft::detail
