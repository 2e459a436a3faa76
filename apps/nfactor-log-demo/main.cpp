// SPDX-License-Identifier: Apache-2.0
// nfactor-log-demo: spawns the log listener actor for an owner actor that
// prints every event, and exits after a number of events (or a time-out).
//
// Usage: nfactor-log-demo [--group G] [--netns NAME] [--count N]
//                         [--timeout SECONDS] [--copy none|meta|packet]
//                         [--snaplen BYTES]
// Prints "listening ..." once the group is bound, then one line per event.
// Exit status 0 when N events arrived, 1 on a time-out or an error, 2 on a
// bad command line.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include <getopt.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/log_listener.hpp"
#include "nfactor/actors/system.hpp"

using namespace nfactor;
using namespace nfactor::actors;

namespace {

// The owner: prints what the listener sends and quits after `count` events
// (the listener sees it go down, unbinds the group and stops).
log_batch_owner::behavior_type printer(log_batch_owner::pointer self,
                                       std::size_t count) {
  auto seen = std::make_shared<std::size_t>(0);
  return {
      [=](const log_started& s) {
        std::cout << "listening on NFLOG group " << s.group
                  << " (netlink portid " << s.portid << ", rcvbuf " << s.rcvbuf
                  << " bytes)" << std::endl;
      },
      [=](const log_batch& b) {
        for (const auto& ev : b.events) {
          std::cout << nflog::to_string(ev) << std::endl;
          if (++*seen == count)
            self->quit();
        }
      },
      [=](const log_loss& l) {
        std::cout << "lost " << l.lost << " event(s) in " << l.overruns
                  << " receive buffer overrun(s)" << std::endl;
      },
  };
}

int usage(const char* argv0) {
  std::cerr << "usage: " << argv0
            << " [--group G] [--netns NAME] [--count N] [--timeout SECONDS]"
               " [--copy none|meta|packet] [--snaplen BYTES]\n";
  return 2;
}

// `text` as a whole number in [lo, hi]; nullopt (with the reason on
// stderr) otherwise: atoi would take "70000" as group 4464, "x" as 0.
template <class T>
std::optional<T> number(const char* option, const std::string& text, T lo,
                        T hi) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc{} && end == text.data() + text.size() && v >= lo &&
      v <= hi)
    return v;
  std::cerr << "nfactor-log-demo: " << option << " '" << text
            << "' is not a number " << lo << ".." << hi << '\n';
  return std::nullopt;
}

} // namespace

int main(int argc, char** argv) {
  log_listener_options opts;
  opts.nflog.group = 42;
  std::size_t count = 10;
  int timeout_s = 30;
  static const option long_opts[] = {
      {"group", required_argument, nullptr, 'g'},
      {"netns", required_argument, nullptr, 'n'},
      {"count", required_argument, nullptr, 'c'},
      {"timeout", required_argument, nullptr, 't'},
      {"copy", required_argument, nullptr, 'm'},
      {"snaplen", required_argument, nullptr, 's'},
      {nullptr, 0, nullptr, 0}};
  int opt;
  while ((opt = ::getopt_long(argc, argv, "g:n:c:t:m:s:", long_opts,
                              nullptr)) != -1) {
    switch (opt) {
    case 'g':
      if (auto v = number<std::uint16_t>("--group", optarg, 0, 65535))
        opts.nflog.group = *v;
      else
        return 2;
      break;
    case 'n':
      opts.nflog.ns = sys::netns::named(optarg);
      break;
    case 'c':
      if (auto v = number<std::size_t>("--count", optarg, 1, 1000000000))
        count = *v;
      else
        return 2;
      break;
    case 't':
      if (auto v = number<int>("--timeout", optarg, 1, 86400))
        timeout_s = *v;
      else
        return 2;
      break;
    case 'm': {
      std::string m = optarg;
      if (m == "none")
        opts.nflog.mode = nflog::copy_mode::none;
      else if (m == "meta")
        opts.nflog.mode = nflog::copy_mode::meta;
      else if (m == "packet")
        opts.nflog.mode = nflog::copy_mode::packet;
      else
        return usage(argv[0]);
      break;
    }
    case 's':
      if (auto v = number<std::uint32_t>("--snaplen", optarg, 0, 0xffffffff))
        opts.nflog.copy_range = *v;
      else
        return 2;
      break;
    default:
      return usage(argv[0]);
    }
  }
  if (optind < argc)
    return usage(argv[0]);
  if (auto ok = opts.validate(); !ok) {
    std::cerr << "nfactor-log-demo: " << ok.err().message() << '\n';
    return 2;
  }

  caf::actor_system_config cfg;
  add_message_types(cfg);
  caf::actor_system sys{cfg};
  auto owner = sys.spawn(printer, count);
  auto listener = start_log_listener(sys, owner, opts);
  if (!listener) {
    std::cerr << "nfactor-log-demo: " << describe(listener.error()) << '\n';
    caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
    return 1;
  }
  // Wait for the owner to finish (count reached) or give up.
  caf::scoped_actor self{sys};
  self->monitor(owner);
  bool done = false;
  self->receive([&](caf::down_msg&) { done = true; },
                caf::after(std::chrono::seconds{timeout_s}) >> [] {});
  if (!done) {
    std::cerr << "nfactor-log-demo: fewer than " << count << " events within "
              << timeout_s << " s\n";
    caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
    return 1;
  }
  return 0;
}
