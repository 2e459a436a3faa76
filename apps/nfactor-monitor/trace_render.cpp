// SPDX-License-Identifier: Apache-2.0
#include "trace_render.hpp"

#include <net/if.h>

#include <nlohmann/json.hpp>

#include "nfactor/nfnl/codec.hpp"

namespace nfactor::app {

namespace {

using nlohmann::json;

std::string hex(const byte_buffer& b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (auto c : b) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

json interface(std::uint32_t index) {
  if (auto n = ifname(index))
    return *n;
  return index;
}

json packet(const nft::trace_event& e) {
  json p = json::object();
  if (e.iif)
    p["iif"] = interface(*e.iif);
  if (e.iif_type)
    p["iiftype"] = *e.iif_type;
  if (e.oif)
    p["oif"] = interface(*e.oif);
  if (e.oif_type)
    p["oiftype"] = *e.oif_type;
  if (e.nfproto)
    p["nfproto"] = *e.nfproto;
  if (e.mark)
    p["mark"] = *e.mark;
  if (e.ll_header)
    p["ll_header"] = hex(*e.ll_header);
  if (e.network_header)
    p["network_header"] = hex(*e.network_header);
  if (e.transport_header)
    p["transport_header"] = hex(*e.transport_header);
  if (e.ct_state || e.ct_id) {
    json ct = json::object();
    if (e.ct_state)
      ct["state"] = *e.ct_state;
    if (e.ct_direction)
      ct["direction"] = *e.ct_direction;
    if (e.ct_id)
      ct["id"] = *e.ct_id;
    if (e.ct_status)
      ct["status"] = *e.ct_status;
    p["ct"] = std::move(ct);
  }
  return p;
}

json step(const nft::trace_step& s) {
  const auto& e = s.event;
  json j = {{"table", e.table},
            {"chain", e.chain},
            {"type", std::string{nft::to_string(e.kind())}}};
  if (e.rule_handle)
    j["handle"] = *e.rule_handle;
  if (s.rule)
    j["rule"] = *s.rule;
  if (e.verdict)
    j["verdict"] = nft::verdict_text(*e.verdict);
  if (e.policy)
    j["policy"] =
        std::string{nft::verdict_name(static_cast<std::int32_t>(*e.policy))};
  if (e.mark)
    j["mark"] = *e.mark;
  return j;
}

} // namespace

std::optional<std::string> ifname(std::uint32_t index) {
  char buf[IF_NAMESIZE];
  if (::if_indextoname(index, buf) == nullptr)
    return std::nullopt;
  return std::string{buf};
}

std::string json_line(const nft::packet_trace& t) {
  char id[16];
  std::snprintf(id, sizeof id, "%08x", t.id);
  json j = {{"id", id}, {"end", std::string{nft::to_string(t.end)}}};
  if (!t.steps.empty()) {
    const auto& first = t.steps.front().event;
    j["family"] = nfnl::to_string(static_cast<nfnl::family>(first.family));
    j["table"] = first.table;
    j["chain"] = first.chain;
  }
  if (auto v = t.verdict())
    j["verdict"] = std::string{nft::verdict_name(*v)};
  if (auto* p = t.packet())
    j["packet"] = packet(*p);
  json steps = json::array();
  for (const auto& s : t.steps)
    steps.push_back(step(s));
  j["steps"] = std::move(steps);
  return json{{"trace", std::move(j)}}.dump() + "\n";
}

} // namespace nfactor::app
