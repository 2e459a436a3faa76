// SPDX-License-Identifier: Apache-2.0
//
// NFQUEUE verdicts (<linux/netfilter/nfnetlink_queue.h>):
//
//   NFQNL_MSG_VERDICT       one packet:        NFQA_VERDICT_HDR {BE32 verdict,
//                                                                BE32 id}
//                           + NFQA_MARK BE32, NFQA_PRIORITY BE32,
//                             NFQA_CT {CTA_MARK, CTA_LABELS, CTA_LABELS_MASK},
//                             NFQA_PAYLOAD (the packet rewritten)
//   NFQNL_MSG_VERDICT_BATCH every queued packet with id <= the header's id:
//                           NFQA_VERDICT_HDR + NFQA_MARK, NFQA_PRIORITY
//                           (the kernel ignores NFQA_CT and NFQA_PAYLOAD)
//
// nfgenmsg: AF_UNSPEC, res_id = the queue (BE16). The verdict word is
// NF_DROP, NF_ACCEPT, NF_REPEAT, NF_STOP or NF_QUEUE_NR(target) with
// NF_VERDICT_FLAG_QUEUE_BYPASS (<linux/netfilter.h>). The kernel answers an
// unknown id with ENOENT even without NLM_F_ACK, and ignores NFQA_CT for a
// packet without a conntrack entry (net/netfilter/nfnetlink_queue.c,
// nfqnl_recv_verdict).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include <arpa/inet.h>
#include <linux/netfilter.h>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nfqueue {

/// Connection labels as ctnetlink carries them (CTA_LABELS): the kernel's
/// 128-bit map as stored, in which (on little-endian hosts) label N of
/// connlabel.conf is bit N % 8 of byte N / 8.
using ct_labels = std::array<std::uint8_t, 16>;

/// What happens to a packet (the low byte of the verdict word).
enum class verdict_kind : std::uint8_t {
  /// Drop the packet (NF_DROP).
  drop = NF_DROP,
  /// Let it continue with the next rule and hook (NF_ACCEPT).
  accept = NF_ACCEPT,
  /// Hand it to another queue, `verdict::target_queue` (NF_QUEUE).
  queue = NF_QUEUE,
  /// Run the hook that queued it again (NF_REPEAT): with a changed mark,
  /// rules can match differently the second time.
  repeat = NF_REPEAT,
  /// Accept and skip the remaining rules of the hook (NF_STOP, which the
  /// kernel keeps for nf_queue users).
  stop = NF_STOP,
};

/// The name of `k` ("drop", "accept", "queue", "repeat", "stop").
const char* to_string(verdict_kind k) noexcept;

/// The verdict on one packet, with the changes to make to it.
struct verdict {
  verdict_kind kind = verdict_kind::accept;
  /// With `verdict_kind::queue`: the queue to hand the packet to.
  std::uint16_t target_queue = 0;
  /// With `verdict_kind::queue`: accept instead of drop when nobody
  /// listens on `target_queue` (NF_VERDICT_FLAG_QUEUE_BYPASS).
  bool queue_bypass = false;
  /// New packet mark (NFQA_MARK).
  std::optional<std::uint32_t> mark;
  /// New skb priority (NFQA_PRIORITY; kernels before 5.18 ignore it).
  std::optional<std::uint32_t> priority;
  /// New connection mark (CTA_MARK in NFQA_CT; needs a conntrack entry).
  std::optional<std::uint32_t> connmark;
  /// New connection labels (CTA_LABELS in NFQA_CT; needs the connlabel
  /// extension in use in the namespace).
  std::optional<ct_labels> labels;
  /// Which label bits to change (CTA_LABELS_MASK; all when absent).
  std::optional<ct_labels> labels_mask;
  /// The packet's new bytes, from the network header on (NFQA_PAYLOAD).
  /// The kernel adjusts the length, not the checksums: a rewrite must
  /// carry valid IP and transport checksums.
  std::optional<byte_buffer> payload;

  /// A verdict of kind `k` that changes nothing.
  static verdict of(verdict_kind k) {
    verdict v;
    v.kind = k;
    return v;
  }
  static verdict accept() { return of(verdict_kind::accept); }
  static verdict drop() { return of(verdict_kind::drop); }
  static verdict repeat() { return of(verdict_kind::repeat); }
  static verdict stop() { return of(verdict_kind::stop); }
  /// Hand the packet to queue `target` (accept when nobody listens there
  /// and `bypass` is set).
  static verdict to_queue(std::uint16_t target, bool bypass = false) {
    auto v = of(verdict_kind::queue);
    v.target_queue = target;
    v.queue_bypass = bypass;
    return v;
  }

  /// The verdict word (NF_QUEUE_NR(target) | bypass flag for `queue`).
  [[nodiscard]] std::uint32_t to_wire() const noexcept;
  /// True when a batch verdict can carry this verdict: no connection
  /// change and no payload (the kernel reads only the mark and priority
  /// of a batch).
  [[nodiscard]] bool batchable() const noexcept {
    return !connmark && !labels && !labels_mask && !payload;
  }

  friend bool operator==(const verdict&, const verdict&) = default;
};

/// A verdict message as decoded (for tests, replay and fuzzing).
struct verdict_message {
  /// The queue (nfgenmsg.res_id).
  std::uint16_t queue = 0;
  /// The packet id; for a batch, the highest id it covers.
  std::uint32_t id = 0;
  /// NFQNL_MSG_VERDICT_BATCH rather than NFQNL_MSG_VERDICT.
  bool batch = false;
  nfqueue::verdict verdict;

  friend bool operator==(const verdict_message&,
                         const verdict_message&) = default;
};

/// Appends an NFQNL_MSG_VERDICT for packet `id` of `queue` to `out`
/// (NLM_F_REQUEST; with `ack`, also NLM_F_ACK). Attributes in the order
/// libnetfilter_queue sends them: verdict header, mark, priority, ct,
/// payload.
void append_verdict(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                    std::uint32_t id, const verdict& v, bool ack = false);

/// Appends an NFQNL_MSG_VERDICT_BATCH for every packet of `queue` with an
/// id up to `max_id`. An `errc::invalid_argument` error, and nothing
/// appended, when `v` is not `batchable()`.
[[nodiscard]] result<void>
append_verdict_batch(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                     std::uint32_t max_id, const verdict& v, bool ack = false);

/// True when `msg` is a verdict or batch verdict message.
[[nodiscard]] bool is_verdict(const nl::message& msg) noexcept;

/// Decodes a verdict message; the inverse of the two appenders. Malformed
/// input gives an error naming the attribute; a message without
/// NFQA_VERDICT_HDR is refused as the kernel refuses it.
[[nodiscard]] result<verdict_message> decode_verdict(const nl::message& msg);

} // namespace nfactor::nfqueue
