// SPDX-License-Identifier: Apache-2.0
// The listener's decoding job: `drain`, `drain_into` and `decode_datagram`
// hand out events decoded by nflog/decode.hpp, with their loss counted and
// their interfaces named (the socket and its configuration: listener.cpp).
#include "nfactor/nflog/listener.hpp"

#include <utility>

#include "nfactor/nflog/decode.hpp"

#include "event_stage.hpp"

namespace nfactor::nflog {

namespace detail {

void event_stage::take_configured(std::vector<log_event>& events) {
  for (auto& ev : events) {
    if (sink_)
      (*sink_)(ev);
    else
      out_.push_back(std::move(ev));
  }
}

bool event_stage::packet(const nl::message& msg,
                         const std::shared_ptr<const void>& storage,
                         listener& l, std::optional<error>& err) {
  if (storage) {
    if (!decode_packet_back(msg, out_, err, storage))
      return false;
  } else if (auto ev = decode_packet(msg); ev) {
    out_.push_back(std::move(*ev)); // its bytes copied once (configuring)
  } else {
    err = std::move(ev).err();
    return false;
  }
  auto& ev = out_.back();
  l.note_sequence(ev.seq, ev.seq_global);
  if (l.resolves_names())
    fill_interface_names(
        ev, [&](std::uint32_t idx) { return l.interface_name(idx); });
  if (sink_) {
    (*sink_)(ev);
    out_.pop_back();
  }
  return true;
}

} // namespace detail

result<drain_result> listener::drain(const event_sink& sink,
                                     std::size_t max_datagrams) {
  std::vector<log_event> one;
  detail::event_stage decoder{one, &sink};
  return read(decoder, SIZE_MAX, max_datagrams);
}

result<drain_result> listener::drain_into(std::vector<log_event>& out,
                                          std::size_t max_events,
                                          std::size_t max_datagrams) {
  // Events are decoded in place at the end of `out`.
  detail::event_stage decoder{out};
  return read(decoder, max_events, max_datagrams);
}

drain_result listener::decode_datagram(byte_view datagram,
                                       const event_sink& sink) {
  std::vector<log_event> one;
  detail::event_stage decoder{one, &sink};
  drain_result res;
  reading_ = &res;
  handle_datagram(datagram, decoder, res);
  reading_ = nullptr;
  return res;
}

} // namespace nfactor::nflog
