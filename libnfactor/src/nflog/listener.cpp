// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/listener.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nfactor/nflog/decode.hpp"
#include "nfactor/nflog/group.hpp"
#include "nfactor/nl/message.hpp"
#include "nfactor/sys/request.hpp"

#include "event_stage.hpp"

namespace nfactor::nflog {

listener::listener(options opts, sys::socket sock)
  : opts_(std::move(opts)), sock_(std::move(sock)),
    // Not zeroed: the slots' pages are touched only as datagrams fill them.
    buf_(std::make_unique_for_overwrite<std::uint8_t[]>(slot_size() *
                                                        recv_slots)) {}

listener::listener(listener&&) noexcept = default;
listener& listener::operator=(listener&&) noexcept = default;

// No UNBIND here: closing the socket releases the group in the kernel
// (tests/kernel/nflog_listener.cpp proves it), and a destructor must not
// wait for an acknowledgement.
listener::~listener() = default;

result<listener> listener::open(options opts) {
  if (auto st = opts.validate(); !st)
    return std::move(st).err();
  sys::socket_options so;
  so.ns = opts.ns;
  so.rcvbuf = opts.rcvbuf;
  auto sock = sys::socket::open(so);
  if (!sock)
    return std::move(sock).err();
  listener out{std::move(opts), std::move(*sock)};
  if (out.opts_.resolve_names) {
    auto names = ifname_cache::open(out.opts_.ns);
    if (!names)
      return std::move(names).err();
    out.names_.emplace(std::move(*names));
  }
  if (auto st = out.configure(); !st) {
    out.sock_.close(); // closing releases whatever was bound
    return std::move(st).err();
  }
  return out;
}

result<void> listener::configure() {
  const auto g = opts_.group;
  sys::exchange_options ex;
  // Until NLBUFSIZ is set the group batches with the kernel's default
  // size: room for the largest batch any setting gives.
  ex.buffer_size = largest_datagram(max_nlbufsiz);
  // Events can arrive between BIND and the last ack: keep them.
  ex.on_other = [this](const nl::message& msg) {
    detail::event_stage decoder{pending_};
    drain_result ignored;
    handle_packet(msg, nullptr, decoder, ignored);
  };
  // Sends one config message built by `append` and waits for its ack.
  auto step = [&](const std::string& op, auto append) -> result<void> {
    byte_buffer req;
    auto seq = sock_.next_seq();
    append(req, seq);
    return sys::request(sock_, req, seq, op, {}, ex);
  };
  using buf = byte_buffer;
  using u32 = std::uint32_t;
  for (auto f : opts_.families) {
    auto op = std::string{"NFULNL_CFG_CMD_PF_BIND "} + nfnl::to_string(f);
    if (auto st = step(op, [&](buf& b, u32 s) { append_pf_bind(b, s, f); });
        !st)
      return st;
  }
  if (auto st = bind_group(sock_, g, ex); !st)
    return st;
  auto gs = " group " + std::to_string(g);
  const auto& o = opts_;
  if (auto st = step(
          "NFULA_CFG_MODE" + gs,
          [&](buf& b, u32 s) { append_mode(b, s, g, o.mode, o.copy_range); });
      !st)
    return st;
  if (auto st = step("NFULA_CFG_FLAGS" + gs,
                     [&](buf& b, u32 s) { append_flags(b, s, g, o.flags); });
      !st) {
    auto e = std::move(st).err();
    if (e.errno_value() == EOPNOTSUPP && o.flags.conntrack)
      e.detail = "the conntrack flag needs conntrack glue in the kernel "
                 "(CONFIG_NETFILTER_NETLINK_GLUE_CT)";
    return e;
  }
  if (auto st =
          step("NFULA_CFG_QTHRESH" + gs,
               [&](buf& b, u32 s) { append_qthresh(b, s, g, o.qthresh); });
      !st)
    return st;
  if (auto st = step(
          "NFULA_CFG_TIMEOUT" + gs,
          [&](buf& b, u32 s) { append_timeout(b, s, g, o.flush_timeout); });
      !st)
    return st;
  return step("NFULA_CFG_NLBUFSIZ" + gs,
              [&](buf& b, u32 s) { append_nlbufsiz(b, s, g, o.nlbufsiz); });
}

std::uint64_t
listener::note_sequence(const std::optional<std::uint32_t>& seq,
                        const std::optional<std::uint32_t>& seq_global) {
  std::uint64_t gap = 0;
  if (seq)
    gap = seq_.observe(*seq);
  if (seq_global) {
    auto g = seq_global_.observe(*seq_global);
    if (!seq)
      gap = g;
  }
  if (reading_)
    reading_->lost += gap;
  counters_.lost += gap;
  if (gap > 0)
    uncounted_overrun_ = false;
  return gap;
}

const std::string* listener::interface_name(std::uint32_t ifindex) {
  return names_ ? names_->lookup(ifindex, now_) : nullptr;
}

void listener::handle_packet(const nl::message& msg,
                             const std::shared_ptr<const void>& storage,
                             packet_stage& stage, drain_result& res) {
  if (!is_packet(msg))
    return; // NLMSG_DONE closes multipart batches; nothing else is ours
  if (!stage.packet(msg, storage, *this, last_decode_error_)) {
    ++res.decode_errors;
    ++counters_.decode_errors;
    return;
  }
  ++res.events;
  ++counters_.received;
}

void listener::handle_datagram(byte_view datagram, packet_stage& stage,
                               drain_result& res) {
  std::shared_ptr<const void> storage;
  if (stage.keeps_bytes()) {
    // One block per datagram: the events' shared_bytes point into it, so
    // decoding allocates once per datagram, not once per event.
    auto block =
        std::make_shared_for_overwrite<std::uint8_t[]>(datagram.size());
    std::memcpy(block.get(), datagram.data(), datagram.size());
    datagram = {block.get(), datagram.size()};
    storage = std::move(block);
  }
  nl::message_reader reader{datagram};
  while (reader.next())
    handle_packet(reader.get(), storage, stage, res);
  if (auto st = reader.status(); !st) {
    ++res.decode_errors;
    ++counters_.decode_errors;
    last_decode_error_ = std::move(st).err();
  }
}

result<std::size_t> listener::recv_some(std::size_t want, packet_stage& stage,
                                        drain_result& total) {
  // The socket's batch reader: every datagram that is queued, up to
  // `want`, in one recvmmsg.
  want = std::clamp<std::size_t>(want, 1, recv_slots);
  bool first = true;
  const auto slot = slot_size();
  auto got = sock_.recv_batch(std::span{buf_.get(), want * slot}, slot,
                              [&](byte_view datagram) {
                                if (first) {
                                  now_ = std::chrono::steady_clock::now();
                                  first = false;
                                }
                                ++total.datagrams;
                                ++counters_.datagrams;
                                handle_datagram(datagram, stage, total);
                              });
  if (!got)
    return std::move(got).err();
  if (got->overrun) {
    ++total.overruns;
    ++counters_.enobufs;
    uncounted_overrun_ = true;
  }
  if (got->would_block)
    total.would_block = true;
  return got->datagrams;
}

result<drain_result> listener::read(packet_stage& stage, std::size_t max_events,
                                    std::size_t max_datagrams) {
  drain_result total;
  reading_ = &total;
  total.events += pending_.size();
  stage.take_configured(pending_);
  pending_.clear();
  // A datagram holds at most `qthresh` events: read only as many at once
  // as fit under the cap (at least one).
  const std::size_t per_datagram = std::max<std::uint32_t>(opts_.qthresh, 1);
  result<void> st;
  for (std::size_t done = 0; done < max_datagrams &&
                             stage.held() < max_events && !total.would_block;) {
    auto room = (max_events - stage.held()) / per_datagram;
    auto want = std::min(max_datagrams - done, std::max<std::size_t>(room, 1));
    auto n = recv_some(want, stage, total);
    if (!n) {
      st = std::move(n).err();
      break;
    }
    done += std::max<std::size_t>(*n, 1); // an overrun counts as a read
  }
  reading_ = nullptr;
  total.uncounted_overrun = uncounted_overrun_;
  if (!st)
    return std::move(st).err();
  return total;
}

result<bool> listener::wait_readable(std::chrono::milliseconds timeout) {
  if (!pending_.empty())
    return true;
  return sock_.wait_readable(timeout);
}

result<void> listener::close() {
  if (!sock_.is_open())
    return {};
  sys::exchange_options ex;
  ex.timeout = std::chrono::milliseconds{2000};
  auto st = unbind_group(sock_, opts_.group, ex);
  sock_.close();
  return st;
}

} // namespace nfactor::nflog
