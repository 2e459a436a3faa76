// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/packed.hpp"

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include <linux/netlink.h>

#include "nfactor/nflog/decode.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nflog {

namespace {

// -- the rows: one line per optional member, in wire order -----------------

// A change of these structs must change the rows below (and the diagram in
// packed.hpp); the sizes make the compiler say so.
static_assert(sizeof(log_event) == 488 && sizeof(conntrack) == 536 &&
                  sizeof(ct_tuple) == 58,
              "log_event changed shape: update the rows in packed.cpp, the "
              "layout in packed.hpp and packed_version");

template <class Event, class F>
void event_rows(Event& x, F&& f) {
  f(x.hw_protocol);     // 0
  f(x.hook);            // 1
  f(x.mark);            // 2
  f(x.timestamp);       // 3
  f(x.indev);           // 4
  f(x.outdev);          // 5
  f(x.physindev);       // 6
  f(x.physoutdev);      // 7
  f(x.indev_name);      // 8
  f(x.outdev_name);     // 9
  f(x.physindev_name);  // 10
  f(x.physoutdev_name); // 11
  f(x.hwaddr);          // 12
  f(x.payload);         // 13
  f(x.prefix);          // 14
  f(x.uid);             // 15
  f(x.gid);             // 16
  f(x.seq);             // 17
  f(x.seq_global);      // 18
  f(x.hwtype);          // 19
  f(x.hwlen);           // 20
  f(x.hwheader);        // 21
  f(x.ct);              // 22
  f(x.conntrack);       // 23
  f(x.ctinfo);          // 24
  f(x.vlan);            // 25
  f(x.l2hdr);           // 26
}
constexpr unsigned event_row_count = 27;

template <class Conntrack, class F>
void conntrack_rows(Conntrack& x, F&& f) {
  f(x.orig);             // 0
  f(x.reply);            // 1
  f(x.status);           // 2
  f(x.tcp_state);        // 3
  f(x.id);               // 4
  f(x.mark);             // 5
  f(x.timeout);          // 6
  f(x.use);              // 7
  f(x.zone);             // 8
  f(x.master);           // 9
  f(x.tcp_wscale_orig);  // 10
  f(x.tcp_wscale_reply); // 11
  f(x.tcp_flags_orig);   // 12
  f(x.tcp_flags_reply);  // 13
  f(x.sctp_state);       // 14
  f(x.sctp_vtag_orig);   // 15
  f(x.sctp_vtag_reply);  // 16
  f(x.dccp_state);       // 17
  f(x.dccp_role);        // 18
  f(x.counters_orig);    // 19
  f(x.counters_reply);   // 20
  f(x.timestamp_start);  // 21
  f(x.timestamp_stop);   // 22
  f(x.labels);           // 23
  f(x.labels_mask);      // 24
  f(x.mark_mask);        // 25
  f(x.status_mask);      // 26
  f(x.secctx);           // 27
  f(x.helper);           // 28
  f(x.seq_adj_orig);     // 29
  f(x.seq_adj_reply);    // 30
}
constexpr unsigned conntrack_row_count = 31;

template <class Tuple, class F>
void tuple_rows(Tuple& x, F&& f) {
  f(x.src);       // 0
  f(x.dst);       // 1
  f(x.l4proto);   // 2
  f(x.src_port);  // 3
  f(x.dst_port);  // 4
  f(x.echo_id);   // 5
  f(x.icmp_type); // 6
  f(x.icmp_code); // 7
  f(x.zone);      // 8
}
constexpr unsigned tuple_row_count = 9;

constexpr std::size_t header_size = 8;

// -- writing -----------------------------------------------------------------

// Writes into `out` from its current end; the buffer grows in steps
// (zero-filled, then overwritten) and is cut to what was written by
// `finish()`.
class writer {
 public:
  explicit writer(byte_buffer& out) : out_(out), pos_(out.size()) {}

  template <class T>
  requires std::is_integral_v<T>
  void put(T v) {
    using U = std::make_unsigned_t<T>;
    auto u = static_cast<U>(v);
    auto* p = room(sizeof(T));
    for (std::size_t i = 0; i < sizeof(T); ++i)
      p[i] = static_cast<std::uint8_t>(u >> (8 * i));
  }

