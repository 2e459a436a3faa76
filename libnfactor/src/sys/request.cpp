// SPDX-License-Identifier: Apache-2.0
#include "nfactor/sys/request.hpp"

#include <cstring>
#include <optional>
#include <vector>

#include <linux/netlink.h>

namespace nfactor::sys {

namespace {

enum class until { ack, done };

result<void> exchange(socket& sock, byte_view req, std::uint32_t seq,
                      std::string_view op_view, until end,
                      const reply_handler& on_reply,
                      const exchange_options& opts) {
  std::string op{op_view};
  if (auto st = sock.send(req); !st) {
    auto e = std::move(st).err();
    e.op = op;
    return e;
  }
  std::vector<std::uint8_t> buf(opts.buffer_size);
  std::optional<error> first_error;
  bool interrupted = false;
  auto keep = [&](error e) {
    if (!first_error)
      first_error = std::move(e);
  };
  for (;;) {
    auto ready = sock.wait_readable(opts.timeout);
    if (!ready)
      return std::move(ready).err();
    if (!*ready)
      return make_error(errc::timeout, op,
                        "no reply within " +
                            std::to_string(opts.timeout.count()) + " ms");
    auto got = sock.recv(buf);
    if (!got) {
      auto e = std::move(got).err();
      e.op = op;
      return e;
    }
    if (got->status == recv_status::would_block)
      continue;
    if (got->status == recv_status::overrun) {
      // Replies were dropped: whatever follows is incomplete.
      auto e = make_error(errno_code(ENOBUFS), op,
                          "reply lost to a receive buffer overrun");
      e.seq = seq;
      return e;
    }
    nl::message_reader reader{byte_view{buf.data(), got->size}};
    while (reader.next()) {
      const auto& msg = reader.get();
      if (msg.seq != seq) { // a notification or a stale reply, not ours
        if (opts.on_other)
          opts.on_other(msg);
        continue;
      }
      if (msg.flags & NLM_F_DUMP_INTR)
        interrupted = true;
      switch (msg.type) {
      case NLMSG_NOOP:
        break;
      case NLMSG_ERROR: {
        auto a = nl::decode_ack(msg);
        if (!a)
          return std::move(a).err();
        if (a->error != 0)
          return nl::ack_error(*a, op);
        if (end == until::ack) {
          if (first_error)
            return *first_error;
          return {};
        }
        break;
      }
      case NLMSG_DONE: {
        if (end != until::done)
          break;
        // DONE carries the dump's final status as an int.
        int status = 0;
        if (msg.payload.size() >= sizeof(int))
          std::memcpy(&status, msg.payload.data(), sizeof(int));
        if (status < 0) {
          auto e = make_error(errno_code(-status), op, "dump failed");
          e.seq = seq;
          return e;
        }
        if (first_error)
          return *first_error;
        if (interrupted) {
          auto e = make_error(errc::dump_interrupted, op);
          e.seq = seq;
          return e;
        }
        return {};
      }
      case NLMSG_OVERRUN:
        return make_error(errc::overrun, op, "NLMSG_OVERRUN");
      default:
        if (on_reply && !first_error)
          if (auto st = on_reply(msg); !st)
            keep(std::move(st).err());
        break;
      }
    }
    if (auto st = reader.status(); !st)
      return std::move(st).err();
  }
}

} // namespace

result<void> request(socket& sock, byte_view req, std::uint32_t seq,
                     std::string_view op, const reply_handler& on_reply,
                     const exchange_options& opts) {
  return exchange(sock, req, seq, op, until::ack, on_reply, opts);
}

result<void> dump(socket& sock, byte_view req, std::uint32_t seq,
                  std::string_view op, const reply_handler& on_reply,
                  const exchange_options& opts) {
  return exchange(sock, req, seq, op, until::done, on_reply, opts);
}

} // namespace nfactor::sys
