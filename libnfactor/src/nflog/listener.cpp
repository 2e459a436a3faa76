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

namespace nfactor::nflog {

namespace {

// A datagram holds one kernel batch (at most nlbufsiz) or a single event
// larger than that (at most a 64 KiB packet plus its attributes).
std::size_t recv_buffer_size(const options& o) {
  return std::max<std::size_t>(o.nlbufsiz, 65536) + 16384;
}

} // namespace

listener::listener(options opts, sys::socket sock)
  : opts_(std::move(opts)), sock_(std::move(sock)) {
  buf_.resize(recv_buffer_size(opts_) * recv_slots);
}

listener::listener(listener&&) noexcept = default;
listener& listener::operator=(listener&&) noexcept = default;

listener::~listener() {
  (void)close();
}

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
  // Events can arrive between BIND and the last ack: keep them.
  ex.on_other = [this](const nl::message& msg) {
    drain_result ignored;
    decode_message(
        msg, nullptr,
        [this](log_event& ev) { pending_.push_back(std::move(ev)); }, ignored);
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

void listener::account(const std::optional<std::uint32_t>& seq,
                       const std::optional<std::uint32_t>& seq_global,
                       drain_result& res) {
  std::uint64_t gap = 0;
  if (seq)
    gap = seq_.observe(*seq);
  if (seq_global) {
    auto g = seq_global_.observe(*seq_global);
    if (!seq)
      gap = g;
  }
  res.lost += gap;
  counters_.lost += gap;
}

void listener::finish(log_event& ev, drain_result& res) {
  account(ev.seq, ev.seq_global, res);
  if (names_)
    name_interfaces(*names_, ev, now_);
  ++res.events;
  ++counters_.received;
}

void listener::decode_message(const nl::message& msg,
                              const std::shared_ptr<const void>& storage,
                              const event_sink& sink, drain_result& res) {
  if (!is_packet(msg))
    return; // NLMSG_DONE closes multipart batches; nothing else is ours
  bool ok = true;
  if (into_) {
    ok = decode_packet_back(msg, *into_, last_decode_error_, storage);
  } else if (auto st = decode_packet(msg, scratch_, storage); !st) {
    last_decode_error_ = std::move(st).err();
    ok = false;
  }
  if (!ok) {
    ++res.decode_errors;
    ++counters_.decode_errors;
    return;
  }
  if (into_) {
    finish(into_->back(), res);
    return;
  }
  finish(scratch_, res);
  sink(scratch_);
}

void listener::scan_message(const nl::message& msg, drain_result& res) {
  if (!is_packet(msg))
    return; // NLMSG_DONE closes multipart batches; nothing else is ours
  auto bad = [&](std::string detail) {
    ++res.decode_errors;
    ++counters_.decode_errors;
    last_decode_error_ =
        make_error(errc::bad_attribute, "scan NFLOG packet", std::move(detail));
  };
  if (msg.payload.size() < 4)
    return bad("no nfgenmsg");
  // The attributes this listener reads itself (the receiver decodes all).
  std::optional<std::uint32_t> seq, seq_global;
  std::optional<std::uint32_t> dev[4]; // in, out, physin, physout
  auto attrs = msg.payload.subspan(4);
  for (std::size_t off = 0; off < attrs.size();) {
    auto left = attrs.size() - off;
    std::uint16_t len = 0, type = 0;
    if (left >= NLA_HDRLEN) {
      std::memcpy(&len, attrs.data() + off, 2);
      std::memcpy(&type, attrs.data() + off + 2, 2);
    }
    if (left < NLA_HDRLEN || len < NLA_HDRLEN || len > left)
      return bad("attribute at offset " + std::to_string(off) +
                 " is not well framed");
    type &= NLA_TYPE_MASK;
    std::optional<std::uint32_t>* slot = nullptr;
    switch (type) {
    case NFULA_IFINDEX_INDEV: slot = &dev[0]; break;
    case NFULA_IFINDEX_OUTDEV: slot = &dev[1]; break;
    case NFULA_IFINDEX_PHYSINDEV: slot = &dev[2]; break;
    case NFULA_IFINDEX_PHYSOUTDEV: slot = &dev[3]; break;
    case NFULA_SEQ: slot = &seq; break;
    case NFULA_SEQ_GLOBAL: slot = &seq_global; break;
    default: break;
    }
    if (slot) {
      if (len != NLA_HDRLEN + 4)
        return bad("attribute type " + std::to_string(type) + " has " +
                   std::to_string(len - NLA_HDRLEN) +
                   " payload bytes, expected 4");
      std::uint32_t v = 0;
      std::memcpy(&v, attrs.data() + off + NLA_HDRLEN, 4);
      *slot = ntohl(v);
    }
    off += std::min<std::size_t>(NLA_ALIGN(len), left);
  }
  account(seq, seq_global, res);
  if (names_)
    for (const auto& idx : dev)
      if (idx) {
        auto* n = names_->lookup(*idx, now_);
        packed_->name(*idx, n ? std::string_view{*n} : std::string_view{});
      }
  packed_->add_event(msg.bytes);
  ++res.events;
  ++counters_.received;
}

drain_result listener::decode_datagram(byte_view datagram,
                                       const event_sink& sink) {
  drain_result res;
  decode_block(datagram, sink, res);
  return res;
}

void listener::decode_block(byte_view datagram, const event_sink& sink,
                            drain_result& res) {
  // One block per datagram: the events' shared_bytes point into it, so
  // decoding allocates once per datagram, not once per event.
  auto block = std::make_shared_for_overwrite<std::uint8_t[]>(datagram.size());
  std::memcpy(block.get(), datagram.data(), datagram.size());
  std::shared_ptr<const void> storage = std::move(block);
  byte_view bytes{static_cast<const std::uint8_t*>(storage.get()),
                  datagram.size()};
  nl::message_reader reader{bytes};
  while (reader.next())
    decode_message(reader.get(), storage, sink, res);
  if (auto st = reader.status(); !st) {
    ++res.decode_errors;
    ++counters_.decode_errors;
    last_decode_error_ = std::move(st).err();
  }
}

result<std::size_t> listener::recv_some(std::size_t want,
                                        const event_sink& sink,
                                        drain_result& total) {
  // recvmmsg: every datagram that is queued, up to `want`, in one system
  // call (a short count means the queue is empty: no extra EAGAIN call).
  const auto slot_size = buf_.size() / recv_slots;
  want = std::clamp<std::size_t>(want, 1, recv_slots);
  mmsghdr msgs[recv_slots];
  iovec iov[recv_slots];
  sockaddr_nl from[recv_slots];
  std::memset(msgs, 0, sizeof(mmsghdr) * want);
  for (std::size_t i = 0; i < want; ++i) {
    iov[i] = {buf_.data() + i * slot_size, slot_size};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_nl);
  }
  int n = ::recvmmsg(sock_.fd(), msgs, static_cast<unsigned>(want),
                     MSG_DONTWAIT, nullptr);
  if (n < 0) {
    switch (errno) {
    case EAGAIN:
    case EINTR:
      total.would_block = true;
      return std::size_t{0};
    case ENOBUFS:
      ++total.overruns;
      ++counters_.enobufs;
      return std::size_t{0};
    default:
      return errno_error("recvmmsg");
    }
  }
  now_ = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    // Only the kernel is believed: another sender's datagram is dropped
    // unparsed (and counted), a kernel one cut off is an error.
    auto ok = sock_.check_datagram(msgs[i].msg_hdr, slot_size, "recvmmsg");
    if (!ok)
      return std::move(ok).err();
    if (!*ok)
      continue;
    ++total.datagrams;
    ++counters_.datagrams;
    byte_view datagram{static_cast<const std::uint8_t*>(iov[i].iov_base),
                       msgs[i].msg_len};
    if (packed_) {
      // Undecoded: the messages are copied into the batch as they are.
      nl::message_reader reader{datagram};
      while (reader.next())
        scan_message(reader.get(), total);
      if (auto st = reader.status(); !st) {
        ++total.decode_errors;
        ++counters_.decode_errors;
        last_decode_error_ = std::move(st).err();
      }
      continue;
    }
    decode_block(datagram, sink, total);
  }
  if (static_cast<std::size_t>(n) < want)
    total.would_block = true;
  return static_cast<std::size_t>(n);
}

