// SPDX-License-Identifier: Apache-2.0
#include "decision_json.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <unistd.h>

#include "nfactor/nflog/event.hpp"
#include "nfactor/nfnl/codec.hpp"

namespace nfactor::app {

namespace {

// A JSON string; control characters and every byte outside printable
// ASCII as \u00XX (interface names and rule texts are bytes, not UTF-8).
void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

// The transport protocols the JSON lines name (the rule language's
// spellings); others are numbers.
const char* proto_name(std::uint8_t p) {
  switch (p) {
  case IPPROTO_TCP:
    return "tcp";
  case IPPROTO_UDP:
    return "udp";
  case IPPROTO_UDPLITE:
    return "udplite";
  case IPPROTO_SCTP:
    return "sctp";
  case IPPROTO_ICMP:
    return "icmp";
  case IPPROTO_ICMPV6:
    return "icmpv6";
  default:
    return nullptr;
  }
}

} // namespace

void append_decision_json(std::string& out, const nfqueue::queue_packet& p,
                          const nfqueue::decision& d,
                          std::string_view rule_text) {
  auto num = [&](const char* key, std::uint64_t v) {
    out += ",\"";
    out += key;
    out += "\":";
    out += std::to_string(v);
  };
  auto str = [&](const char* key, std::string_view v) {
    out += ",\"";
    out += key;
    out += "\":";
    append_escaped(out, v);
  };
  out += "{\"queue\":" + std::to_string(p.queue);
  num("id", p.id);
  // NFQUEUE's families: ip, ip6, bridge (and arp), as nft spells them.
  str("family", nfnl::to_string(static_cast<nfnl::family>(p.family)));
  str("hook", nflog::hook_name(p.family, p.hook));
  auto h = nfqueue::packet_headers::read(p.payload ? p.payload->view()
                                                   : byte_view{});
  if (h.protocol) {
    if (auto name = proto_name(*h.protocol))
      str("proto", name);
    else
      num("proto", *h.protocol);
  }
  if (h.version != 0) {
    char text[INET6_ADDRSTRLEN];
    int af = h.version == 4 ? AF_INET : AF_INET6;
    str("src", ::inet_ntop(af, h.saddr.data(), text, sizeof(text)));
    if (h.sport)
      num("sport", *h.sport);
    str("dst", ::inet_ntop(af, h.daddr.data(), text, sizeof(text)));
    if (h.dport)
      num("dport", *h.dport);
  }
  if (p.payload)
    num("len", p.cap_len ? *p.cap_len : p.payload->size());
  if (p.mark)
    num("mark", *p.mark);
  if (p.uid)
    num("uid", *p.uid);
  if (p.gid)
    num("gid", *p.gid);
  if (p.indev_name)
    str("indev", *p.indev_name);
  else if (p.indev)
    num("indev", *p.indev);
  if (p.outdev_name)
    str("outdev", *p.outdev_name);
  else if (p.outdev)
    num("outdev", *p.outdev);
  str("verdict", nfqueue::to_string(d.verdict.kind));
  if (d.verdict.mark)
    num("set_mark", *d.verdict.mark);
  if (d.verdict.kind == nfqueue::verdict_kind::queue)
    num("to_queue", d.verdict.target_queue);
  if (d.rule) {
    num("rule", *d.rule + 1);
    str("rule_text", rule_text);
  } else {
    out += ",\"default\":true";
  }
  out += "}\n";
}

json_output::~json_output() {
  if (owned_)
    ::close(fd_);
}

std::string json_output::open(const std::string& path) {
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    return {};
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0)
    return "cannot open " + path + ": " + std::strerror(errno);
  owned_ = true;
  return {};
}

bool json_output::write(std::string_view text) {
  while (!text.empty()) {
    auto n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

} // namespace nfactor::app
