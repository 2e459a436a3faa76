// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/decode.hpp"

#include <array>
#include <cstring>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::nflog {

namespace {

using writer = nl::message_writer;
// The storage the decoded bytes live in (see `shared_bytes`).
using owner_ref = const std::shared_ptr<const void>&;

constexpr std::string_view op = "decode NFLOG packet";

// The attribute being decoded: the hot path's inline stand-in for an
// `nl::attr_reader` positioned on it, with the same exact-length checks and
// error texts. Nests are read with a real `nl::attr_reader` (`nested()`,
// then `adopt()` its error).
class reader {
 public:
  void on(std::uint16_t type, byte_view payload) noexcept {
    type_ = type;
    payload_ = payload;
  }
  [[nodiscard]] byte_view bytes() const noexcept { return payload_; }
  std::uint16_t u16_be() noexcept {
    return __builtin_bswap16(read_int<std::uint16_t>());
  }
  std::uint32_t u32_be() noexcept {
    return __builtin_bswap32(read_int<std::uint32_t>());
  }
  // Text up to the first NUL (or the end).
  std::string_view str() const noexcept {
    auto* p = reinterpret_cast<const char*>(payload_.data());
    auto n = payload_.size();
    if (auto* nul = static_cast<const char*>(std::memchr(p, 0, n)))
      n = static_cast<std::size_t>(nul - p);
    return {p, n};
  }
  template <class T>
  T fixed() noexcept {
    T out{};
    if (check_len(sizeof(T)))
      std::memcpy(&out, payload_.data(), sizeof(T));
    return out;
  }
  [[nodiscard]] nl::attr_reader nested() const noexcept {
    return nl::attr_reader{payload_, op};
  }
  void adopt(const nl::attr_reader& in) {
    if (auto& e = in.err(); e && ok())
      fail(e->code, e->detail);
  }
  void fail(std::string detail) {
    fail(make_error_code(errc::bad_attribute), std::move(detail));
  }
  void fail(std::error_code code, std::string detail) {
    if (!ok())
      return;
    code_ = code;
    detail_ = std::move(detail);
  }
  [[nodiscard]] bool ok() const noexcept { return !code_; }
  [[nodiscard]] std::error_code code() const noexcept { return code_; }
  [[nodiscard]] std::string& detail() noexcept { return detail_; }

 private:
  bool check_len(std::size_t want) {
    if (payload_.size() == want) [[likely]]
      return true;
    fail("attribute type " + std::to_string(type_) + " has " +
         std::to_string(payload_.size()) + " payload bytes, expected " +
         std::to_string(want));
    return false;
  }
  template <class T>
  T read_int() noexcept {
    T out = 0;
    if (check_len(sizeof(T)))
      std::memcpy(&out, payload_.data(), sizeof(T));
    return out;
  }

  std::uint16_t type_ = 0;
  byte_view payload_;
  std::error_code code_;
  std::string detail_;
};

// -- wire shapes ------------------------------------------------------------
// Each shape reads one attribute into the member `M` and writes it back.

template <auto M>
struct be16 {
  static void read(reader& r, log_event& e, owner_ref) { e.*M = r.u16_be(); }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (e.*M)
      w.attr_u16_be(t, *(e.*M));
  }
};

template <auto M>
struct be32 {
  static void read(reader& r, log_event& e, owner_ref) { e.*M = r.u32_be(); }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (e.*M)
      w.attr_u32_be(t, *(e.*M));
  }
};

// A NUL-terminated string (the kernel includes the NUL).
template <auto M>
struct cstring {
  static void read(reader& r, log_event& e, owner_ref) {
    (e.*M).emplace(r.str());
  }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (e.*M)
      w.attr_str(t, *(e.*M));
  }
};

// Opaque bytes, shared with the datagram (no copy).
template <auto M>
struct blob {
  static void read(reader& r, log_event& e, owner_ref owner) {
    (e.*M).emplace(owner, r.bytes());
  }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (e.*M)
      w.attr_bytes(t, *(e.*M));
  }
};

// struct nfulnl_msg_packet_hdr → hw_protocol (BE16) and hook.
struct packet_hdr {
  static void read(reader& r, log_event& e, owner_ref) {
    auto h = r.fixed<nfulnl_msg_packet_hdr>();
    if (!r.ok())
      return;
    e.hw_protocol = ntohs(h.hw_protocol);
    e.hook = h.hook;
  }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (!e.hook && !e.hw_protocol)
      return;
    nfulnl_msg_packet_hdr h{};
    h.hw_protocol = htons(e.hw_protocol.value_or(0));
    h.hook = e.hook.value_or(0);
    w.attr_bytes(t, {reinterpret_cast<const std::uint8_t*>(&h), sizeof(h)});
  }
};

