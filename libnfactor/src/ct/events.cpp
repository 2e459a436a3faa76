// SPDX-License-Identifier: Apache-2.0
#include "nfactor/ct/events.hpp"

#include <bit>
#include <cerrno>
#include <string>

#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

namespace nfactor::ct {

namespace {

// A tiny assembler for forward jumps: instructions refer to labels, which
// are resolved into the 8-bit jump offsets once the program is complete.
class program {
 public:
  using label = std::size_t;

  label new_label() {
    targets_.push_back(npos);
    return targets_.size() - 1;
  }
  void bind(label l) { targets_[l] = code_.size(); }

  void stmt(std::uint16_t code, std::uint32_t k) {
    code_.push_back({code, 0, 0, k});
    jumps_.push_back({npos, npos});
  }
  // Jump to `t` if the test holds, to `f` if not (npos: next instruction).
  void jump(std::uint16_t code, std::uint32_t k, label t, label f) {
    code_.push_back({code, 0, 0, k});
    jumps_.push_back({t, f});
  }
  void always(label l) { jump(BPF_JMP | BPF_JA, 0, l, npos); }

  result<std::vector<sock_filter>> finish() {
    for (std::size_t i = 0; i < code_.size(); ++i) {
      auto [t, f] = jumps_[i];
      auto offset = [&](label l, std::uint32_t& out) {
        if (l == npos)
          return true;
        auto d = targets_[l] - i - 1;
        out = static_cast<std::uint32_t>(d);
        return targets_[l] > i && d <= 255;
      };
      std::uint32_t jt = 0;
      std::uint32_t jf = 0;
      bool ja = code_[i].code == (BPF_JMP | BPF_JA);
      if (!offset(t, ja ? code_[i].k : jt) || !offset(f, jf) ||
          (!ja && (jt > 255 || jf > 255)))
        return make_error(errc::invalid_argument, "conntrack event filter",
                          "too many values for one program");
      code_[i].jt = static_cast<std::uint8_t>(jt);
      code_[i].jf = static_cast<std::uint8_t>(jf);
    }
    if (code_.size() > BPF_MAXINSNS)
      return make_error(errc::invalid_argument, "conntrack event filter",
                        "program of " + std::to_string(code_.size()) +
                            " instructions");
    return code_;
  }

  static constexpr label npos = static_cast<label>(-1);

 private:
  std::vector<sock_filter> code_;
  std::vector<std::pair<label, label>> jumps_;
  std::vector<std::size_t> targets_;
};

constexpr std::uint32_t attrs_start = NLMSG_HDRLEN + sizeof(nfgenmsg);
constexpr std::uint32_t accept_all = 0xffffffffu;

// A = offset of the attribute path `types` (each nested in the one
// before), starting at the message's attributes; jumps to `missing` when
// one is absent.
void find(program& p, std::initializer_list<std::uint16_t> types,
          program::label missing) {
  p.stmt(BPF_LD | BPF_IMM, attrs_start);
  bool first = true;
  for (auto t : types) {
    p.stmt(BPF_LDX | BPF_IMM, t);
    p.stmt(BPF_LD | BPF_W | BPF_ABS,
           static_cast<std::uint32_t>(
               SKF_AD_OFF + (first ? SKF_AD_NLATTR : SKF_AD_NLATTR_NEST)));
    p.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, missing, program::npos);
    first = false;
  }
}

// Jumps to `pass` when A equals one of `values`, else to `fail`.
template <class T>
void one_of(program& p, const std::vector<T>& values, program::label pass,
            program::label fail) {
  for (auto v : values)
    p.jump(BPF_JMP | BPF_JEQ | BPF_K, v, pass, program::npos);
  p.always(fail);
}

// With X = the offset of an address attribute: jumps to `pass` when the
// address lies in one of `prefixes` (of its length), else to `fail`.
void in_prefixes(program& p, const std::vector<prefix>& prefixes,
                 program::label pass, program::label fail) {
  for (const auto& pre : prefixes) {
    auto next = p.new_label();
    std::uint32_t bits = pre.length;
    for (std::uint32_t word = 0; word * 32 < bits; ++word) {
      std::uint32_t take = std::min<std::uint32_t>(32, bits - word * 32);
      std::uint32_t mask = take == 32 ? 0xffffffffu : ~(0xffffffffu >> take);
      std::uint32_t want = 0;
      for (int i = 0; i < 4; ++i)
        want = (want << 8) | pre.address.bytes[word * 4 + i];
      p.stmt(BPF_LD | BPF_W | BPF_IND, NLA_HDRLEN + word * 4);
      p.stmt(BPF_ALU | BPF_AND | BPF_K, mask);
      p.jump(BPF_JMP | BPF_JEQ | BPF_K, want & mask, program::npos, next);
    }
    p.always(pass);
    p.bind(next);
  }
  p.always(fail);
}

result<void> check_prefixes(const std::vector<prefix>& ps) {
  for (const auto& pre : ps) {
    auto max = pre.address.version == 4 ? 32 : 128;
    if (pre.length > max ||
        (pre.address.version != 4 && pre.address.version != 6))
      return make_error(errc::invalid_argument, "conntrack event filter",
                        "prefix " + pre.address.to_string() + "/" +
                            std::to_string(pre.length) + " is out of range");
  }
  return {};
}

// Address clauses for one direction's source or destination: the V4 or V6
// attribute, whichever the message has.
void address_clause(program& p, const std::vector<prefix>& ps, std::uint16_t v4,
                    std::uint16_t v6, program::label reject) {
  std::vector<prefix> four;
  std::vector<prefix> six;
  for (const auto& pre : ps)
    (pre.address.version == 4 ? four : six).push_back(pre);
  auto done = p.new_label();
  auto try_v6 = p.new_label();
  find(p, {CTA_TUPLE_ORIG, CTA_TUPLE_IP, v4}, try_v6);
  p.stmt(BPF_MISC | BPF_TAX, 0);
  in_prefixes(p, four, done, reject);
  p.bind(try_v6);
  find(p, {CTA_TUPLE_ORIG, CTA_TUPLE_IP, v6}, reject);
  p.stmt(BPF_MISC | BPF_TAX, 0);
  in_prefixes(p, six, done, reject);
  p.bind(done);
}

} // namespace

