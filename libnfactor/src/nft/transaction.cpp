// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/transaction.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

namespace {

// Room per queued ack in the receive buffer: an ack is its own skb, whose
// truesize (data rounded up plus struct sk_buff) is about 768 bytes.
constexpr std::size_t ack_room = 1024;
// Netlink refuses a datagram longer than sk_sndbuf - 32.
constexpr std::size_t send_slack = 64 * 1024;

result<void> size_buffers(sys::socket& sock, std::size_t bytes,
                          std::size_t acks) {
  // The kernel doubles what it is asked for and compares with that.
  auto snd = static_cast<int>((bytes + send_slack) / 2 + 1);
  if (auto r = sock.set_sndbuf(snd); !r)
    return std::move(r).err();
  auto rcv_needed = acks * ack_room + send_slack;
  if (static_cast<std::size_t>(sock.rcvbuf()) < rcv_needed)
    if (auto r = sock.set_rcvbuf(static_cast<int>(rcv_needed / 2 + 1)); !r)
      return std::move(r).err();
  return {};
}

void set_flag(encoded_batch& b, const batch_op& op, std::uint16_t flag,
              bool on) {
  auto at = op.offset + offsetof(nlmsghdr, nlmsg_flags);
  std::uint16_t flags = 0;
  std::memcpy(&flags, b.body.data() + at, sizeof(flags));
  flags = on ? flags | flag : flags & ~flag;
  std::memcpy(b.body.data() + at, &flags, sizeof(flags));
}

// One datagram from three parts, without copying the body.
result<void> send_parts(sys::socket& sock, byte_view a, byte_view b,
                        byte_view c) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  iovec iov[3] = {
      {const_cast<std::uint8_t*>(a.data()), a.size()},
      {const_cast<std::uint8_t*>(b.data()), b.size()},
      {const_cast<std::uint8_t*>(c.data()), c.size()},
  };
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof(kernel);
  msg.msg_iov = iov;
  msg.msg_iovlen = 3;
  auto total = a.size() + b.size() + c.size();
  auto n = ::sendmsg(sock.fd(), &msg, 0);
  if (n < 0)
    return errno_error("send nf_tables batch",
                       std::to_string(total) + " bytes in one datagram");
  if (static_cast<std::size_t>(n) != total)
    return make_error(errc::truncated, "send nf_tables batch",
                      std::to_string(n) + " of " + std::to_string(total) +
                          " bytes sent");
  return {};
}

// The replies of one batch, as they come in.
struct verdict {
  std::uint32_t acked = 0;
  std::uint32_t failed = 0;
  std::optional<error> first_failure; // lowest operation index
  std::uint32_t first_index = 0;
  std::optional<error> batch_failure; // an error for BEGIN
  std::optional<gen_info> gen;        // the echoed NEWGEN
  std::uint32_t gen_seq = 0;          // and its nlmsg_seq
  std::optional<error> bad_reply;
};

void take(const encoded_batch& b, const commit_options& opts,
          const nl::message& msg, verdict& v) {
  if (msg.type == NLMSG_ERROR) {
    auto a = nl::decode_ack(msg);
    if (!a) {
      if (!v.bad_reply)
        v.bad_reply = std::move(a).err();
      return;
    }
    if (a->seq == b.begin_seq || a->seq == b.end_seq()) {
      if (a->error == 0)
        return;
      std::string what = a->seq == b.begin_seq ? "BATCH_BEGIN" : "BATCH_END";
      auto e = nl::ack_error(*a, "commit nf_tables batch (" + what + ")");
      if (a->error == ERESTART && opts.genid) {
        e.code = make_error_code(errc::conflict);
        e.detail = "the ruleset moved past generation " +
                   std::to_string(*opts.genid) + "; nothing was applied";
      } else {
        e.detail = "the kernel refused the whole batch of " +
                   std::to_string(b.ops.size()) + " operations";
      }
      if (!v.batch_failure)
        v.batch_failure = std::move(e);
      return;
    }
    auto* op = b.find_seq(a->seq);
    if (!op)
      return; // not ours (a stale reply)
    if (a->error == 0) {
      ++v.acked;
      return;
    }
    ++v.failed;
    if (!v.first_failure || op->index < v.first_index) {
      auto e = nl::ack_error(*a, op->describe());
      e.detail = "operation " + std::to_string(op->index) + " of " +
                 std::to_string(b.ops.size()) + " (" + op->object +
                 "); nothing was applied";
      v.first_failure = std::move(e);
      v.first_index = op->index;
    }
    return;
  }
  auto t = nfnl::split_type(msg.type);
  if (t.subsys == NFNL_SUBSYS_NFTABLES && t.msg == NFT_MSG_NEWGEN &&
      msg.seq >= b.begin_seq && msg.seq <= b.end_seq()) {
    auto g = decode_gen(msg);
    if (g) {
      v.gen = std::move(*g);
      v.gen_seq = msg.seq;
    } else if (!v.bad_reply)
      v.bad_reply = std::move(g).err();
  }
}

} // namespace

