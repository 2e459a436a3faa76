// SPDX-License-Identifier: Apache-2.0
//
// A conntrack entry or event as one JSON object (nlohmann/json): the
// members the entry has, with names as `conntrack -o extended` spells
// them where it has one. Shared by the apps that print conntrack data.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "nfactor/bytes.hpp"
#include "nfactor/ct/expect.hpp"
#include "nfactor/ct/message.hpp"
#include "nfactor/ct/text.hpp"

namespace nfactor::app {

/// One direction's tuple and counters.
inline nlohmann::json ct_tuple_json(const ct::tuple& t,
                                    const std::optional<ct::counters>& c) {
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* key, const auto& v) {
    if (v)
      j[key] = *v;
  };
  if (t.src)
    j["src"] = t.src->to_string();
  if (t.dst)
    j["dst"] = t.dst->to_string();
  put("sport", t.src_port);
  put("dport", t.dst_port);
  put("type", t.icmp_type);
  put("code", t.icmp_code);
  put("id", t.echo_id);
  put("zone", t.zone);
  if (c) {
    j["packets"] = c->packets;
    j["bytes"] = c->bytes;
  }
  return j;
}

/// The entry `e` of layer-3 family `family`.
inline nlohmann::json ct_entry_json(const ct::entry& e, std::uint8_t family) {
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* key, const auto& v) {
    if (v)
      j[key] = *v;
  };
  j["family"] = family == 10 ? "ipv6" : "ipv4";
  if (e.orig && e.orig->l4proto) {
    j["proto"] = ct::l4proto_name(*e.orig->l4proto);
    j["protonum"] = *e.orig->l4proto;
  }
  put("id", e.id);
  put("timeout", e.timeout);
  if (e.tcp_state)
    j["state"] = ct::tcp_state_name(*e.tcp_state);
  if (e.orig)
    j["orig"] = ct_tuple_json(*e.orig, e.counters_orig);
  if (e.reply)
    j["reply"] = ct_tuple_json(*e.reply, e.counters_reply);
  put("status", e.status);
  put("mark", e.mark);
  put("zone", e.zone);
  put("use", e.use);
  put("secctx", e.secctx);
  put("helper", e.helper);
  if (e.labels)
    j["labels"] = to_hex(*e.labels);
  put("start_ns", e.timestamp_start);
  put("stop_ns", e.timestamp_stop);
  if (e.timestamp_start && e.timestamp_stop &&
      *e.timestamp_stop >= *e.timestamp_start)
    j["duration_s"] =
        static_cast<double>(*e.timestamp_stop - *e.timestamp_start) / 1e9;
  return j;
}

/// An event: its kind ("NEW", "UPDATE", "DESTROY") and its entry.
inline nlohmann::json ct_event_json(const ct::event& ev) {
  auto j = ct_entry_json(ev.ct, ev.family);
  j["event"] = ct::to_string(ev.kind);
  return j;
}

/// An expectation event: "type": "expectation", its kind, and the
/// expectation's members (`expected`, `mask`, `master` and the NAT tuple as
/// tuples, `helper`, `class`, `flags`, `fn`, ...).
inline nlohmann::json ct_exp_event_json(const ct::exp_event& ev) {
  const auto& e = ev.exp;
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* key, const auto& v) {
    if (v)
      j[key] = *v;
  };
  j["type"] = "expectation";
  j["event"] = ct::to_string(ev.kind);
  j["family"] = ev.family == 10 ? "ipv6" : "ipv4";
  if (e.expected && e.expected->l4proto) {
    j["proto"] = ct::l4proto_name(*e.expected->l4proto);
    j["protonum"] = *e.expected->l4proto;
  }
  put("id", e.id);
  put("timeout", e.timeout);
  for (auto [key, t] :
       {std::pair{"expected", &e.expected}, std::pair{"mask", &e.mask},
        std::pair{"master", &e.master}})
    if (*t)
      j[key] = ct_tuple_json(**t, std::nullopt);
  put("helper", e.helper);
  put("class", e.expect_class);
  put("flags", e.flags);
  put("zone", e.zone);
  put("fn", e.function);
  if (e.nat_dir || e.nat_tuple) {
    auto& nat = j["nat"] = nlohmann::json::object();
    if (e.nat_dir)
      nat["dir"] = *e.nat_dir;
    if (e.nat_tuple)
      nat["tuple"] = ct_tuple_json(*e.nat_tuple, std::nullopt);
  }
  return j;
}

} // namespace nfactor::app
