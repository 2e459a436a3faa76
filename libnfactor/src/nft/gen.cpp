// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/gen.hpp"

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::nft {

result<gen_info> decode_gen(const nl::message& msg) {
  static constexpr std::string_view op = "decode NEWGEN";
  auto type = nfnl::split_type(msg.type);
  if (type.subsys != NFNL_SUBSYS_NFTABLES || type.msg != NFT_MSG_NEWGEN)
    return make_error(errc::bad_message, std::string{op},
                      "message type " + std::to_string(msg.type));
  auto hdr = nfnl::decode_nfgenmsg(msg.payload);
  if (!hdr)
    return std::move(hdr).err();
  gen_info out;
  bool have_id = false;
  nl::attr_reader attrs{hdr->rest, op};
  while (attrs.next()) {
    switch (attrs.type()) {
    case NFTA_GEN_ID:
      out.id = attrs.u32_be();
      have_id = true;
      break;
    case NFTA_GEN_PROC_PID:
      out.proc_pid = attrs.u32_be();
      break;
    case NFTA_GEN_PROC_NAME:
      out.proc_name = attrs.string();
      break;
    default:
      break;
    }
  }
  if (auto st = attrs.status(); !st)
    return std::move(st).err();
  if (!have_id)
    return make_error(errc::bad_attribute, std::string{op},
                      "NFTA_GEN_ID missing");
  return out;
}

void append_getgen(byte_buffer& out, std::uint32_t seq) {
  nl::message_writer w{out};
  w.begin(nfnl::nlmsg_type(nfnl::subsys::nftables, NFT_MSG_GETGEN),
          NLM_F_REQUEST | NLM_F_ACK, seq);
  w.put_nfgenmsg(NFPROTO_UNSPEC);
  w.end();
}

result<gen_info> get_gen(sys::socket& sock, const sys::exchange_options& opts) {
  byte_buffer req;
  auto seq = sock.next_seq();
  append_getgen(req, seq);
  std::optional<gen_info> got;
  auto st = sys::request(
      sock, req, seq, "NFT_MSG_GETGEN",
      [&](const nl::message& msg) -> result<void> {
        auto g = decode_gen(msg);
        if (!g)
          return std::move(g).err();
        got = std::move(*g);
        return {};
      },
      opts);
  if (!st)
    return std::move(st).err();
  if (!got)
    return make_error(errc::incomplete, "NFT_MSG_GETGEN",
                      "acknowledged without a NEWGEN reply");
  return std::move(*got);
}

} // namespace nfactor::nft
