// SPDX-License-Identifier: Apache-2.0
//
// An nf_tables batch (<linux/netfilter/nfnetlink.h>, nf_tables.h): one
// datagram the kernel applies as one transaction, all or nothing.
//
//   +-------------+------------+------------+- - -+------------+-----------+
//   | BATCH_BEGIN | op 0       | op 1       |     | op N-1     | BATCH_END |
//   | res_id = 10 | seq base+1 | seq base+2 |     | seq base+N | base+N+1  |
//   | [GENID u32] | NLM_F_ACK  | NLM_F_ACK  |     | NLM_F_ACK  |           |
//   +-------------+------------+------------+- - -+------------+-----------+
//
// Every operation carries its own sequence number (and NLM_F_ACK, which
// `commit()` clears unless asked for per-operation acks), so every ack or
// error the kernel returns names exactly one operation. The kernel
// reads a batch from ONE datagram: a batch whose END is in a later
// datagram is aborted (nfnetlink_rcv_batch stops at the end of the skb and
// aborts without NFNL_BATCH_DONE; `tests/kernel/nft_transaction.cpp`
// proves it). Large batches are therefore one large datagram with a send
// buffer sized to fit, never several sends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::nft {

/// What an operation does to its object; decides the netlink flags.
///
/// | verb    | message | flags (besides REQUEST, ACK)   | kernel behaviour  |
/// |---------|---------|--------------------------------|-------------------|
/// | add     | NEW*    | CREATE (+APPEND for rules)     | create or keep    |
/// | create  | NEW*    | CREATE, EXCL                   | EEXIST if present |
/// | replace | NEWRULE | REPLACE (+ NFTA_RULE_HANDLE)   | swap rule in place|
/// | insert  | NEWRULE | CREATE (POSITION: before it)   | prepend           |
/// | remove  | DEL*    | none                           | ENOENT if absent  |
/// | flush   | DELRULE / DELSETELEM without a name    | empty a container |
enum class verb : std::uint8_t { add, create, replace, insert, remove, flush };

/// The name of `v` ("add", "create", ...).
const char* to_string(verb v) noexcept;

/// NLM_F_* flags (without REQUEST and ACK) for `v` on `msg_type`
/// (an NFT_MSG_* value): add of a rule appends, insert prepends.
[[nodiscard]] std::uint16_t verb_flags(verb v, std::uint8_t msg_type) noexcept;

/// The kernel name of an nf_tables message ("NEWRULE"), or "MSG <n>".
std::string msg_name(std::uint8_t msg_type);

/// One operation of a batch as the builder recorded it.
struct batch_op {
  /// Position among the operations (0-based; BEGIN and END not counted).
  std::uint32_t index = 0;
  /// The NFT_MSG_* type.
  std::uint8_t msg_type = 0;
  /// The netlink flags sent.
  std::uint16_t flags = 0;
  /// What the operation touches, in nft's words ("chain inet t input").
  std::string object;
  /// The operation's sequence number as last stamped.
  std::uint32_t seq = 0;
  /// Byte offset of the operation's message in `encoded_batch::body`.
  std::uint32_t offset = 0;

  /// "NEWRULE #17 rule ip t c": the name an error carries.
  [[nodiscard]] std::string describe() const;
};

/// A finished batch: the operations' messages, without the envelope.
///
/// The envelope (BEGIN with an optional generation guard, END) is added at
/// send time, so the same body can be sent guarded or not and re-stamped
/// with the sequence numbers of the socket that sends it.
struct encoded_batch {
  /// The operations' messages, back to back.
  byte_buffer body;
  /// One record per operation, in order.
  std::vector<batch_op> ops;
  /// Sequence number of BEGIN; operations follow it, END ends the run.
  std::uint32_t begin_seq = 0;

  /// Sequence number of END.
  [[nodiscard]] std::uint32_t end_seq() const noexcept {
    return begin_seq + static_cast<std::uint32_t>(ops.size()) + 1;
  }

  /// Rewrites every operation's seq to `begin + 1 + index`.
  void stamp(std::uint32_t begin);

  /// The operation that carries `seq`, or nullptr.
  [[nodiscard]] const batch_op* find_seq(std::uint32_t seq) const noexcept;

  /// BEGIN, with `genid` as NFNL_BATCH_GENID when set.
  [[nodiscard]] byte_buffer
  begin_message(std::optional<std::uint32_t> genid) const;

  /// END.
  [[nodiscard]] byte_buffer end_message() const;

  /// BEGIN + body + END in one buffer (what goes out as one datagram).
  [[nodiscard]] byte_buffer
  datagram(std::optional<std::uint32_t> genid = std::nullopt) const;
};

/// Collects nf_tables operations into one batch.
///
/// Calls do not fail one by one: invalid input or an encoding problem is
/// recorded with the operation's index, later operations are ignored, and
/// `finish()` returns the first error or the encoded batch. Nothing is
/// ever sent for a batch that did not finish.
///
/// Typed operations (tables, chains, rules, ...) are built on `op()`:
/// @code
/// nft::batch b;
/// auto& w = b.op(verb::add, NFT_MSG_NEWTABLE, nfnl::family::inet,
///                "table inet demo");
/// w.attr_str(NFTA_TABLE_NAME, "demo");
/// b.done();
/// auto enc = std::move(b).finish();
/// @endcode
class batch {
 public:
  batch() = default;
  batch(const batch&) = delete;
  batch& operator=(const batch&) = delete;

  /// Starts an operation: writes its header (REQUEST | ACK | the verb's
  /// flags | `extra_flags`) and nfgenmsg, and returns the writer for its
  /// attributes. Close it with `done()`.
  nl::message_writer& op(verb v, std::uint8_t msg_type, nfnl::family family,
                         std::string object, std::uint16_t extra_flags = 0);

  /// Like `op()` with explicit flags (REQUEST and ACK are added).
  nl::message_writer& raw_op(std::uint8_t msg_type, std::uint16_t flags,
                             nfnl::family family, std::string object);

  /// Closes the operation opened last.
  void done();

  /// Records `e` as the batch's error (the first one wins); the pending
  /// operation's index and name are added to it.
  void fail(error e);

  /// Checks `name` against the kernel's rules for object names (non-empty,
  /// at most NFT_NAME_MAXLEN - 1 bytes, no NUL) and records an error
  /// naming `what` otherwise. Returns true when the name is fine.
  bool check_name(std::string_view what, std::string_view name);

  /// Reserves room for `bytes` of messages and `ops` operations (a large
  /// batch then grows without copying itself over and over).
  void reserve(std::size_t bytes, std::size_t ops) {
    enc_.body.reserve(bytes);
    enc_.ops.reserve(ops);
  }

  /// Number of operations so far.
  [[nodiscard]] std::size_t size() const noexcept { return enc_.ops.size(); }

  /// True while no error has been recorded.
  [[nodiscard]] bool ok() const noexcept { return !err_; }

  /// The encoded batch (seq numbers stamped from 0), or the first error.
  [[nodiscard]] result<encoded_batch> finish() &&;

 private:
  encoded_batch enc_;
  nl::message_writer writer_{enc_.body};
  bool open_ = false;
  std::optional<error> err_;
};

/// Checks an object name as `batch::check_name` does.
[[nodiscard]] result<void> validate_name(std::string_view what,
                                         std::string_view name);

} // namespace nfactor::nft
