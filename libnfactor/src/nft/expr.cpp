// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/expr.hpp"

#include <array>
#include <cstdio>
#include <utility>

#include <linux/netfilter/nf_tables.h>

#include "fields.hpp"

namespace nfactor::nft {

namespace {

template <std::size_t... I>
auto make_table(std::index_sequence<I...>) {
  return std::array<const expr_kind*, sizeof...(I)>{
      &std::variant_alternative_t<I, expression::variant>::kind()...};
}

// Every alternative but the last (opaque).
const auto& kinds_table() {
  static const auto t = make_table(
      std::make_index_sequence<std::variant_size_v<expression::variant> - 1>{});
  return t;
}

// How deep expressions may nest inside expressions (dynset, set and
// element expressions hold expressions). The kernel nests one level
// (stateful expressions only); a deeper input is refused before the
// decoder's recursion can exhaust the stack.
constexpr int max_expr_depth = 8;
thread_local int expr_depth = 0;

struct depth_guard {
  depth_guard() noexcept { ++expr_depth; }
  ~depth_guard() { --expr_depth; }
  depth_guard(const depth_guard&) = delete;
  depth_guard& operator=(const depth_guard&) = delete;
};

} // namespace

std::span<const expr_kind* const> expr_kinds() noexcept {
  return kinds_table();
}

const expr_kind* find_expr_kind(std::string_view name) noexcept {
  for (auto* k : kinds_table())
    if (k->name == name)
      return k;
  return nullptr;
}

std::string_view expression::name() const noexcept {
  if (auto* o = std::get_if<expr::opaque>(&value))
    return o->name;
  return kinds_table()[value.index()]->name;
}

void encode_expression(nl::message_writer& w, const expression& e) {
  if (auto* o = std::get_if<expr::opaque>(&e.value)) {
    w.attr_str(NFTA_EXPR_NAME, o->name);
    if (o->has_data) {
      auto nest = w.begin_nested(NFTA_EXPR_DATA);
      w.put_raw(o->bytes);
      w.end_nested(nest);
    }
    return;
  }
  const auto* k = kinds_table()[e.value.index()];
  w.attr_str(NFTA_EXPR_NAME, k->name);
  if (!k->has_data)
    return;
  auto nest = w.begin_nested(NFTA_EXPR_DATA);
  k->encode(e, w);
  w.end_nested(nest);
}

void decode_expression(nl::attr_reader r, expression& out) {
  depth_guard depth;
  if (expr_depth > max_expr_depth) {
    r.fail("expressions nested deeper than " + std::to_string(max_expr_depth));
    return;
  }
  std::string name;
  std::optional<byte_view> data;
  while (r.next()) {
    if (r.type() == NFTA_EXPR_NAME)
      name = r.string();
    else if (r.type() == NFTA_EXPR_DATA)
      data = r.bytes();
  }
  if (!r.ok())
    return;
  if (name.empty()) {
    r.fail("expression without NFTA_EXPR_NAME");
    return;
  }
  const auto* k = find_expr_kind(name);
  if (!k) {
    expr::opaque o{std::move(name), {}, data.has_value()};
    if (data)
      o.bytes.assign(data->begin(), data->end());
    out.value = std::move(o);
    return;
  }
  if (!data) {
    nl::attr_reader empty{byte_view{}};
    k->decode(empty, out);
    return;
  }
  nl::attr_reader d{*data, "decode expression"};
  k->decode(d, out);
  if (!d.ok())
    r.fail(name + ": " + d.err()->message(),
           static_cast<errc>(d.err()->code.value()));
}

void encode_expressions(nl::message_writer& w, std::uint16_t type,
                        const std::vector<expression>& list) {
  auto nest = w.begin_nested(type);
  for (const auto& e : list) {
    auto elem = w.begin_nested(NFTA_LIST_ELEM);
    encode_expression(w, e);
    w.end_nested(elem);
  }
  w.end_nested(nest);
}

void decode_expressions(nl::attr_reader r, std::vector<expression>& out) {
  while (r.next())
    if (r.type() == NFTA_LIST_ELEM)
      decode_expression(r.nested(), out.emplace_back());
}

result<std::vector<expression>> decode_expressions(byte_view bytes) {
  std::vector<expression> out;
  nl::attr_reader r{bytes, "decode expressions"};
  while (r.next())
    if (r.type() == NFTA_LIST_ELEM)
      decode_expression(r.nested(), out.emplace_back());
  if (auto st = r.status(); !st)
    return std::move(st).err();
  return out;
}

std::string render(const expression& e) {
  std::string out;
  if (auto* o = std::get_if<expr::opaque>(&e.value)) {
    out += "[ ";
    out += o->name;
    out += " ]";
    return out;
  }
  kinds_table()[e.value.index()]->render(e, out);
  return out;
}

std::string render(const std::vector<expression>& list) {
  std::string out;
  for (const auto& e : list) {
    out += "  ";
    out += render(e);
    out += '\n';
  }
  return out;
}

namespace detail {

void hex(std::string& out, std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  out += buf;
}

} // namespace detail

// -- opaque ---------------------------------------------------------------

const expr_kind& expr::opaque::kind() {
  static const expr_kind k{"opaque",
                           std::variant_size_v<expression::variant> - 1,
                           true,
                           [](const expression& e, nl::message_writer& w) {
                             w.put_raw(std::get<expr::opaque>(e.value).bytes);
                           },
                           [](nl::attr_reader&, expression&) {},
                           [](const expression& e, std::string& out) {
                             out += render(e);
                           }};
  return k;
}

} // namespace nfactor::nft
