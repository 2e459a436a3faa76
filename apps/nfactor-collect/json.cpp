// SPDX-License-Identifier: Apache-2.0
#include "json.hpp"

#include <type_traits>
#include <variant>

#include <arpa/inet.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/expr.hpp"

namespace nfactor::collect {

namespace {

using nlohmann::json;

std::string hex(byte_view b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (auto c : b) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

template <class T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v)
    j[key] = *v;
}

void put_bytes(json& j, const char* key,
               const std::optional<nflog::shared_bytes>& v) {
  if (v)
    j[key] = hex(*v);
}

json tuple(const nflog::ct_tuple& t) {
  json j = json::object();
  if (t.src)
    j["src"] = t.src->to_string();
  if (t.dst)
    j["dst"] = t.dst->to_string();
  put(j, "l4proto", t.l4proto);
  put(j, "src_port", t.src_port);
  put(j, "dst_port", t.dst_port);
  put(j, "echo_id", t.echo_id);
  put(j, "icmp_type", t.icmp_type);
  put(j, "icmp_code", t.icmp_code);
  put(j, "zone", t.zone);
  return j;
}

} // namespace

json log_line(const std::string& node, const nflog::log_event& ev) {
  json j;
  j["node"] = node;
  j["type"] = "log";
  j["group"] = ev.group;
  j["family"] = nfnl::to_string(static_cast<nfnl::family>(ev.family));
  put(j, "hw_protocol", ev.hw_protocol);
  if (ev.hook) {
    j["hook"] = *ev.hook;
    j["hook_name"] = nflog::hook_name(ev.family, *ev.hook);
  }
  put(j, "mark", ev.mark);
  if (ev.timestamp)
    j["timestamp"] = {{"sec", ev.timestamp->sec}, {"usec", ev.timestamp->usec}};
  put(j, "indev", ev.indev);
  put(j, "outdev", ev.outdev);
  put(j, "physindev", ev.physindev);
  put(j, "physoutdev", ev.physoutdev);
  put(j, "indev_name", ev.indev_name);
  put(j, "outdev_name", ev.outdev_name);
  put(j, "physindev_name", ev.physindev_name);
  put(j, "physoutdev_name", ev.physoutdev_name);
  if (ev.hwaddr)
    j["hwaddr"] = ev.hwaddr->to_string();
  put_bytes(j, "payload", ev.payload);
  put(j, "prefix", ev.prefix);
  put(j, "uid", ev.uid);
  put(j, "gid", ev.gid);
  put(j, "seq", ev.seq);
  put(j, "seq_global", ev.seq_global);
  put(j, "hwtype", ev.hwtype);
  put(j, "hwlen", ev.hwlen);
  put_bytes(j, "hwheader", ev.hwheader);
  put_bytes(j, "ct", ev.ct);
  if (ev.conntrack) {
    const auto& c = *ev.conntrack;
    json ct = json::object();
    if (c.orig)
      ct["orig"] = tuple(*c.orig);
    if (c.reply)
      ct["reply"] = tuple(*c.reply);
    put(ct, "status", c.status);
    put(ct, "tcp_state", c.tcp_state);
    put(ct, "id", c.id);
    put(ct, "mark", c.mark);
    put(ct, "timeout", c.timeout);
    put(ct, "use", c.use);
    put(ct, "zone", c.zone);
    j["conntrack"] = std::move(ct);
  }
  put(j, "ctinfo", ev.ctinfo);
  if (ev.vlan)
    j["vlan"] = {{"proto", ev.vlan->proto}, {"tci", ev.vlan->tci}};
  put_bytes(j, "l2hdr", ev.l2hdr);
  return j;
}

json kernel_loss_line(const std::string& node, const actors::log_loss& l) {
  return {{"node", node},
          {"type", "kernel_loss"},
          {"group", l.group},
          {"overruns", l.overruns},
          {"lost", l.lost},
          {"exact", l.exact},
          {"uncounted", l.uncounted},
          {"total_lost", l.total_lost}};
}