// struct nfulnl_msg_packet_timestamp: BE64 seconds and microseconds.
struct packet_timestamp {
  static void read(reader& r, log_event& e, owner_ref) {
    auto ts = r.fixed<nfulnl_msg_packet_timestamp>();
    if (r.ok())
      e.timestamp = timestamp{static_cast<std::int64_t>(be64toh(ts.sec)),
                              static_cast<std::int64_t>(be64toh(ts.usec))};
  }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (!e.timestamp)
      return;
    nfulnl_msg_packet_timestamp ts{};
    ts.sec = htobe64(static_cast<std::uint64_t>(e.timestamp->sec));
    ts.usec = htobe64(static_cast<std::uint64_t>(e.timestamp->usec));
    w.attr_bytes(t, {reinterpret_cast<const std::uint8_t*>(&ts), sizeof(ts)});
  }
};

// struct nfulnl_msg_packet_hw: BE16 length, pad, 8 address bytes.
struct packet_hw {
  static void read(reader& r, log_event& e, owner_ref) {
    auto hw = r.fixed<nfulnl_msg_packet_hw>();
    if (!r.ok())
      return;
    hw_address a;
    a.len = ntohs(hw.hw_addrlen);
    if (a.len > a.bytes.size()) {
      r.fail("hw_addrlen " + std::to_string(a.len) + " exceeds 8 bytes");
      return;
    }
    std::memcpy(a.bytes.data(), hw.hw_addr, a.len);
    e.hwaddr = a;
  }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (!e.hwaddr)
      return;
    nfulnl_msg_packet_hw hw{};
    hw.hw_addrlen = htons(e.hwaddr->len);
    std::memcpy(hw.hw_addr, e.hwaddr->bytes.data(), sizeof(hw.hw_addr));
    w.attr_bytes(t, {reinterpret_cast<const std::uint8_t*>(&hw), sizeof(hw)});
  }
};

// NFULA_CT: raw ctnetlink attributes, kept and parsed.
struct ct_nest {
  static void read(reader& r, log_event& e, owner_ref owner) {
    e.ct.emplace(owner, r.bytes());
    auto in = r.nested();
    e.conntrack = decode_conntrack(in);
    r.adopt(in);
  }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    // The raw nest byte for byte (re-nesting would count the padding of
    // an odd-length payload as part of it).
    if (e.ct)
      w.attr_bytes(static_cast<std::uint16_t>(t | NLA_F_NESTED), *e.ct);
  }
};

// NFULA_VLAN: a nest of NFULA_VLAN_PROTO and NFULA_VLAN_TCI (BE16 each).
struct vlan_nest {
  static void read(reader& r, log_event& e, owner_ref) {
    vlan_tag v;
    auto in = r.nested();
    while (in.next()) {
      if (in.type() == NFULA_VLAN_PROTO)
        v.proto = in.u16_be();
      else if (in.type() == NFULA_VLAN_TCI)
        v.tci = in.u16_be();
    }
    r.adopt(in);
    if (r.ok())
      e.vlan = v;
  }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (!e.vlan)
      return;
    auto tok = w.begin_nested(t);
    w.attr_u16_be(NFULA_VLAN_PROTO, e.vlan->proto);
    w.attr_u16_be(NFULA_VLAN_TCI, e.vlan->tci);
    w.end_nested(tok);
  }
};

// -- the table --------------------------------------------------------------

struct row {
  std::uint16_t type;
  std::string_view name;
  void (*read)(reader&, log_event&, owner_ref);
  void (*write)(writer&, std::uint16_t, const log_event&);
};

// One NFULA_* attribute = one row: its name, its wire shape and the
// member it fills.
#define NFACTOR_NFLOG_ROW(attr, ...)                                           \
  row {                                                                        \
    attr, #attr, &__VA_ARGS__::read, &__VA_ARGS__::write                       \
  }

using ev = log_event;

constexpr row rows[] = {
    NFACTOR_NFLOG_ROW(NFULA_PACKET_HDR, packet_hdr),
    NFACTOR_NFLOG_ROW(NFULA_MARK, be32<&ev::mark>),
    NFACTOR_NFLOG_ROW(NFULA_TIMESTAMP, packet_timestamp),
    NFACTOR_NFLOG_ROW(NFULA_IFINDEX_INDEV, be32<&ev::indev>),
    NFACTOR_NFLOG_ROW(NFULA_IFINDEX_OUTDEV, be32<&ev::outdev>),
    NFACTOR_NFLOG_ROW(NFULA_IFINDEX_PHYSINDEV, be32<&ev::physindev>),
    NFACTOR_NFLOG_ROW(NFULA_IFINDEX_PHYSOUTDEV, be32<&ev::physoutdev>),
    NFACTOR_NFLOG_ROW(NFULA_HWADDR, packet_hw),
    NFACTOR_NFLOG_ROW(NFULA_PAYLOAD, blob<&ev::payload>),
    NFACTOR_NFLOG_ROW(NFULA_PREFIX, cstring<&ev::prefix>),
    NFACTOR_NFLOG_ROW(NFULA_UID, be32<&ev::uid>),
    NFACTOR_NFLOG_ROW(NFULA_SEQ, be32<&ev::seq>),
    NFACTOR_NFLOG_ROW(NFULA_SEQ_GLOBAL, be32<&ev::seq_global>),
    NFACTOR_NFLOG_ROW(NFULA_GID, be32<&ev::gid>),
    NFACTOR_NFLOG_ROW(NFULA_HWTYPE, be16<&ev::hwtype>),
    NFACTOR_NFLOG_ROW(NFULA_HWHEADER, blob<&ev::hwheader>),
    NFACTOR_NFLOG_ROW(NFULA_HWLEN, be16<&ev::hwlen>),
    NFACTOR_NFLOG_ROW(NFULA_CT, ct_nest),
    NFACTOR_NFLOG_ROW(NFULA_CT_INFO, be32<&ev::ctinfo>),
    NFACTOR_NFLOG_ROW(NFULA_VLAN, vlan_nest),
    NFACTOR_NFLOG_ROW(NFULA_L2HDR, blob<&ev::l2hdr>),
};

