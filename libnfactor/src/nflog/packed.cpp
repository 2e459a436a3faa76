// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/packed.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nfactor/nflog/decode.hpp"
#include "nfactor/nflog/listener.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nflog {

namespace {

constexpr std::size_t header_size = 8;

error malformed(std::size_t pos, const char* what) {
  return make_error(errc::bad_message, "unpack events",
                    std::string(what) + " at byte " + std::to_string(pos));
}

// -- the header
// ----------------------------------------------------------------

constexpr std::uint8_t host_order =
    std::endian::native == std::endian::little ? 1 : 2;

struct header {
  std::uint8_t version = 0;
  // The byte order of the messages' headers (1 little-, 2 big-endian).
  std::uint8_t order = 0;
  std::uint32_t count = 0;
};

result<header> read_header(byte_view bytes) {
  if (bytes.size() < header_size)
    return make_error(errc::truncated, "unpack events",
                      "shorter than the 8-byte header");
  header h;
  h.version = bytes[0];
  h.order = bytes[1];
  for (std::size_t i = 0; i < 4; ++i)
    h.count |= std::uint32_t{bytes[4 + i]} << (8 * i);
  if (h.version != netlink_version || (h.order != 1 && h.order != 2))
    return make_error(errc::bad_message, "unpack events",
                      "layout version " + std::to_string(h.version) +
                          " with byte order " + std::to_string(h.order) +
                          " (want " + std::to_string(netlink_version) +
                          " with byte order 1 or 2)");
  if (bytes[2] != 0 || bytes[3] != 0)
    return malformed(2, "reserved header bits set");
  return h;
}

void write_header(std::uint8_t* p, std::uint8_t order, std::uint32_t count) {
  p[0] = netlink_version;
  p[1] = order;
  p[2] = p[3] = 0;
  for (std::size_t i = 0; i < 4; ++i)
    p[4 + i] = static_cast<std::uint8_t>(count >> (8 * i));
}

// -- reading -----------------------------------------------------------------

// The names in force while a layout-2 batch is read.
class name_table {
 public:
  void set(std::uint32_t ifindex, std::string_view name) {
    for (auto& [i, n] : names_)
      if (i == ifindex) {
        n.assign(name);
        return;
      }
    names_.emplace_back(ifindex, std::string{name});
  }

  // The name of `ifindex`, or nullptr if none is in force (or it is
  // empty: the interface has no name).
  const std::string* find(std::uint32_t ifindex) const {
    for (const auto& [i, n] : names_)
      if (i == ifindex)
        return n.empty() ? nullptr : &n;
    return nullptr;
  }

 private:
  std::vector<std::pair<std::uint32_t, std::string>> names_;
};

result<void> unpack_netlink(byte_view bytes, const header& h,
                            const std::shared_ptr<const void>& storage,
                            std::vector<log_event>& out) {
  if (h.order != host_order)
    return make_error(errc::bad_message, "unpack events",
                      "netlink layout written on a host of the other byte "
                      "order");
  // An event is at least a netlink header and an nfgenmsg (20 bytes).
  auto rest = bytes.size() - header_size;
  if (h.count > rest / 20)
    return make_error(errc::truncated, "unpack events",
                      std::to_string(h.count) + " events cannot fit in " +
                          std::to_string(rest) + " bytes");
  auto before = out.size();
  auto fail = [&](error e) {
    out.resize(before);
    return e;
  };
  out.reserve(before + h.count);
  name_table names;
  std::optional<error> err;
  std::uint32_t events = 0;
  nl::message_reader msgs{bytes.subspan(header_size)};
  while (msgs.next()) {
    const auto& m = msgs.get();
    if (m.type == name_record_type) {
      if (m.payload.size() < 4)
        return fail(make_error(errc::truncated, "unpack events",
                               "interface name record without an index"));
      std::uint32_t idx = 0;
      std::memcpy(&idx, m.payload.data(), 4);
      auto text = m.payload.subspan(4);
      names.set(idx, {reinterpret_cast<const char*>(text.data()), text.size()});
      continue;
    }
    if (!is_packet(m))
      return fail(make_error(errc::bad_message, "unpack events",
                             "message type " + std::to_string(m.type) +
                                 " in a netlink batch"));
    if (++events > h.count)
      return fail(make_error(errc::bad_message, "unpack events",
                             "more events than the header's " +
                                 std::to_string(h.count)));
    if (!decode_packet_back(m, out, err, storage))
      return fail(std::move(*err));
    fill_interface_names(out.back(),
                         [&](std::uint32_t idx) { return names.find(idx); });
  }
  if (auto st = msgs.status(); !st)
    return fail(std::move(st).err());
  if (events != h.count)
    return fail(make_error(errc::truncated, "unpack events",
                           std::to_string(events) +
                               " events, the header "
                               "says " +
                               std::to_string(h.count)));
  return {};
}

} // namespace