json loss_line(const std::string& node, const actors::node::node_loss& l) {
  return {{"node", node},
          {"type", "loss"},
          {"source", l.source},
          {"subscription", l.subscription},
          {"batches", l.batches},
          {"events", l.events},
          {"total_batches", l.total_batches},
          {"total_events", l.total_events}};
}

json connected_line(const actors::node::node_caps& caps,
                    const std::string& endpoint,
                    std::optional<std::uint64_t> previous) {
  json j{{"node", caps.name},
         {"type", previous ? "resync" : "connected"},
         {"endpoint", endpoint},
         {"incarnation", caps.incarnation},
         {"groups", caps.groups}};
  if (previous) {
    j["previous_incarnation"] = *previous;
    j["restarted"] = *previous != caps.incarnation;
  }
  return j;
}

namespace {

const char* family_name(std::uint8_t f) {
  return nfnl::to_string(static_cast<nfnl::family>(f));
}

json change_json(const nft::change& c) {
  json j;
  j["op"] = c.added ? "add" : "delete";
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        j["family"] = family_name(e.family);
        if constexpr (std::is_same_v<T, nft::table>) {
          j["kind"] = "table";
          j["name"] = e.name;
          put(j, "handle", e.handle);
        } else {
          j["table"] = e.table;
          if constexpr (std::is_same_v<T, nft::chain>) {
            j["kind"] = "chain";
            j["name"] = e.name;
            put(j, "handle", e.handle);
          } else if constexpr (std::is_same_v<T, nft::rule>) {
            j["kind"] = "rule";
            j["chain"] = e.chain;
            put(j, "handle", e.handle);
            j["exprs"] = nft::render(e.exprs);
          } else if constexpr (std::is_same_v<T, nft::set>) {
            j["kind"] = "set";
            j["name"] = e.name;
          } else if constexpr (std::is_same_v<T, nft::elem_list>) {
            j["kind"] = "elements";
            j["set"] = e.set;
          } else if constexpr (std::is_same_v<T, nft::object>) {
            j["kind"] = "object";
            j["name"] = e.name;
          } else {
            j["kind"] = "flowtable";
            j["name"] = e.name;
          }
        }
      },
      c.entity);
  return j;
}

} // namespace

json commit_line(const std::string& node, const nft::transaction& t) {
  json j{{"node", node}, {"type", "commit"}, {"gen", t.gen_id}};
  put(j, "pid", t.proc_pid);
  put(j, "comm", t.proc_name);
  auto changes = json::array();
  for (const auto& c : t.changes)
    changes.push_back(change_json(c));
  j["changes"] = std::move(changes);
  if (t.partial)
    j["partial"] = true;
  return j;
}

json snapshot_line(const std::string& node, const nft::ruleset& r) {
  return {{"node", node},
          {"type", "snapshot"},
          {"gen", r.gen_id},
          {"tables", r.tables.size()},
          {"chains", r.chains.size()},
          {"rules", r.rules.size()},
          {"sets", r.sets.size()},
          {"objects", r.objects.size()},
          {"flowtables", r.flowtables.size()}};
}

json ruleset_loss_line(const std::string& node,
                       const actors::resync_needed& r) {
  return {{"node", node},
          {"type", "ruleset_loss"},
          {"overruns", r.overruns},
          {"last_gen", r.last_gen}};
}

json restarted_line(const std::string& node,
                    const actors::node::stream_restarted& r) {
  return {{"node", node},
          {"type", "restarted"},
          {"source", r.source},
          {"restarts", r.restarts},
          {"reason", r.reason}};
}

json trouble_line(const std::string& endpoint, const std::string& error) {
  return {{"type", "disconnected"}, {"endpoint", endpoint}, {"error", error}};
}

} // namespace nfactor::collect
