// SPDX-License-Identifier: Apache-2.0
//
// nfactor-log: an NFLOG daemon. One log listener per group, under a
// supervisor (a failed listener is restarted); one writer actor owns the
// outputs (JSON lines and/or a LINKTYPE_NFLOG pcap file).
//
//   supervisor ── listener(group 5) ──┐
//              └─ listener(group 6) ──┴─ log_batch / log_loss ─> writer
//   main thread: signals (HUP reopen, INT/TERM stop), periodic stats
//
// Exit codes: 0 stopped by a signal, 1 runtime failure (e.g. a group could
// not be bound and the supervisor gave up), 2 bad command line.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>

#include "app_common.hpp"
#include "format.hpp"
#include "metrics.hpp"
#include "supervised.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/log_listener.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/sup/type_ids.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/nflog/decode.hpp"
#include "nfactor/nflog/packed.hpp"
#include "nfactor/nl/message.hpp"
#include "write_behind.hpp"

namespace {

using namespace nfactor;
using namespace std::chrono_literals;
namespace sup = actors::sup;

using app::exit_bad_input;
using app::exit_failure;

using reopen_atom = caf::atom_constant<caf::atom("reopen")>;
constexpr reopen_atom reopen_atom_v{};
using report_atom = caf::atom_constant<caf::atom("report")>;
constexpr report_atom report_atom_v{};
using flush_atom = caf::atom_constant<caf::atom("flush")>;
constexpr flush_atom flush_atom_v{};

// One line to stderr (the writer actor and the main thread both report).
void note(const std::string& text) {
  app::say("nfactor-log", text);
}

// -- outputs ------------------------------------------------------------------

/// The files events go to; reopened on SIGHUP (logrotate moves them away).
/// Output gathers across batches and goes out in writes of about
/// `gather_bytes` per file (`flush`): JSON lines in one reusable buffer,
/// pcap records built in place in their batches (`app::pcap_batch`),
/// which are kept until one writev() takes them all. Through the page
/// cache a write per batch (~40 KiB, one every millisecond or so) costs
/// about three times what 1 MiB writes cost per byte (docs/benchmarks.md).
/// The writes block: a slow disk holds the writer, and the writer holds
/// the listeners' credit until their events are written (see
/// writer_actor), so the kernel's drops then arrive as counted loss.
class outputs {
 public:
  /// `gather_events`: at most this many events wait for their output to
  /// be written.
  outputs(std::string json, std::string pcap, std::uint64_t gather_events)
    : json_path_(std::move(json)), pcap_path_(std::move(pcap)),
      gather_events_(std::max<std::uint64_t>(gather_events, 1)) {}
  outputs(const outputs&) = delete;
  ~outputs() { close(); }