  void put_raw(const std::uint8_t* p, std::size_t n) {
    if (n > 0)
      std::memcpy(room(n), p, n);
  }

  void put_bytes(const std::uint8_t* p, std::size_t n) {
    put(static_cast<std::uint32_t>(n));
    put_raw(p, n);
  }

  void finish() { out_.resize(pos_); }

  void put(const std::string& s) {
    put_bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
  void put(const byte_buffer& b) { put_bytes(b.data(), b.size()); }
  void put(const shared_bytes& b) {
    byte_view v = b;
    put_bytes(v.data(), v.size());
  }
  void put(const timestamp& t) {
    put(t.sec);
    put(t.usec);
  }
  void put(const hw_address& h) {
    put(h.len);
    put_raw(h.bytes.data(), h.bytes.size());
  }
  void put(const vlan_tag& v) {
    put(v.proto);
    put(v.tci);
  }
  void put(const ip_address& a) {
    put(a.version);
    put_raw(a.bytes.data(), a.bytes.size());
  }
  void put(const ct_tuple& t) {
    put_rows<std::uint16_t>(t, [](auto& x, auto&& f) { tuple_rows(x, f); });
  }
  void put(const conntrack& c) {
    put_rows<std::uint32_t>(c, [](auto& x, auto&& f) { conntrack_rows(x, f); });
  }
  void put(const ct::counters& c) {
    put(c.packets);
    put(c.bytes);
  }
  void put(const ct::tcp_flags& t) {
    put(t.flags);
    put(t.mask);
  }
  void put(const ct::seq_adj& a) {
    put(a.correction_pos);
    put(a.offset_before);
    put(a.offset_after);
  }

  // A presence mask of `Mask` over the rows of `x`, then the set rows.
  template <class Mask, class T, class Rows>
  void put_rows(const T& x, Rows rows) {
    Mask present = 0;
    unsigned i = 0;
    rows(x, [&](const auto& member) {
      if (member)
        present = static_cast<Mask>(present | (Mask{1} << i));
      ++i;
    });
    put(present);
    rows(x, [&](const auto& member) {
      if (member)
        put(*member);
    });
  }

 private:
  // `n` writable bytes at the write position.
  std::uint8_t* room(std::size_t n) {
    if (pos_ + n > out_.size())
      out_.resize(std::max(out_.size() * 2, pos_ + n + 256));
    auto* p = out_.data() + pos_;
    pos_ += n;
    return p;
  }

  byte_buffer& out_;
  std::size_t pos_;
};

// -- reading -----------------------------------------------------------------

class reader {
 public:
  // Byte fields point into `in`, kept alive by `storage`.
  reader(byte_view in, std::shared_ptr<const void> storage)
    : in_(in), storage_(std::move(storage)) {}

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] std::size_t left() const noexcept { return in_.size() - pos_; }
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }

  // Marks the input malformed; later reads return zeros.
  void fail() noexcept { ok_ = false; }

  template <class T>
  requires std::is_integral_v<T>
  void get(T& v) {
    if (!take(sizeof(T))) {
      v = 0;
      return;
    }
    using U = std::make_unsigned_t<T>;
    U u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      u = static_cast<U>(
          u | (static_cast<U>(in_[pos_ - sizeof(T) + i]) << (8 * i)));
    v = static_cast<T>(u);
  }

  // The next `n` bytes, or null when fewer are left.
  const std::uint8_t* take(std::size_t n) {
    if (!ok_ || left() < n) {
      ok_ = false;
      return nullptr;
    }
    auto p = in_.data() + pos_;
    pos_ += n;
    return p;
  }