result<commit_result> commit(sys::socket& sock, encoded_batch& b,
                             const commit_options& opts) {
  commit_result out;
  out.portid = sock.portid();
  if (b.ops.empty()) {
    auto g = get_gen(sock);
    if (!g)
      return std::move(g).err();
    out.genid = g->id;
    return out;
  }
  // Reserve one seq for BEGIN, one per operation and one for END.
  auto base = sock.next_seq();
  for (std::size_t i = 0; i <= b.ops.size(); ++i)
    (void)sock.next_seq();
  b.stamp(base);
  out.seq = b.ops.front().seq;
  // The kernel reports the commit's NEWGEN with the header of the batch's
  // first operation (seq, NLM_F_ECHO), so ask for the echo there.
  set_flag(b, b.ops.front(), NLM_F_ECHO, true);
  // Acks as asked (the builder sets NLM_F_ACK on every operation; errors
  // and a refused BEGIN are reported either way).
  bool acked_now = (b.ops.front().flags & NLM_F_ACK) != 0;
  if (acked_now != opts.ack_each)
    for (auto& op : b.ops) {
      set_flag(b, op, NLM_F_ACK, opts.ack_each);
      op.flags = opts.ack_each ? op.flags | NLM_F_ACK : op.flags & ~NLM_F_ACK;
    }
  auto begin = b.begin_message(opts.genid);
  auto end = b.end_message();
  out.bytes = begin.size() + b.body.size() + end.size();
  if (opts.size_buffers)
    if (auto st =
            size_buffers(sock, out.bytes, opts.ack_each ? b.ops.size() : 64);
        !st)
      return std::move(st).err();
  if (auto st = send_parts(sock, begin, b.body, end); !st)
    return std::move(st).err();

  // The kernel has processed the batch inside sendmsg(); read every reply.
  verdict v;
  bool overrun = false;
  std::vector<std::uint8_t> buf(sys::default_recv_buffer);
  // Everything was queued during sendmsg(); with acks we also know how
  // many replies to expect, without them the drain ends the read.
  auto complete = [&] {
    return !opts.ack_each || v.batch_failure ||
           v.acked + v.failed == b.ops.size();
  };
  for (;;) {
    auto got = sock.recv(buf);
    if (!got)
      return std::move(got).err();
    if (got->status == sys::recv_status::overrun) {
      overrun = true;
      continue;
    }
    if (got->status == sys::recv_status::would_block) {
      if (complete() || overrun)
        break;
      auto ready = sock.wait_readable(opts.timeout);
      if (!ready)
        return std::move(ready).err();
      if (!*ready)
        return make_error(errc::timeout, "commit nf_tables batch",
                          std::to_string(v.acked + v.failed) + " of " +
                              std::to_string(b.ops.size()) +
                              " operations answered");
      continue;
    }
    nl::message_reader reader{byte_view{buf.data(), got->size}};
    while (reader.next())
      take(b, opts, reader.get(), v);
    if (auto st = reader.status(); !st)
      return std::move(st).err();
  }
  if (v.batch_failure)
    return std::move(*v.batch_failure);
  if (v.first_failure) {
    auto e = std::move(*v.first_failure);
    if (v.failed > 1)
      e.detail +=
          "; " + std::to_string(v.failed - 1) + " later operations failed too";
    if (overrun)
      e.detail += " (more error replies were lost to a receive buffer overrun)";
    return e;
  }
  if (v.bad_reply)
    return std::move(*v.bad_reply);
  // Success. Without per-operation acks the kernel reported no error, so
  // it accepted every operation.
  out.acked =
      opts.ack_each ? v.acked : static_cast<std::uint32_t>(b.ops.size());
  if (v.gen) {
    out.genid = v.gen->id;
    out.seq = v.gen_seq;
    out.changed = true;
    return out;
  }
  if (overrun) {
    auto e = make_error(errno_code(ENOBUFS), "commit nf_tables batch",
                        "replies lost to a receive buffer overrun; " +
                            std::to_string(v.acked) + " of " +
                            std::to_string(b.ops.size()) +
                            " acks read, outcome unknown");
    e.seq = base;
    return e;
  }
  // Every operation was acknowledged but the ruleset did not change.
  auto g = get_gen(sock);
  if (!g)
    return std::move(g).err();
  out.genid = g->id;
  return out;
}

} // namespace nfactor::nft