  /// Opens (or reopens) every output; the error text on failure.
  std::string open() {
    close();
    if (!json_path_.empty()) {
      if (json_path_ == "-") {
        json_fd_ = STDOUT_FILENO;
      } else {
        json_fd_ = ::open(json_path_.c_str(),
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (json_fd_ < 0)
          return "cannot open " + json_path_ + ": " + std::strerror(errno);
      }
      json_behind_.reset(json_fd_);
    }
    if (!pcap_path_.empty()) {
      // A new file (truncated) with its header, as libpcap starts one.
      pcap_fd_ = ::open(pcap_path_.c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (pcap_fd_ < 0)
        return "cannot open " + pcap_path_ + ": " + std::strerror(errno);
      auto h = app::pcap_file_header();
      iovec piece{h.data(), h.size()};
      if (!write_all(pcap_fd_, {&piece, 1}))
        return "cannot open " + pcap_path_ + ": " + std::strerror(errno);
      pcap_behind_.reset(pcap_fd_);
    }
    return {};
  }

  /// Output gathered per file before a write of its own.
  static constexpr std::size_t gather_bytes = 1 << 20;

  /// Gathers the output of one batch of the kernel's messages (layout 2
  /// of nflog/packed.hpp), and writes what was gathered once it is large
  /// enough; the error text, if any. With a pcap output the batch is
  /// changed and taken (its records are written from where they lie). An
  /// event counts as written once every output has it (`pending()`).
  std::string write(byte_buffer& batch) {
    std::string err;
    auto fail = [&](std::string text) {
      if (err.empty()) // the first one
        err = std::move(text);
    };
    auto header = nflog::packed_count(batch);
    const std::uint64_t count = header ? *header : 0;
    std::uint64_t n = count;
    if (json_fd_ >= 0) {
      auto r = app::append_json(buf_, batch);
      if (r.first_error)
        fail(r.first_error->message());
      n = std::min<std::uint64_t>(n, r.events);
    }
    if (pcap_fd_ >= 0) { // after JSON: the records overwrite the headers
      pcap_.build(batch, now);
      for (const auto& piece : pcap_.pieces()) {
        pcap_pieces_.push_back(piece);
        pcap_bytes_ += piece.iov_len;
      }
      pending_.pcap_records += pcap_.records();
      n = std::min<std::uint64_t>(n, pcap_.records());
      if (!pcap_.pieces().empty())
        pcap_batches_.push_back(std::move(batch)); // the pieces' memory
    }
    pending_.events += n;
    pending_.unwritten += count - n;
    if (buf_.size() >= gather_bytes || pcap_bytes_ >= gather_bytes ||
        pending_.events + pending_.unwritten >= gather_events_)
      if (auto e = flush(); !e.empty())
        fail(std::move(e));
    return err;
  }

  /// Whether events wait for their output to be written.
  [[nodiscard]] bool pending() const {
    return pending_.events + pending_.unwritten > 0;
  }

  /// Writes what was gathered so far; the error text, if any. Its events
  /// count as written, or as unwritten if a write failed.
  std::string flush() {
    std::string err;
    auto failed = [&](const std::string& path) {
      if (err.empty())
        err = "write " + path + ": " + std::strerror(errno);
      pending_.unwritten += pending_.events;
      pending_.events = 0;
    };
    if (json_fd_ >= 0 && buf_.size() > 0) {
      auto text = buf_.view();
      iovec piece{const_cast<char*>(text.data()), text.size()};
      if (write_all(json_fd_, {&piece, 1})) {
        written.json_bytes += buf_.size();
        json_behind_.wrote(buf_.size());
      } else {
        failed(json_path_);
      }
    }
    if (pcap_fd_ >= 0 && !pcap_pieces_.empty()) {
      if (write_all(pcap_fd_, pcap_pieces_)) {
        written.pcap_records += pending_.pcap_records;
        pcap_behind_.wrote(pcap_bytes_);
      } else {
        failed(pcap_path_);
      }
    }
    written.events += pending_.events;
    written.unwritten += pending_.unwritten;
    buf_.clear();
    pcap_pieces_.clear();
    pcap_batches_.clear();
    pcap_bytes_ = 0;
    pending_ = {};
    return err;
  }

  /// Writes what waits, then closes every output.
  void close() {
    (void)flush();
    if (json_fd_ > STDOUT_FILENO)
      ::close(json_fd_);
    json_fd_ = -1;
    if (pcap_fd_ >= 0)
      ::close(pcap_fd_);
    pcap_fd_ = -1;
  }

  /// Written by the writer's thread, read by the metrics thread.
  struct counters {
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::uint64_t> json_bytes{0};
    std::atomic<std::uint64_t> pcap_records{0};
    /// Events not written: a write failed, or they did not decode.
    std::atomic<std::uint64_t> unwritten{0};
  };
  counters written;

 private:
  static nflog::timestamp now() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return {ts.tv_sec, ts.tv_nsec / 1000};
  }

  // All of `pieces` (changed as they are written), in as few writev()
  // calls as the kernel allows.
  static bool write_all(int fd, std::span<iovec> pieces) {
    while (!pieces.empty()) {
      auto count = std::min<std::size_t>(pieces.size(), IOV_MAX);
      auto w = ::writev(fd, pieces.data(), static_cast<int>(count));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return false;
      auto done = static_cast<std::size_t>(w);
      while (!pieces.empty() && done >= pieces.front().iov_len) {
        done -= pieces.front().iov_len;
        pieces = pieces.subspan(1);
      }
      if (done > 0) { // a short write ended inside a piece
        auto& p = pieces.front();
        p.iov_base = static_cast<char*>(p.iov_base) + done;
        p.iov_len -= done;
      }
    }
    return true;
  }

  std::string json_path_;
  std::string pcap_path_;
  int json_fd_ = -1;
  int pcap_fd_ = -1;
  std::uint64_t gather_events_;
  app::text_buffer buf_;
  // The events whose output waits in buf_ and pcap_pieces_.
  struct {
    std::uint64_t events = 0;       // to count as written
    std::uint64_t unwritten = 0;    // not decoded, or missing from pcap
    std::uint64_t pcap_records = 0; // in pcap_pieces_
  } pending_;
  app::pcap_batch pcap_;
  // The pcap records gathered: where they lie in the batches kept here.
  std::vector<iovec> pcap_pieces_;
  std::vector<byte_buffer> pcap_batches_;
  std::size_t pcap_bytes_ = 0;
  // Written files leave the page cache once on disk (write_behind.hpp).
  app::write_behind json_behind_;
  app::write_behind pcap_behind_;
};

// -- the writer actor ---------------------------------------------------------

using writer = actors::log_packed_owner::extend<
    caf::reacts_to<reopen_atom>, caf::reacts_to<flush_atom>,
    caf::reacts_to<sup::child_info>,
    caf::replies_to<report_atom>::with<std::string>,
    caf::replies_to<actors::stop_atom>::with<bool>>;

struct writer_state {
  std::shared_ptr<outputs> out;
  std::uint64_t overruns = 0;
  std::uint64_t lost = 0;
  bool lost_inexact = false;
  /// Whether the last write failed.
  bool write_failing = false;
  /// The answers to the batches whose output waits in `out`.
  std::vector<caf::response_promise> waiting;
  /// When the first of `waiting` came.
  std::chrono::steady_clock::time_point waiting_since;
  /// Whether a flush_atom is on its way (one at a time).
  bool flush_due = false;