#undef NFACTOR_NFLOG_ROW

// Rows indexed by attribute type, for a constant-time lookup per attribute.
constexpr auto by_type = [] {
  std::array<const row*, NFULA_MAX + 1> out{};
  for (const auto& r : rows)
    out[r.type] = &r;
  return out;
}();

constexpr std::uint16_t packet_type =
    nfnl::nlmsg_type(nfnl::subsys::ulog, NFULNL_MSG_PACKET);

} // namespace

bool is_packet(const nl::message& msg) noexcept {
  return msg.type == packet_type;
}

std::string_view attribute_name(std::uint16_t type) noexcept {
  if (type < by_type.size() && by_type[type])
    return by_type[type]->name;
  return {};
}

namespace {

// Decodes into `out`, which holds no attributes yet. The hot path: it
// returns a flag and builds an error only on failure (a `result<void>`
// return costs a 136-byte clear per event).
bool decode_fresh(const nl::message& msg, log_event& out,
                  std::optional<error>& err, owner_ref owner) {
  if (!is_packet(msg)) {
    err = make_error(errc::bad_message, std::string{op},
                     "message type " + std::to_string(msg.type) +
                         " is not NFULNL_MSG_PACKET");
    return false;
  }
  if (msg.payload.size() < 4) {
    auto hdr = nfnl::decode_nfgenmsg(msg.payload);
    err = std::move(hdr).err();
    return false;
  }
  out.family = msg.payload[0];
  out.group = static_cast<std::uint16_t>(msg.payload[2] << 8 | msg.payload[3]);
  // The walk is nl::attr_reader's (inline); each known attribute is read
  // by its row.
  nl::attr_reader walk{msg.payload.subspan(4), op};
  reader r;
  while (walk.next()) {
    auto t = walk.type();
    if (t >= by_type.size() || !by_type[t])
      continue; // newer kernels add attributes; skip what we do not know
    r.on(t, walk.bytes());
    by_type[t]->read(r, out, owner);
    if (!r.ok()) [[unlikely]] {
      err = make_error(r.code(), std::string{op},
                       std::string{by_type[t]->name} + ": " + r.detail());
      return false;
    }
  }
  if (!walk.ok()) [[unlikely]] {
    err = *walk.err();
    return false;
  }
  return true;
}

} // namespace

result<void> decode_packet(const nl::message& msg, log_event& out,
                           const std::shared_ptr<const void>& storage) {
  out = log_event{};
  std::optional<error> err;
  if (storage) {
    if (!decode_fresh(msg, out, err, storage))
      return std::move(*err);
    return {};
  }
  // No shared storage: one block for this message's bytes.
  auto block =
      std::make_shared<byte_buffer>(msg.payload.begin(), msg.payload.end());
  nl::message m = msg;
  m.payload = byte_view{*block};
  if (!decode_fresh(m, out, err, block))
    return std::move(*err);
  return {};
}

bool decode_packet_back(const nl::message& msg, std::vector<log_event>& out,
                        std::optional<error>& err,
                        const std::shared_ptr<const void>& storage) {
  if (decode_fresh(msg, out.emplace_back(), err, storage))
    return true;
  out.pop_back();
  return false;
}

result<log_event> decode_packet(const nl::message& msg,
                                const std::shared_ptr<const void>& storage) {
  log_event out;
  if (auto st = decode_packet(msg, out, storage); !st)
    return std::move(st).err();
  return out;
}

void append_packet(byte_buffer& out, const log_event& e, std::uint32_t seq) {
  writer w{out};
  w.begin(packet_type, 0, seq);
  w.put_nfgenmsg(e.family, e.group);
  for (const auto& r : rows)
    r.write(w, r.type, e);
  w.end();
}

} // namespace nfactor::nflog
