// SPDX-License-Identifier: Apache-2.0
#include "nfactor/sys/request.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>

#include <linux/netlink.h>

namespace nfactor::sys {

reply_reader::reply_reader(
    std::uint32_t seq, std::string op, until end, const reply_handler& on_reply,
    const std::function<void(const nl::message&)>& on_other)
  : seq_(seq), op_(std::move(op)), end_(end), on_reply_(on_reply),
    on_other_(on_other) {}

error reply_reader::timed_out(std::chrono::milliseconds timeout) const {
  return make_error(errc::timeout, op_,
                    "no reply within " + std::to_string(timeout.count()) +
                        " ms");
}

error reply_reader::overrun() const {
  // Replies were dropped: whatever follows is incomplete.
  auto e = make_error(errno_code(ENOBUFS), op_,
                      "reply lost to a receive buffer overrun");
  e.seq = seq_;
  return e;
}

std::optional<result<void>> reply_reader::feed(byte_view datagram) {
  nl::message_reader reader{datagram};
  while (reader.next()) {
    const auto& msg = reader.get();
    if (msg.seq != seq_) { // a notification or a stale reply, not ours
      if (on_other_)
        on_other_(msg);
      continue;
    }
    if (msg.flags & NLM_F_DUMP_INTR)
      interrupted_ = true;
    switch (msg.type) {
    case NLMSG_NOOP:
      break;
    case NLMSG_ERROR: {
      auto a = nl::decode_ack(msg);
      if (!a)
        return result<void>{std::move(a).err()};
      if (a->error != 0)
        return result<void>{nl::ack_error(*a, op_)};
      if (end_ == until::ack) {
        if (first_error_)
          return result<void>{*first_error_};
        return result<void>{};
      }
      break;
    }
    case NLMSG_DONE: {
      if (end_ != until::done)
        break;
      // DONE carries the dump's final status as an int.
      int status = 0;
      if (msg.payload.size() >= sizeof(int))
        std::memcpy(&status, msg.payload.data(), sizeof(int));
      if (status < 0) {
        auto e = make_error(errno_code(-status), op_, "dump failed");
        e.seq = seq_;
        return result<void>{std::move(e)};
      }
      if (first_error_)
        return result<void>{*first_error_};
      if (interrupted_) {
        auto e = make_error(errc::dump_interrupted, op_);
        e.seq = seq_;
        return result<void>{std::move(e)};
      }
      return result<void>{};
    }
    case NLMSG_OVERRUN:
      return result<void>{make_error(errc::overrun, op_, "NLMSG_OVERRUN")};
    default:
      if (on_reply_ && !first_error_)
        if (auto st = on_reply_(msg); !st)
          first_error_ = std::move(st).err();
      break;
    }
  }
  if (auto st = reader.status(); !st)
    return st;
  return std::nullopt;
}

namespace {

result<void> exchange(socket& sock, byte_view req, std::uint32_t seq,
                      std::string_view op, reply_reader::until end,
                      const reply_handler& on_reply,
                      const exchange_options& opts) {
  reply_reader replies{seq, std::string{op}, end, on_reply, opts.on_other};
  if (auto st = sock.send(req); !st) {
    auto e = std::move(st).err();
    e.op = op;
    return e;
  }
  // Not zeroed: recv() fills what is read (a listener's configure
  // exchange reads with a 256 KiB buffer for each of its requests).
  auto buf = std::make_unique_for_overwrite<std::uint8_t[]>(opts.buffer_size);
  using clock = std::chrono::steady_clock;
  // The gap is measured between kernel datagrams: foreign ones, which
  // recv() drops, do not extend it.
  auto deadline = clock::now() + opts.timeout;
  for (;;) {
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() < 0)
      left = std::chrono::milliseconds{0};
    auto ready = sock.wait_readable(left);
    if (!ready)
      return std::move(ready).err();
    if (!*ready)
      return replies.timed_out(opts.timeout);
    auto got = sock.recv({buf.get(), opts.buffer_size});
    if (!got) {
      auto e = std::move(got).err();
      e.op = op;
      return e;
    }
    if (got->status == recv_status::would_block)
      continue;
    if (got->status == recv_status::overrun)
      return replies.overrun();
    deadline = clock::now() + opts.timeout;
    if (auto done = replies.feed(byte_view{buf.get(), got->size}))
      return std::move(*done);
  }
}

} // namespace

result<void> request(socket& sock, byte_view req, std::uint32_t seq,
                     std::string_view op, const reply_handler& on_reply,
                     const exchange_options& opts) {
  return exchange(sock, req, seq, op, reply_reader::until::ack, on_reply, opts);
}

result<void> dump(socket& sock, byte_view req, std::uint32_t seq,
                  std::string_view op, const reply_handler& on_reply,
                  const exchange_options& opts) {
  return exchange(sock, req, seq, op, reply_reader::until::done, on_reply,
                  opts);
}

} // namespace nfactor::sys