// -- netlink_batch
// -------------------------------------------------------------

netlink_batch::netlink_batch() {
  start(0);
}

void netlink_batch::start(std::size_t reserve) {
  buf_.clear();
  buf_.reserve(std::max(reserve, header_size));
  buf_.resize(header_size);
  events_ = 0;
  names_.clear();
}

void netlink_batch::name(std::uint32_t ifindex, std::string_view name) {
  auto in_force =
      std::find_if(names_.begin(), names_.end(),
                   [&](const auto& x) { return x.first == ifindex; });
  if (in_force != names_.end()) {
    if (in_force->second == name)
      return;
    in_force->second.assign(name);
  } else {
    if (name.empty())
      return; // nothing in force: already unnamed
    names_.emplace_back(ifindex, std::string{name});
  }
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + 4 + name.size());
  h.nlmsg_type = name_record_type;
  auto at = buf_.size();
  buf_.resize(at + NLMSG_ALIGN(h.nlmsg_len));
  std::memcpy(buf_.data() + at, &h, sizeof(h));
  std::memcpy(buf_.data() + at + NLMSG_HDRLEN, &ifindex, 4);
  if (!name.empty())
    std::memcpy(buf_.data() + at + NLMSG_HDRLEN + 4, name.data(), name.size());
}

void netlink_batch::add_event(byte_view message) {
  auto at = buf_.size();
  auto padded = NLMSG_ALIGN(message.size());
  buf_.insert(buf_.end(), message.begin(), message.end());
  if (padded > message.size())
    buf_.resize(at + padded); // zero padding, as the kernel writes it
  ++events_;
}

byte_buffer netlink_batch::take(std::size_t reserve) {
  write_header(buf_.data(), host_order, events_);
  auto out = std::move(buf_);
  buf_ = byte_buffer{};
  start(reserve);
  return out;
}

void netlink_batch::add_event(const log_event& ev) {
  for (const auto& m : interface_members)
    if (const auto& idx = ev.*m.index) {
      const auto& n = ev.*m.name;
      name(*idx, n ? std::string_view{*n} : std::string_view{});
    }
  byte_buffer msg;
  append_packet(msg, ev, ev.seq.value_or(0));
  add_event(msg);
}

byte_buffer pack_events(std::span<const log_event> events) {
  netlink_batch b;
  for (const auto& ev : events)
    b.add_event(ev);
  return b.take();
}

// -- reading from a listener
// ---------------------------------------------------

namespace {

// The stage that forwards: each packet message is copied into the batch,
// undecoded, after name records for its interfaces.
class packing_stage final : public packet_stage {
 public:
  explicit packing_stage(netlink_batch& out) noexcept : out_(out) {}

  [[nodiscard]] std::size_t held() const noexcept override {
    return out_.events();
  }
  [[nodiscard]] bool keeps_bytes() const noexcept override { return false; }

  // Events that came while the group was being configured were decoded
  // then; they go out encoded again.
  void take_configured(std::vector<log_event>& events) override {
    for (const auto& ev : events)
      out_.add_event(ev);
  }