  /// Prints a write error once per episode, not per batch.
  void wrote(const std::string& err) {
    if (err.empty()) {
      write_failing = false;
      return;
    }
    if (!write_failing)
      note(err + " (events not written are counted)");
    write_failing = true;
  }

  /// Writes what waits and answers its batches: their listeners get their
  /// credit back only now.
  void flush() {
    if (out)
      wrote(out->flush());
    for (auto& rp : waiting)
      rp.deliver(caf::unit);
    waiting.clear();
  }
};

/// How long gathered output may wait before it is written.
constexpr auto flush_delay = std::chrono::milliseconds(10);

writer::behavior_type writer_actor(writer::stateful_pointer<writer_state> self,
                                   std::shared_ptr<outputs> out) {
  self->state.out = std::move(out);
  return {
      [](const actors::log_started& s) {
        note("group " + std::to_string(s.group) + " bound (portid " +
             std::to_string(s.portid) + ", rcvbuf " + std::to_string(s.rcvbuf) +
             ")");
      },
      // A batch is answered once its events are written or counted
      // unwritten, not when it is taken: the listener holds their credit
      // until then, so a stalled output stops it reading (the kernel
      // drops, counted) however many events wait to be gathered.
      [self](actors::log_packed_batch& b) {
        auto& st = self->state;
        if (!st.out)
          return;
        bool first = st.waiting.empty();
        st.waiting.push_back(self->make_response_promise());
        st.wrote(st.out->write(b.bytes));
        if (!st.out->pending()) {
          st.flush();
          return;
        }
        if (first)
          st.waiting_since = std::chrono::steady_clock::now();
        if (!st.flush_due) {
          st.flush_due = true;
          self->delayed_send(self, flush_delay, flush_atom_v);
        }
      },
      // Due when the oldest waiting output is flush_delay old: output
      // written since the timer was set (the buffer filled) wait on.
      [self](flush_atom) {
        auto& st = self->state;
        st.flush_due = false;
        if (st.waiting.empty())
          return;
        auto age = std::chrono::steady_clock::now() - st.waiting_since;
        if (age >= flush_delay) {
          st.flush();
          return;
        }
        st.flush_due = true;
        self->delayed_send(
            self,
            std::chrono::ceil<std::chrono::microseconds>(flush_delay - age),
            flush_atom_v);
      },
      [self](const actors::log_loss& l) {
        auto& st = self->state;
        st.overruns += l.overruns;
        st.lost += l.lost;
        st.lost_inexact |= !l.exact;
        note("LOSS group " + std::to_string(l.group) + ": " +
             (l.exact ? "" : "at least ") + std::to_string(l.lost) +
             " events lost in " + std::to_string(l.overruns) +
             " receive buffer overrun(s) (total " +
             std::to_string(l.total_lost) + " lost, " +
             std::to_string(l.total_overruns) + " overruns)" +
             // Drops after the last event read are counted once the
             // next event's sequence number shows the gap.
             (l.exact && l.uncounted
                  ? "; the events dropped in the last overrun are counted "
                    "at the next event"
                  : ""));
      },
      // The supervisor's reports: printed here, in order with the
      // listeners' own lines (a restarted listener's "bound" follows its
      // "failed").
      [](const sup::child_info& ci) {
        if (auto line = app::child_report(ci))
          note(*line);
      },
      [self](reopen_atom) {
        if (!self->state.out)
          return;
        self->state.flush(); // into the file logrotate moved away
        auto err = self->state.out->open();
        note(err.empty() ? std::string{"reopened outputs"} : err);
      },
      [self](report_atom) {
        auto& st = self->state;
        st.flush();
        auto& o = *st.out;
        return "written " + std::to_string(o.written.events) +
               " events (json " + std::to_string(o.written.json_bytes) +
               " bytes, pcap " + std::to_string(o.written.pcap_records) +
               " records), lost " + (st.lost_inexact ? "at least " : "") +
               std::to_string(st.lost) + " in " + std::to_string(st.overruns) +
               " overruns, " + std::to_string(o.written.unwritten) +
               " not written";
      },
      [self](actors::stop_atom) {
        self->state.flush();
        if (self->state.out)
          self->state.out->close();
        self->state.out.reset();
        return true;
      },
  };
}

std::string stats_line(const actors::log_stats& s) {
  const auto& c = s.common;
  return "group " + std::to_string(s.group) + ": received " +
         std::to_string(c.received) + ", delivered " +
         std::to_string(c.delivered) + ", lost " + std::to_string(c.lost) +
         ", enobufs " + std::to_string(c.enobufs) + ", decode errors " +
         std::to_string(s.decode_errors) + ", datagrams " +
         std::to_string(s.datagrams) + ", rcvbuf " +
         std::to_string(c.rcvbuf.value_or(0));
}

using listener_report = app::listener_report<actors::log_stats>;

std::vector<listener_report> ask_listeners(caf::scoped_actor& self,
                                           const sup::supervisor& supervisor) {
  return app::ask_listeners<actors::log_listener, actors::log_stats>(
      self, supervisor);
}

/// The metrics page: per group the listener's counters, the writer's, and
/// the process's.
std::string metrics_page(caf::actor_system& system,
                         const sup::supervisor& supervisor,
                         const outputs& out) {
  namespace m = app::metrics;
  caf::scoped_actor self{system};
  m::exposition page;
  for (auto& r : ask_listeners(self, supervisor)) {
    if (!r.stats)
      continue;
    m::labels group{{"group", std::to_string(r.stats->group)}};
    m::add_stats(page, group, r.stats->common);
    m::add_in_flight(page, group, static_cast<double>(r.stats->in_flight));
    page.counter("nfactor_decode_errors_total",
                 "Messages that failed to decode and were skipped.", group,
                 static_cast<double>(r.stats->decode_errors));
  }
  auto n = [](const std::atomic<std::uint64_t>& v) {
    return static_cast<double>(v.load());
  };
  page.counter("nfactor_log_written_events_total",
               "Events written to the outputs.", {}, n(out.written.events));
  page.counter("nfactor_log_unwritten_events_total",
               "Events not written: a write failed or they did not decode.", {},
               n(out.written.unwritten));
  page.counter("nfactor_log_json_bytes_total", "Bytes of JSON lines written.",
               {}, n(out.written.json_bytes));
  page.counter("nfactor_log_pcap_records_total", "pcap records written.", {},
               n(out.written.pcap_records));
  m::add_process(page);
  return page.text();
}

} // namespace

int main(int argc, char** argv) {
  app::keep_heap();
  CLI::App cli{"An NFLOG daemon: logs the packets of nftables `log group G` "
               "rules as JSON lines and/or a pcap file.",
               "nfactor-log"};
  std::vector<std::uint16_t> groups;
  std::string netns, json, pcap;
  std::uint32_t copy_range = 0;
  std::uint32_t qthresh = 64;
  std::uint32_t timeout_ms = 10;
  // Read coalescing (log_listener_options::coalesce), longer than the
  // library's 1 ms: a daemon that gathers its output for up to 10 ms
  // gains nothing from reading more often, and each wake-up costs. On the
  // project's VM, 1M events: --pcap FILE 0.45-0.51 us per event at 5 ms
  // against 0.66-0.69 at 1 ms, --json FILE 0.88-0.97 against 1.02-1.06.
  std::uint32_t coalesce_ms = 5;
  int rcvbuf = 8 << 20;
  bool seq_global = false;
  bool meta_only = false;
  double stats_interval = 0;
  std::size_t max_in_flight = actors::log_listener_options{}.max_in_flight;
  cli.add_option("-g,--group", groups, "NFLOG group to listen on (repeat)")
      ->required()
      ->check(CLI::Range(1, 65535));
  cli.add_option("--netns", netns, "network namespace (ip netns name)");
  cli.add_option("--copy-range", copy_range,
                 "payload bytes per packet (0: whole packet)")
      ->check(CLI::Range(0, 0xffff));
  cli.add_flag("--meta-only", meta_only,
               "no payload, metadata only (no L3/L4 summary)");
  cli.add_option("--qthresh", qthresh,
                 "events the kernel batches per datagram (1-1024)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cli.add_option("--timeout", timeout_ms,
                 "ms the kernel holds a partial batch (10 ms steps)")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  cli.add_option("--coalesce", coalesce_ms,
                 "ms a busy socket fills before it is read again (adds at "
                 "most that much latency; 0: read every datagram at once)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cli.add_option("--rcvbuf", rcvbuf, "socket receive buffer, bytes")
      ->check(CLI::Range(4096, 1 << 30))
      ->capture_default_str();
  cli.add_flag("--seq", seq_global,
               "add the namespace-wide sequence number (seq_global); the "
               "per-group seq is always on, for exact loss counts");
  cli.add_option("--json", json, "write JSON lines to FILE (- for stdout)");
  cli.add_option("--pcap", pcap, "write a LINKTYPE_NFLOG pcap file");
  cli.add_option("--max-in-flight", max_in_flight,
                 "events per group read but not yet written before the "
                 "listener stops reading (bounds memory; the kernel then "
                 "drops, counted as LOSS)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24))
      ->capture_default_str();
  std::string metrics;
  cli.add_option("--metrics", metrics, app::metrics::option_help);
  cli.add_option("--stats-interval", stats_interval,
                 "print stats to stderr every N seconds (0: never)")
      ->check(CLI::Range(0.0, 86400.0));
  cli.footer("Signals: HUP reopens the output files, INT/TERM stop "
             "(groups unbound, files flushed).\nExit codes: 0 stopped, 1 "
             "failure, 2 bad command line.");
  if (auto rc = app::parse(cli, argc, argv))
    return *rc;
  if (json.empty() && pcap.empty())
    json = "-";
  if (meta_only && copy_range != 0) {
    std::cerr << "nfactor-log: --meta-only and --copy-range exclude each "
                 "other\n";
    return exit_bad_input;
  }

  // Listener options, checked before anything starts.
  std::vector<actors::log_listener_options> per_group;
  for (auto g : groups) {
    actors::log_listener_options o;
    o.nflog.group = g;
    o.nflog.ns =
        netns.empty() ? sys::netns::current() : sys::netns::named(netns);
    o.nflog.mode =
        meta_only ? nflog::copy_mode::meta : nflog::copy_mode::packet;
    o.nflog.copy_range = copy_range;
    o.nflog.qthresh = qthresh;
    o.nflog.flush_timeout = nflog::centiseconds{(timeout_ms + 9) / 10};
    o.nflog.rcvbuf = rcvbuf;
    o.nflog.flags.seq = true;
    o.nflog.flags.seq_global = seq_global;
    o.nflog.resolve_names = !json.empty(); // pcap records carry no names
    o.max_in_flight = max_in_flight;
    o.coalesce = std::chrono::milliseconds{coalesce_ms};
    o.max_batch = std::min(o.max_batch, max_in_flight); // a batch fits
    if (auto ok = o.validate(); !ok) {
      std::cerr << "nfactor-log: " << ok.err().message() << "\n";
      return exit_bad_input;
    }
    for (auto& other : per_group)
      if (other.nflog.group == g) {
        std::cerr << "nfactor-log: group " << g << " given twice\n";
        return exit_bad_input;
      }
    per_group.push_back(std::move(o));
  }
  if (!netns.empty()) {
    if (auto fd = sys::netns::named(netns).open(); !fd) {
      std::cerr << "nfactor-log: " << fd.err().message() << "\n";
      return exit_bad_input;
    }
  }
  auto metrics_at = app::metrics::parse_option(metrics);
  if (!metrics_at) {
    std::cerr << "nfactor-log: " << metrics_at.err().message() << "\n";
    return exit_bad_input;
  }
  // A listener stops reading at max_in_flight unwritten events: gathering
  // at most half of them never holds it up.
  auto out = std::make_shared<outputs>(json, pcap, max_in_flight / 2);
  if (auto err = out->open(); !err.empty()) {
    std::cerr << "nfactor-log: " << err << "\n";
    return exit_bad_input;
  }

  auto sigs = app::take_signals({SIGINT, SIGTERM, SIGHUP});
  app::config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};

  // Detached: formatting and blocking writes get a thread of their own,
  // and the listeners deliver to it without CAF's scheduler.
  auto w = system.spawn<caf::detached>(writer_actor, out);
  std::vector<sup::child_spec> children;
  for (auto& o : per_group) {
    actors::log_packed_owner owner = w;
    children.push_back(sup::child(
        "group-" + std::to_string(o.nflog.group),
        [owner, o](const sup::start_context& ctx) {
          auto lo = o;
          lo.restarts = ctx.restarts;
          return actors::spawn_log_listener(ctx.sys, owner, lo);
        },
        sup::restart_type::transient));
  }
  auto supervisor = sup::spawn_supervisor(
      system, app::supervision(caf::actor_cast<caf::actor>(w)),
      std::move(children));
  self->monitor(supervisor);

  int rc = 0;
  bool running = true;
  auto stats_every = std::chrono::duration<double>(stats_interval);
  auto next_stats =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::nanoseconds>(stats_every);
  auto print_stats = [&] {
    for (auto& r : ask_listeners(self, supervisor)) {
      if (r.stats)
        note("stats " + stats_line(*r.stats) + ", restarts " +
             std::to_string(r.child.restarts));
      else
        note("stats " + r.child.name + ": " +
             actors::describe(r.stats.error()));
    }
    self->request(w, 2s, report_atom_v)
        .receive([](const std::string& s) { note("stats " + s); },
                 [](caf::error&) {});
  };
  auto metrics_server = app::metrics::serve(
      "nfactor-log", *metrics_at, [&system, supervisor, out] {
        return metrics_page(system, supervisor, *out);
      });
  if (!metrics_server) {
    note(metrics_server.err().message());
    rc = exit_bad_input;
    running = false;
  }
  while (running) {
    timespec tick{0, 200 * 1000 * 1000};
    siginfo_t info;
    int sig = ::sigtimedwait(&sigs, &info, &tick);
    if (sig == SIGHUP) {
      caf::anon_send(w, reopen_atom_v);
    } else if (sig == SIGINT || sig == SIGTERM) {
      running = false;
      break;
    }
    // The supervisor's end (its reports go to the writer).
    if (auto reason = app::take_down(self)) {
      note(sup::describe(*reason));
      rc = exit_failure;
      running = false;
    }
    if (running && stats_interval > 0 &&
        std::chrono::steady_clock::now() >= next_stats) {
      print_stats();
      next_stats +=
          std::chrono::duration_cast<std::chrono::nanoseconds>(stats_every);
    }
  }
  // Stop: the supervisor stops the listeners (each unbinds its group and
  // closes its socket in on_exit), then the writer flushes and closes.
  if (metrics_server)
    metrics_server->reset(); // before the actors it asks go
  if (rc == 0 || rc == exit_bad_input) {
    self->send_exit(supervisor, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {},
                  caf::after(std::chrono::seconds(10)) >> [] {});
  }
  // The listeners are gone: the writer's totals are final.
  self->request(w, 10s, report_atom_v)
      .receive([](const std::string& s) { note(s); }, [](caf::error&) {});
  self->request(w, 10s, actors::stop_atom_v)
      .receive([](bool) {}, [](caf::error&) {});
  self->send_exit(w, caf::exit_reason::user_shutdown);
  note("stopped");
  return rc;
}
