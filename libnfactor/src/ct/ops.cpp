// SPDX-License-Identifier: Apache-2.0
#include "nfactor/ct/ops.hpp"

#include <string>
#include <utility>

namespace nfactor::ct {

namespace {

// Sends the request `req` builds (with the socket's next seq) and waits
// for its ack; replies before the ack go to `on_reply`.
template <class Build>
result<void> exchange(sys::socket& sock, const char* op,
                      const sys::exchange_options& opts, Build&& build,
                      const sys::reply_handler& on_reply = {}) {
  auto seq = sock.next_seq();
  auto req = build(seq);
  if (!req)
    return std::move(req).err();
  return sys::request(sock, *req, seq, op, on_reply, opts);
}

// A handler that decodes every reply with `decode` and hands it to `each`.
template <class Decode, class Each>
sys::reply_handler decoding(Decode decode, Each each) {
  return [decode, each](const nl::message& msg) -> result<void> {
    auto v = decode(msg);
    if (!v)
      return std::move(v).err();
    each(std::move(*v));
    return {};
  };
}

// A handler that decodes every reply with `decode` into `out`.
template <class T, class Decode>
sys::reply_handler collect(std::vector<T>& out, Decode decode) {
  return decoding(decode, [&out](T&& v) { out.push_back(std::move(v)); });
}

// Dumps what `build` asks for, decoding every part with `decode` and
// handing it to `on_each`.
template <class Build, class Decode, class T>
result<void> dump_decoded(sys::socket& sock, const char* op,
                          const sys::exchange_options& opts, Build&& build,
                          Decode decode,
                          const std::function<void(T&&)>& on_each) {
  auto seq = sock.next_seq();
  auto req = build(seq);
  if (!req)
    return std::move(req).err();
  return sys::dump(
      sock, *req, seq, op,
      decoding(decode, [&on_each](T&& v) { on_each(std::move(v)); }), opts);
}

} // namespace

result<void> dump(sys::socket& sock, const filter& f,
                  const std::function<void(event&&)>& on_entry,
                  const sys::exchange_options& opts) {
  return dump_decoded(
      sock, "conntrack dump", opts,
      [&](std::uint32_t seq) { return dump_request(f, seq); }, decode_event,
      on_entry);
}

result<std::vector<entry>> dump(sys::socket& sock, const filter& f,
                                const sys::exchange_options& opts) {
  std::vector<entry> out;
  auto st = dump(
      sock, f, [&](event&& ev) { out.push_back(std::move(ev.ct)); }, opts);
  if (!st)
    return std::move(st).err();
  return out;
}

result<entry> get(sys::socket& sock, const tuple& orig,
                  std::optional<std::uint16_t> zone,
                  const sys::exchange_options& opts) {
  std::vector<event> got;
  auto st = exchange(
      sock, "conntrack get", opts,
      [&](std::uint32_t seq) { return get_request(orig, zone, seq); },
      collect(got, decode_event));
  if (!st)
    return std::move(st).err();
  if (got.size() != 1)
    return make_error(errc::unexpected_reply, "conntrack get",
                      std::to_string(got.size()) + " entries in the reply");
  return std::move(got.front().ct);
}

result<void> create(sys::socket& sock, const entry& e,
                    const sys::exchange_options& opts) {
  return exchange(sock, "conntrack create", opts,
                  [&](std::uint32_t seq) { return create_request(e, seq); });
}

result<void> update(sys::socket& sock, const entry& e,
                    const sys::exchange_options& opts) {
  return exchange(sock, "conntrack update", opts,
                  [&](std::uint32_t seq) { return update_request(e, seq); });
}

result<void> remove(sys::socket& sock, const tuple& orig,
                    std::optional<std::uint32_t> id,
                    std::optional<std::uint16_t> zone,
                    const sys::exchange_options& opts) {
  return exchange(sock, "conntrack delete", opts, [&](std::uint32_t seq) {
    return delete_request(orig, id, zone, seq);
  });
}

result<void> flush(sys::socket& sock, const filter& f,
                   const sys::exchange_options& opts) {
  return exchange(sock, "conntrack flush", opts,
                  [&](std::uint32_t seq) { return flush_request(f, seq); });
}

result<std::vector<cpu_stats>>
stats_per_cpu(sys::socket& sock, const sys::exchange_options& opts) {
  std::vector<cpu_stats> out;
  auto seq = sock.next_seq();
  auto st = sys::dump(sock, stats_cpu_request(seq), seq, "conntrack cpu stats",
                      collect(out, decode_cpu_stats), opts);
  if (!st)
    return std::move(st).err();
  return out;
}

result<global_stats> stats(sys::socket& sock,
                           const sys::exchange_options& opts) {
  std::vector<global_stats> got;
  auto st = exchange(
      sock, "conntrack stats", opts,
      [](std::uint32_t seq) { return result<byte_buffer>{stats_request(seq)}; },
      collect(got, decode_global_stats));
  if (!st)
    return std::move(st).err();
  if (got.size() != 1)
    return make_error(errc::unexpected_reply, "conntrack stats",
                      std::to_string(got.size()) + " replies");
  return got.front();
}

result<void> dump_expectations(sys::socket& sock, std::uint8_t family,
                               const std::function<void(exp_event&&)>& on_exp,
                               const sys::exchange_options& opts) {
  return dump_decoded(
      sock, "conntrack expectation dump", opts,
      [&](std::uint32_t seq) { return exp_dump_request(family, seq); },
      decode_exp_event, on_exp);
}

result<void> remove_expectation(sys::socket& sock, const tuple& expected,
                                std::optional<std::uint32_t> id,
                                std::optional<std::uint16_t> zone,
                                const sys::exchange_options& opts) {
  return exchange(sock, "conntrack expectation delete", opts,
                  [&](std::uint32_t seq) {
                    return exp_delete_request(expected, id, zone, seq);
                  });
}

result<void> flush_expectations(sys::socket& sock,
                                const std::optional<std::string>& helper,
                                const sys::exchange_options& opts) {
  return exchange(
      sock, "conntrack expectation flush", opts,
      [&](std::uint32_t seq) { return exp_flush_request(helper, seq); });
}

} // namespace nfactor::ct