  bool packet(const nl::message& msg, const std::shared_ptr<const void>&,
              listener& l, std::optional<error>& err) override {
    auto bad = [&](std::string detail) {
      err = make_error(errc::bad_attribute, "scan NFLOG packet",
                       std::move(detail));
      return false;
    };
    if (msg.payload.size() < 4)
      return bad("no nfgenmsg");
    // The attributes the listener reads itself (the receiver decodes all):
    // sequence numbers and the four interface indexes, in the order of
    // `interface_members`.
    std::optional<std::uint32_t> seq, seq_global;
    std::array<std::optional<std::uint32_t>, interface_members.size()> dev;
    nl::attr_reader walk{msg.payload.subspan(4), "scan NFLOG packet"};
    while (walk.next()) {
      std::optional<std::uint32_t>* slot = nullptr;
      switch (walk.type()) {
      case NFULA_IFINDEX_INDEV:
        slot = &dev[0];
        break;
      case NFULA_IFINDEX_OUTDEV:
        slot = &dev[1];
        break;
      case NFULA_IFINDEX_PHYSINDEV:
        slot = &dev[2];
        break;
      case NFULA_IFINDEX_PHYSOUTDEV:
        slot = &dev[3];
        break;
      case NFULA_SEQ:
        slot = &seq;
        break;
      case NFULA_SEQ_GLOBAL:
        slot = &seq_global;
        break;
      default:
        break;
      }
      if (slot)
        *slot = walk.u32_be();
    }
    if (!walk.ok()) {
      err = *walk.err();
      return false;
    }
    l.note_sequence(seq, seq_global);
    if (l.resolves_names())
      for (std::size_t i = 0; i < dev.size(); ++i)
        if (dev[i] && dev[i] != named_[i]) {
          auto* n = l.interface_name(*dev[i]);
          out_.name(*dev[i], n ? std::string_view{*n} : std::string_view{});
          named_[i] = dev[i];
        }
    out_.add_event(msg.bytes);
    return true;
  }

 private:
  netlink_batch& out_;
  // The interfaces of the last event, whose names are in force in `out_`:
  // within one read (a few milliseconds, well inside the name cache's
  // lifetime) the next event on the same interfaces needs no lookup.
  std::array<std::optional<std::uint32_t>, interface_members.size()> named_;
};

} // namespace

result<drain_result> drain_packed(listener& l, netlink_batch& out,
                                  std::size_t max_events,
                                  std::size_t max_datagrams) {
  packing_stage packer{out};
  return l.read(packer, max_events, max_datagrams);
}

// -- reading a batch
// -------------------------------------------------------------

result<std::uint32_t> packed_count(byte_view bytes) {
  auto h = read_header(bytes);
  if (!h)
    return std::move(h).err();
  return h->count;
}

result<void> append_packed(byte_buffer& batch, byte_view more) {
  auto added = read_header(more);
  if (!added)
    return std::move(added).err();
  if (batch.empty()) {
    batch.assign(more.begin(), more.end());
    return {};
  }
  auto have = read_header(batch);
  if (!have)
    return std::move(have).err();
  if (have->order != added->order)
    return make_error(errc::invalid_argument, "append packed events",
                      "byte order " + std::to_string(added->order) +
                          " appended to byte order " +
                          std::to_string(have->order));
  std::uint64_t total = std::uint64_t{have->count} + added->count;
  if (total > UINT32_MAX)
    return make_error(errc::invalid_argument, "append packed events",
                      "more than 2^32-1 events in one batch");
  batch.insert(batch.end(), more.begin() + header_size, more.end());
  write_header(batch.data(), have->order, static_cast<std::uint32_t>(total));
  return {};
}

result<void> unpack_events(std::shared_ptr<const byte_buffer> bytes,
                           std::vector<log_event>& out) {
  if (!bytes)
    return make_error(errc::invalid_argument, "unpack events", "no bytes");
  byte_view view{*bytes};
  auto h = read_header(view);
  if (!h)
    return std::move(h).err();
  std::shared_ptr<const void> storage = std::move(bytes);
  return unpack_netlink(view, *h, storage, out);
}

result<void> unpack_events(byte_view bytes, std::vector<log_event>& out) {
  return unpack_events(
      std::make_shared<const byte_buffer>(bytes.begin(), bytes.end()), out);
}

result<std::vector<log_event>> unpack_events(byte_view bytes) {
  std::vector<log_event> out;
  if (auto ok = unpack_events(bytes, out); !ok)
    return std::move(ok).err();
  return out;
}

} // namespace nfactor::nflog
