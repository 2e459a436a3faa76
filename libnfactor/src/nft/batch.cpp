// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/batch.hpp"

#include <cstring>

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>

namespace nfactor::nft {

namespace {

// Names of the NFT_MSG_* values, indexed by value (nf_tables.h order).
constexpr const char* msg_names[] = {
    "NEWTABLE", "GETTABLE",     "DELTABLE",     "NEWCHAIN",     "GETCHAIN",
    "DELCHAIN", "NEWRULE",      "GETRULE",      "DELRULE",      "NEWSET",
    "GETSET",   "DELSET",       "NEWSETELEM",   "GETSETELEM",   "DELSETELEM",
    "NEWGEN",   "GETGEN",       "TRACE",        "NEWOBJ",       "GETOBJ",
    "DELOBJ",   "GETOBJ_RESET", "NEWFLOWTABLE", "GETFLOWTABLE", "DELFLOWTABLE",
};
static_assert(std::size(msg_names) == NFT_MSG_DELFLOWTABLE + 1);

void put_u32_ne(byte_buffer& buf, std::size_t at, std::uint32_t v) {
  std::memcpy(buf.data() + at, &v, sizeof(v));
}

} // namespace

const char* to_string(verb v) noexcept {
  switch (v) {
  case verb::add:
    return "add";
  case verb::create:
    return "create";
  case verb::replace:
    return "replace";
  case verb::insert:
    return "insert";
  case verb::remove:
    return "delete";
  case verb::flush:
    return "flush";
  }
  return "?";
}

std::uint16_t verb_flags(verb v, std::uint8_t msg_type) noexcept {
  switch (v) {
  case verb::add:
    return msg_type == NFT_MSG_NEWRULE ? NLM_F_CREATE | NLM_F_APPEND
                                       : NLM_F_CREATE;
  case verb::create:
    return NLM_F_CREATE | NLM_F_EXCL;
  case verb::replace:
    return NLM_F_REPLACE;
  case verb::insert:
    return NLM_F_CREATE;
  case verb::remove:
  case verb::flush:
    return 0;
  }
  return 0;
}

std::string msg_name(std::uint8_t msg_type) {
  if (msg_type < std::size(msg_names))
    return msg_names[msg_type];
  return "MSG " + std::to_string(msg_type);
}

std::string batch_op::describe() const {
  return msg_name(msg_type) + " #" + std::to_string(index) + " " + object;
}

void encoded_batch::stamp(std::uint32_t begin) {
  begin_seq = begin;
  for (auto& op : ops) {
    op.seq = begin + 1 + op.index;
    put_u32_ne(body, op.offset + offsetof(nlmsghdr, nlmsg_seq), op.seq);
  }
}

const batch_op* encoded_batch::find_seq(std::uint32_t seq) const noexcept {
  // Seqs are consecutive from begin_seq + 1 (stamp() keeps them so).
  auto first = begin_seq + 1;
  if (seq - first < ops.size())
    return &ops[seq - first];
  return nullptr;
}

byte_buffer
encoded_batch::begin_message(std::optional<std::uint32_t> genid) const {
  return nfnl::batch_begin(nfnl::subsys::nftables, genid, begin_seq);
}

byte_buffer encoded_batch::end_message() const {
  return nfnl::batch_end(nfnl::subsys::nftables, end_seq());
}

byte_buffer encoded_batch::datagram(std::optional<std::uint32_t> genid) const {
  auto out = begin_message(genid);
  out.insert(out.end(), body.begin(), body.end());
  nfnl::append_batch_end(out, nfnl::subsys::nftables, end_seq());
  return out;
}

nl::message_writer& batch::op(verb v, std::uint8_t msg_type,
                              nfnl::family family, std::string object,
                              std::uint16_t extra_flags) {
  return raw_op(msg_type, verb_flags(v, msg_type) | extra_flags, family,
                std::move(object));
}

nl::message_writer& batch::raw_op(std::uint8_t msg_type, std::uint16_t flags,
                                  nfnl::family family, std::string object) {
  if (open_)
    fail(make_error(errc::invalid_argument, "build nf_tables batch",
                    "operation started before the previous one was done"));
  batch_op rec;
  rec.index = static_cast<std::uint32_t>(enc_.ops.size());
  rec.msg_type = msg_type;
  rec.flags = static_cast<std::uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
  rec.object = std::move(object);
  rec.seq = rec.index + 1;
  rec.offset = static_cast<std::uint32_t>(enc_.body.size());
  writer_.begin(nfnl::nlmsg_type(nfnl::subsys::nftables, msg_type), rec.flags,
                rec.seq);
  writer_.put_nfgenmsg(static_cast<std::uint8_t>(family));
  enc_.ops.push_back(std::move(rec));
  open_ = true;
  return writer_;
}

void batch::done() {
  if (!open_)
    return;
  writer_.end();
  open_ = false;
  if (auto st = writer_.status(); !st && !err_)
    fail(std::move(st).err());
}

void batch::fail(error e) {
  if (err_)
    return;
  if (!enc_.ops.empty()) {
    auto& last = enc_.ops.back();
    e.detail = "operation #" + std::to_string(last.index) + " (" +
               msg_name(last.msg_type) + " " + last.object + ")" +
               (e.detail.empty() ? "" : ": " + e.detail);
  }
  err_ = std::move(e);
}

bool batch::check_name(std::string_view what, std::string_view name) {
  auto st = validate_name(what, name);
  if (!st)
    fail(std::move(st).err());
  return static_cast<bool>(st);
}

result<encoded_batch> batch::finish() && {
  if (open_)
    done();
  if (err_)
    return std::move(*err_);
  enc_.begin_seq = 0;
  return std::move(enc_);
}

result<void> validate_name(std::string_view what, std::string_view name) {
  std::string op = "check " + std::string{what} + " name";
  if (name.empty())
    return make_error(errc::invalid_argument, std::move(op),
                      std::string{what} + " name is empty");
  if (name.size() > NFT_NAME_MAXLEN - 1)
    return make_error(errc::invalid_argument, std::move(op),
                      std::string{what} + " name has " +
                          std::to_string(name.size()) +
                          " bytes, the kernel allows at most " +
                          std::to_string(NFT_NAME_MAXLEN - 1));
  if (name.find('\0') != std::string_view::npos)
    return make_error(errc::invalid_argument, std::move(op),
                      std::string{what} + " name contains a NUL byte");
  return {};
}

} // namespace nfactor::nft