std::vector<unsigned> group_numbers(const event_groups& g) {
  std::vector<unsigned> out;
  auto add = [&](bool on, unsigned group) {
    if (on)
      out.push_back(group);
  };
  add(g.created, NFNLGRP_CONNTRACK_NEW);
  add(g.updated, NFNLGRP_CONNTRACK_UPDATE);
  add(g.destroyed, NFNLGRP_CONNTRACK_DESTROY);
  add(g.exp_created, NFNLGRP_CONNTRACK_EXP_NEW);
  add(g.exp_updated, NFNLGRP_CONNTRACK_EXP_UPDATE);
  add(g.exp_destroyed, NFNLGRP_CONNTRACK_EXP_DESTROY);
  return out;
}

result<std::vector<sock_filter>> compile_filter(const event_filter& f) {
  if (auto st = check_prefixes(f.sources); !st)
    return std::move(st).err();
  if (auto st = check_prefixes(f.destinations); !st)
    return std::move(st).err();
  program p;
  auto accept = p.new_label();
  auto reject = p.new_label();
  // Other subsystems pass: the subsystem is the high byte of nlmsg_type,
  // which the socket holds in host byte order.
  constexpr std::uint32_t subsys_at =
      4 + (std::endian::native == std::endian::little ? 1 : 0);
  p.stmt(BPF_LD | BPF_B | BPF_ABS, subsys_at);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, NFNL_SUBSYS_CTNETLINK, program::npos,
         accept);
  if (!f.families.empty()) {
    auto next = p.new_label();
    p.stmt(BPF_LD | BPF_B | BPF_ABS, NLMSG_HDRLEN); // nfgen_family
    one_of(p, f.families, next, reject);
    p.bind(next);
  }
  if (!f.l4protos.empty()) {
    auto next = p.new_label();
    find(p, {CTA_TUPLE_ORIG, CTA_TUPLE_PROTO, CTA_PROTO_NUM}, reject);
    p.stmt(BPF_MISC | BPF_TAX, 0);
    p.stmt(BPF_LD | BPF_B | BPF_IND, NLA_HDRLEN);
    one_of(p, f.l4protos, next, reject);
    p.bind(next);
  }
  if (!f.sources.empty())
    address_clause(p, f.sources, CTA_IP_V4_SRC, CTA_IP_V6_SRC, reject);
  if (!f.destinations.empty())
    address_clause(p, f.destinations, CTA_IP_V4_DST, CTA_IP_V6_DST, reject);
  if (!f.tcp_states.empty()) {
    find(p, {CTA_PROTOINFO, CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE},
         accept);
    p.stmt(BPF_MISC | BPF_TAX, 0);
    p.stmt(BPF_LD | BPF_B | BPF_IND, NLA_HDRLEN);
    one_of(p, f.tcp_states, accept, reject);
  }
  p.always(accept);
  p.bind(reject);
  p.stmt(BPF_RET | BPF_K, 0);
  p.bind(accept);
  p.stmt(BPF_RET | BPF_K, accept_all);
  return p.finish();
}

result<void> attach_filter(sys::socket& sock, const event_filter& f) {
  if (f.empty()) {
    int dummy = 0;
    if (::setsockopt(sock.fd(), SOL_SOCKET, SO_DETACH_FILTER, &dummy,
                     sizeof(dummy)) < 0 &&
        errno != ENOENT)
      return errno_error("SO_DETACH_FILTER");
    return {};
  }
  auto prog = compile_filter(f);
  if (!prog)
    return std::move(prog).err();
  sock_fprog fprog{static_cast<unsigned short>(prog->size()), prog->data()};
  if (::setsockopt(sock.fd(), SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
                   sizeof(fprog)) < 0)
    return errno_error("SO_ATTACH_FILTER",
                       std::to_string(prog->size()) + " instructions");
  return {};
}

result<void> set_reliable(sys::socket& sock, bool on) {
  int v = on ? 1 : 0;
  for (int opt : {NETLINK_BROADCAST_ERROR, NETLINK_NO_ENOBUFS})
    if (::setsockopt(sock.fd(), SOL_NETLINK, opt, &v, sizeof(v)) < 0)
      return errno_error(opt == NETLINK_BROADCAST_ERROR
                             ? "NETLINK_BROADCAST_ERROR"
                             : "NETLINK_NO_ENOBUFS");
  return {};
}

} // namespace nfactor::ct