  void get(std::string& s) {
    std::uint32_t n = 0;
    get(n);
    if (auto p = take(n))
      s.assign(reinterpret_cast<const char*>(p), n);
  }
  void get(byte_buffer& b) {
    std::uint32_t n = 0;
    get(n);
    if (auto p = take(n))
      b.assign(p, p + n);
  }
  void get(shared_bytes& b) {
    std::uint32_t n = 0;
    get(n);
    if (auto p = take(n))
      b = shared_bytes{storage_, byte_view{p, n}};
  }
  void get(timestamp& t) {
    get(t.sec);
    get(t.usec);
  }
  void get(hw_address& h) {
    get(h.len);
    if (auto p = take(h.bytes.size()))
      std::memcpy(h.bytes.data(), p, h.bytes.size());
  }
  void get(vlan_tag& v) {
    get(v.proto);
    get(v.tci);
  }
  void get(ip_address& a) {
    get(a.version);
    if (auto p = take(a.bytes.size()))
      std::memcpy(a.bytes.data(), p, a.bytes.size());
  }
  void get(ct_tuple& t) {
    get_rows<std::uint16_t>(t, tuple_row_count,
                            [](auto& x, auto&& f) { tuple_rows(x, f); });
  }
  void get(conntrack& c) {
    get_rows<std::uint32_t>(c, conntrack_row_count,
                            [](auto& x, auto&& f) { conntrack_rows(x, f); });
  }
  void get(ct::counters& c) {
    get(c.packets);
    get(c.bytes);
  }
  void get(ct::tcp_flags& t) {
    get(t.flags);
    get(t.mask);
  }
  void get(ct::seq_adj& a) {
    get(a.correction_pos);
    get(a.offset_before);
    get(a.offset_after);
  }

  // A presence mask of `Mask` over `rows` rows of `x`, then the set rows;
  // a bit beyond the rows fails.
  template <class Mask, class T, class Rows>
  void get_rows(T& x, unsigned row_count, Rows rows) {
    Mask present = 0;
    get(present);
    if (row_count < sizeof(Mask) * 8 && (present >> row_count) != 0)
      fail();
    if (!ok_)
      return;
    unsigned i = 0;
    rows(x, [&](auto& member) {
      if (ok_ && (present >> i) & 1u)
        get(member.emplace());
      ++i;
    });
  }

 private:
  byte_view in_;
  std::shared_ptr<const void> storage_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

error malformed(std::size_t pos, const char* what) {
  return make_error(errc::bad_message, "unpack events",
                    std::string(what) + " at byte " + std::to_string(pos));
}

// -- the header of both layouts ---------------------------------------------

constexpr std::uint8_t host_order =
    std::endian::native == std::endian::little ? 1 : 2;

struct header {
  std::uint8_t version = 0;
  // Layout 1: the row count; layout 2: the byte order.
  std::uint8_t shape = 0;
  std::uint32_t count = 0;
};

result<header> read_header(byte_view bytes) {
  if (bytes.size() < header_size)
    return make_error(errc::truncated, "unpack events",
                      "shorter than the 8-byte header");
  header h;
  h.version = bytes[0];
  h.shape = bytes[1];
  for (std::size_t i = 0; i < 4; ++i)
    h.count |= std::uint32_t{bytes[4 + i]} << (8 * i);
  bool known = (h.version == packed_version && h.shape == event_row_count) ||
               (h.version == netlink_version && (h.shape == 1 || h.shape == 2));
  if (!known)
    return make_error(errc::bad_message, "unpack events",
                      "layout version " + std::to_string(h.version) + " with " +
                          std::to_string(h.shape) + " (want " +
                          std::to_string(packed_version) + " with " +
                          std::to_string(event_row_count) + " rows, or " +
                          std::to_string(netlink_version) +
                          " with byte order 1 or 2)");
  if (bytes[2] != 0 || bytes[3] != 0)
    return malformed(2, "reserved header bits set");
  return h;
}

void write_header(std::uint8_t* p, std::uint8_t version, std::uint8_t shape,
                  std::uint32_t count) {
  p[0] = version;
  p[1] = shape;
  p[2] = p[3] = 0;
  for (std::size_t i = 0; i < 4; ++i)
    p[4 + i] = static_cast<std::uint8_t>(count >> (8 * i));
}

// -- layout 1 ----------------------------------------------------------------

result<void> unpack_rows(byte_view bytes, std::uint32_t count,
                         const std::shared_ptr<const void>& storage,
                         std::vector<log_event>& out) {
  // Each event takes at least 7 bytes: a count beyond that is a lie, and
  // must not make us reserve memory for it.
  auto rest = bytes.size() - header_size;
  if (count > rest / 7)
    return make_error(errc::truncated, "unpack events",
                      std::to_string(count) + " events cannot fit in " +
                          std::to_string(rest) + " bytes");
  reader r{bytes, storage};
  r.take(header_size);
  auto before = out.size();
  out.reserve(before + count);
  for (std::uint32_t k = 0; k < count && r.ok(); ++k) {
    auto& ev = out.emplace_back();
    r.get(ev.family);
    r.get(ev.group);
    r.get_rows<std::uint32_t>(ev, event_row_count,
                              [](auto& x, auto&& f) { event_rows(x, f); });
  }
  if (!r.ok() || r.left() != 0) {
    auto err = !r.ok() ? make_error(errc::truncated, "unpack events",
                                    "input ends inside an event or a bit "
                                    "beyond the rows is set (near byte " +
                                        std::to_string(r.pos()) + ")")
                       : malformed(r.pos(), "trailing bytes");
    out.resize(before);
    return err;
  }
  return {};
}

// -- layout 2 ----------------------------------------------------------------

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