result<drain_result> listener::drain(const event_sink& sink,
                                     std::size_t max_datagrams) {
  drain_result total;
  if (!pending_.empty()) {
    for (auto& ev : pending_)
      sink(ev);
    total.events += pending_.size();
    pending_.clear();
  }
  for (std::size_t done = 0; done < max_datagrams && !total.would_block;) {
    auto n = recv_some(max_datagrams - done, sink, total);
    if (!n)
      return std::move(n).err();
    done += std::max<std::size_t>(*n, 1); // an overrun counts as a read
  }
  return total;
}

template <class Held>
result<void> listener::read_up_to(std::size_t max_events,
                                  std::size_t max_datagrams, Held held,
                                  drain_result& total) {
  event_sink sink = [](log_event&) {
  };
  // A datagram holds at most `qthresh` events: read only as many at once
  // as fit under the cap (at least one).
  const std::size_t per_datagram = std::max<std::uint32_t>(opts_.qthresh, 1);
  for (std::size_t done = 0;
       done < max_datagrams && held() < max_events && !total.would_block;) {
    auto room = (max_events - held()) / per_datagram;
    auto want = std::min(max_datagrams - done, std::max<std::size_t>(room, 1));
    auto n = recv_some(want, sink, total);
    if (!n)
      return std::move(n).err();
    done += std::max<std::size_t>(*n, 1);
  }
  return {};
}

result<drain_result> listener::drain_into(std::vector<log_event>& out,
                                          std::size_t max_events,
                                          std::size_t max_datagrams) {
  drain_result total;
  for (auto& ev : pending_)
    out.push_back(std::move(ev));
  total.events += pending_.size();
  pending_.clear();
  // Events are decoded in place at the end of `out`.
  into_ = &out;
  auto st = read_up_to(
      max_events, max_datagrams, [&] { return out.size(); }, total);
  into_ = nullptr;
  if (!st)
    return std::move(st).err();
  return total;
}

result<drain_result> listener::drain_packed(netlink_batch& out,
                                            std::size_t max_events,
                                            std::size_t max_datagrams) {
  drain_result total;
  // Events that came while the group was being configured were decoded
  // then; they go out encoded again (append_packet writes every attribute
  // the decoder read, so they decode the same).
  for (auto& ev : pending_) {
    auto name = [&](const std::optional<std::uint32_t>& idx,
                    const std::optional<std::string>& n) {
      if (idx)
        out.name(*idx, n ? std::string_view{*n} : std::string_view{});
    };
    name(ev.indev, ev.indev_name);
    name(ev.outdev, ev.outdev_name);
    name(ev.physindev, ev.physindev_name);
    name(ev.physoutdev, ev.physoutdev_name);
    byte_buffer msg;
    append_packet(msg, ev, ev.seq.value_or(0));
    out.add_event(msg);
  }
  total.events += pending_.size();
  pending_.clear();
  packed_ = &out;
  auto st = read_up_to(
      max_events, max_datagrams, [&] { return std::size_t{out.events()}; },
      total);
  packed_ = nullptr;
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
