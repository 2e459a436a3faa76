// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/queue.hpp"

#include <cstring>
#include <memory>

#include <linux/netlink.h>

#include "nfactor/nfqueue/decode.hpp"
#include "nfactor/sys/request.hpp"

namespace nfactor::nfqueue {

namespace {

// A datagram holds one packet: at most a 64 KiB payload (copy range or a
// GSO packet) plus its attributes.
constexpr std::size_t recv_buffer_size = 65536 + 16384;

// Queued verdict bytes past which an add sends them first.
constexpr std::size_t verdict_flush_bytes = 64 * 1024;

} // namespace

queue_handle::queue_handle(options opts, sys::socket sock)
  : opts_(std::move(opts)), sock_(std::move(sock)) {
  buf_.resize(recv_buffer_size);
}

queue_handle::queue_handle(queue_handle&&) noexcept = default;
queue_handle& queue_handle::operator=(queue_handle&&) noexcept = default;

queue_handle::~queue_handle() {
  (void)close();
}

result<queue_handle> queue_handle::open(options opts) {
  if (auto st = opts.validate(); !st)
    return std::move(st).err();
  sys::socket_options so;
  so.ns = opts.ns;
  so.rcvbuf = opts.rcvbuf;
  auto sock = sys::socket::open(so);
  if (!sock)
    return std::move(sock).err();
  queue_handle out{std::move(opts), std::move(*sock)};
  if (out.opts_.resolve_names) {
    auto names = nflog::ifname_cache::open(out.opts_.ns);
    if (!names)
      return std::move(names).err();
    out.names_.emplace(std::move(*names));
  }
  sys::exchange_options ex;
  // Packets can arrive between BIND and its ack: keep them.
  ex.on_other = [&out](const nl::message& msg) {
    if (!is_packet(msg))
      return;
    drain_result ignored;
    auto block =
        std::make_shared<byte_buffer>(msg.bytes.begin(), msg.bytes.end());
    nl::message copy = msg;
    copy.bytes = byte_view{*block};
    copy.payload = copy.bytes.subspan(msg.bytes.size() - msg.payload.size());
    out.on_message(copy, block, out.pending_, ignored);
  };
  for (auto f : out.opts_.families) {
    byte_buffer req;
    auto seq = out.sock_.next_seq();
    append_pf_bind(req, seq, f);
    auto op = std::string{"NFQNL_CFG_CMD_PF_BIND "} + nfnl::to_string(f);
    if (auto st = sys::request(out.sock_, req, seq, op, {}, ex); !st)
      return std::move(st).err();
  }
  if (auto st = bind_queue(out.sock_, out.opts_, ex); !st) {
    out.sock_.close(); // nothing is bound: no UNBIND
    return std::move(st).err();
  }
  return out;
}

void queue_handle::on_message(const nl::message& msg,
                              const std::shared_ptr<const void>& storage,
                              std::vector<queue_packet>& out,
                              drain_result& res) {
  if (msg.type == NLMSG_ERROR) {
    // A verdict the kernel refused (verdicts carry no NLM_F_ACK, so only
    // failures come back).
    auto a = nl::decode_ack(msg);
    if (a && a->error == 0)
      return;
    ++res.verdict_errors;
    ++counters_.verdict_errors;
    last_verdict_error_ = a ? nl::ack_error(*a, "NFQNL_MSG_VERDICT queue " +
                                                    std::to_string(queue()))
                            : std::move(a).err();
    return;
  }
  if (!is_packet(msg))
    return;
  std::optional<std::uint32_t> id;
  if (decode_packet_back(msg, out, last_decode_error_, storage)) {
    auto& p = out.back();
    id = p.id;
    if (names_)
      nflog::name_interfaces(*names_, p, std::chrono::steady_clock::now());
    ++res.packets;
    ++counters_.received;
  } else {
    ++counters_.decode_errors;
    id = peek_packet_id(msg);
    if (id)
      res.undecodable_ids.push_back(*id);
  }
  if (id) {
    auto gap = ids_.observe(*id);
    res.id_gap += gap;
    counters_.id_gaps += gap;
    last_id_ = *id;
  }
}

result<bool> queue_handle::read_one(std::vector<queue_packet>& out,
                                    drain_result& res) {
  auto got = sock_.recv(buf_);
  if (!got)
    return std::move(got).err();
  switch (got->status) {
  case sys::recv_status::would_block:
    res.would_block = true;
    return false;
  case sys::recv_status::overrun:
    ++res.overruns;
    ++counters_.enobufs;
    return true;
  case sys::recv_status::data:
    break;
  }
  ++res.datagrams;
  ++counters_.datagrams;
  // One block per datagram: the packet's shared_bytes point into it.
  auto block = std::make_shared_for_overwrite<std::uint8_t[]>(got->size);
  std::memcpy(block.get(), buf_.data(), got->size);
  std::shared_ptr<const void> storage = std::move(block);
  byte_view bytes{static_cast<const std::uint8_t*>(storage.get()), got->size};
  nl::message_reader reader{bytes};
  while (reader.next())
    on_message(reader.get(), storage, out, res);
  if (auto st = reader.status(); !st) {
    ++counters_.decode_errors;
    last_decode_error_ = std::move(st).err();
  }
  return true;
}

result<drain_result> queue_handle::drain_into(std::vector<queue_packet>& out,
                                              std::size_t max_packets,
                                              std::size_t max_datagrams) {
  drain_result res;
  for (auto& p : pending_)
    out.push_back(std::move(p));
  res.packets += pending_.size();
  pending_.clear();
  for (std::size_t n = 0; n < max_datagrams && out.size() < max_packets; ++n) {
    auto more = read_one(out, res);
    if (!more)
      return std::move(more).err();
    if (!*more)
      break;
  }
  return res;
}

result<void> queue_handle::add_verdict(std::uint32_t id, const verdict& v) {
  if (verdicts_.size() > verdict_flush_bytes)
    if (auto st = flush_verdicts(); !st)
      return st;
  append_verdict(verdicts_, sock_.next_seq(), queue(), id, v);
  ++counters_.verdicts;
  return {};
}

result<void> queue_handle::add_batch_verdict(std::uint32_t max_id,
                                             const verdict& v) {
  if (verdicts_.size() > verdict_flush_bytes)
    if (auto st = flush_verdicts(); !st)
      return st;
  if (auto st =
          append_verdict_batch(verdicts_, sock_.next_seq(), queue(), max_id, v);
      !st)
    return st;
  ++counters_.verdicts;
  ++counters_.batch_verdicts;
  return {};
}

result<void> queue_handle::flush_verdicts() {
  if (verdicts_.empty())
    return {};
  auto st = sock_.send(verdicts_);
  verdicts_.clear(); // never sent twice, even when the send failed
  return st;
}

result<std::size_t> queue_handle::settle_all(const verdict& v) {
  std::vector<queue_packet> seen;
  for (;;) {
    auto res = drain_into(seen, SIZE_MAX, 64);
    if (!res)
      return std::move(res).err();
    if (res->would_block)
      break;
  }
  if (last_id_) {
    // What a batch can carry of `v`.
    auto batch = verdict::of(v.kind);
    batch.target_queue = v.target_queue;
    batch.queue_bypass = v.queue_bypass;
    batch.mark = v.mark;
    batch.priority = v.priority;
    if (auto st = add_batch_verdict(*last_id_, batch); !st)
      return std::move(st).err();
  }
  if (auto st = flush_verdicts(); !st)
    return std::move(st).err();
  return seen.size();
}

result<bool> queue_handle::wait_readable(std::chrono::milliseconds timeout) {
  if (!pending_.empty())
    return true;
  return sock_.wait_readable(timeout);
}

result<void> queue_handle::close() {
  if (!sock_.is_open())
    return {};
  auto sent = flush_verdicts();
  sys::exchange_options ex;
  ex.timeout = std::chrono::milliseconds{2000};
  auto st = unbind_queue(sock_, queue(), ex);
  sock_.close();
  if (!sent)
    return sent;
  return st;
}

} // namespace nfactor::nfqueue