  // Fills `name` from `idx` (if both the index and a name are known).
  void fill(const std::optional<std::uint32_t>& idx,
            std::optional<std::string>& name) const {
    if (!idx)
      return;
    for (const auto& [i, n] : names_)
      if (i == *idx) {
        if (!n.empty())
          name = n;
        return;
      }
  }

 private:
  std::vector<std::pair<std::uint32_t, std::string>> names_;
};

result<void> unpack_netlink(byte_view bytes, const header& h,
                            const std::shared_ptr<const void>& storage,
                            std::vector<log_event>& out) {
  if (h.shape != host_order)
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
      names.set(idx, {reinterpret_cast<const char*>(text.data()),
                      text.size()});
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
    auto& ev = out.back();
    names.fill(ev.indev, ev.indev_name);
    names.fill(ev.outdev, ev.outdev_name);
    names.fill(ev.physindev, ev.physindev_name);
    names.fill(ev.physoutdev, ev.physoutdev_name);
  }
  if (auto st = msgs.status(); !st)
    return fail(std::move(st).err());
  if (events != h.count)
    return fail(make_error(errc::truncated, "unpack events",
                           std::to_string(events) + " events, the header "
                           "says " + std::to_string(h.count)));
  return {};
}

} // namespace

// -- netlink_batch -------------------------------------------------------------

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
  auto in_force = std::find_if(names_.begin(), names_.end(),
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
  write_header(buf_.data(), netlink_version, host_order, events_);
  auto out = std::move(buf_);
  buf_ = byte_buffer{};
  start(reserve);
  return out;
}

// -- layout 1 writing and both layouts reading --------------------------------

void pack_events(std::span<const log_event> events, byte_buffer& out) {
  writer w{out};
  w.put(packed_version);
  w.put(static_cast<std::uint8_t>(event_row_count));
  w.put(std::uint16_t{0});
  w.put(static_cast<std::uint32_t>(events.size()));
  for (const auto& ev : events) {
    w.put(ev.family);
    w.put(ev.group);
    w.put_rows<std::uint32_t>(ev, [](auto& x, auto&& f) { event_rows(x, f); });
  }
  w.finish();
}

byte_buffer pack_events(std::span<const log_event> events) {
  byte_buffer out;
  pack_events(events, out);
  return out;
}

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
  if (have->version != added->version || have->shape != added->shape)
    return make_error(errc::invalid_argument, "append packed events",
                      "layout " + std::to_string(added->version) +
                          " appended to layout " +
                          std::to_string(have->version));
  std::uint64_t total = std::uint64_t{have->count} + added->count;
  if (total > UINT32_MAX)
    return make_error(errc::invalid_argument, "append packed events",
                      "more than 2^32-1 events in one batch");
  batch.insert(batch.end(), more.begin() + header_size, more.end());
  write_header(batch.data(), have->version, have->shape,
               static_cast<std::uint32_t>(total));
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
  if (h->version == netlink_version)
    return unpack_netlink(view, *h, storage, out);
  return unpack_rows(view, h->count, storage, out);
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
