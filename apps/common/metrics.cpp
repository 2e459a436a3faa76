// SPDX-License-Identifier: Apache-2.0
#include "metrics.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include <pthread.h>
#include <unistd.h>

#include <httplib.h>

namespace nfactor::app::metrics {

namespace {

// Label values: backslash, double quote and newline escaped.
void label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// HELP text: backslash and newline escaped.
std::string help_text(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Shortest text that reads back as `v` (integers without a fraction).
void value(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

struct proc_self {
  double cpu_seconds = 0;
  double rss_bytes = 0;
  double start_time = 0;
};

// Fields of /proc/self/stat after the command name (which may contain
// spaces and parentheses: everything up to the last ')').
proc_self read_proc_self() {
  proc_self p;
  std::ifstream f{"/proc/self/stat"};
  std::string line;
  std::getline(f, line);
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return p;
  std::istringstream rest{line.substr(close + 2)};
  std::vector<std::string> fields; // fields[0] is field 3 (state)
  for (std::string x; rest >> x;)
    fields.push_back(std::move(x));
  auto field = [&](std::size_t n) { // proc(5) numbering, from 1
    return n >= 3 && n - 3 < fields.size() ? std::stod(fields[n - 3]) : 0.0;
  };
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  p.cpu_seconds = (field(14) + field(15)) / ticks;
  p.rss_bytes = field(24) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  std::ifstream st{"/proc/stat"};
  for (std::string key; st >> key;) {
    if (key == "btime") {
      double boot = 0;
      st >> boot;
      p.start_time = boot + field(22) / ticks;
      break;
    }
    st.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return p;
}

} // namespace

result<endpoint> parse_endpoint(std::string_view text, const char* option) {
  endpoint e;
  std::string_view port = text;
  if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    auto host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    if (!host.empty())
      e.host = std::string{host};
  }
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (port.empty() || ec != std::errc{} || p != port.data() + port.size() ||
      v > 65535)
    return make_error(errc::invalid_argument, option,
                      "'" + std::string{text} +
                          "': want ADDR:PORT, [IPv6]:PORT or :PORT "
                          "(port 0..65535)");
  e.port = static_cast<std::uint16_t>(v);
  return e;
}

result<std::optional<endpoint>> parse_option(std::string_view text) {
  if (text.empty())
    return std::optional<endpoint>{};
  auto at = parse_endpoint(text);
  if (!at)
    return std::move(at).err();
  return std::optional<endpoint>{*at};
}

void exposition::add(std::string_view name, std::string_view help,
                     const char* type, const labels& l, double v) {
  auto it = std::find_if(families_.begin(), families_.end(),
                         [&](const family& f) { return f.name == name; });
  if (it == families_.end())
    it = families_.insert(families_.end(),
                          family{std::string{name}, help_text(help), type, {}});
  auto& s = it->samples;
  s += name;
  if (!l.empty()) {
    s += '{';
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (i)
        s += ',';
      s += l[i].first;
      s += "=\"";
      label_value(s, l[i].second);
      s += '"';
    }
    s += '}';
  }
  s += ' ';
  value(s, v);
  s += '\n';
}

void exposition::counter(std::string_view name, std::string_view help,
                         const labels& l, double v) {
  add(name, help, "counter", l, v);
}

void exposition::gauge(std::string_view name, std::string_view help,
                       const labels& l, double v) {
  add(name, help, "gauge", l, v);
}

std::string exposition::text() const {
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f.name + ' ' + f.help + '\n';
    out += "# TYPE " + f.name + ' ' + f.type + '\n';
    out += f.samples;
  }
  return out;
}

// The counters of `sup::stats`, one row each.
struct stats_counter {
  const char* name;
  const char* help;
  std::uint64_t actors::sup::stats::*member;
};
constexpr stats_counter stats_counters[] = {
    {"nfactor_received_total", "Events or messages read from the kernel.",
     &actors::sup::stats::received},
    {"nfactor_delivered_total", "Events or messages handed to the owner.",
     &actors::sup::stats::delivered},
    {"nfactor_lost_total",
     "Events or messages known to be lost (kernel drops, back-pressure).",
     &actors::sup::stats::lost},
    {"nfactor_enobufs_total", "Receive buffer overflow episodes (ENOBUFS).",
     &actors::sup::stats::enobufs},
    {"nfactor_foreign_datagrams_total",
     "Datagrams dropped unread because they did not come from the kernel.",
     &actors::sup::stats::foreign},
};

void add_stats(exposition& page, const labels& l, const actors::sup::stats& s) {
  for (const auto& c : stats_counters)
    page.counter(c.name, c.help, l, static_cast<double>(s.*c.member));
  page.counter("nfactor_restarts_total",
               "Restarts of this actor by its supervisor.", l, s.restarts);
  page.gauge("nfactor_rcvbuf_bytes",
             "Socket receive buffer the kernel granted.", l,
             s.rcvbuf ? static_cast<double>(*s.rcvbuf) : 0.0);
  page.gauge("nfactor_uptime_seconds",
             "Time since this incarnation opened its socket.", l,
             std::chrono::duration<double>(s.uptime).count());
}

void add_in_flight(exposition& page, const labels& l, double v) {
  page.gauge("nfactor_in_flight",
             "Events or messages sent to the owner and not yet "
             "acknowledged.",
             l, v);
}

void add_process(exposition& page) {
  auto p = read_proc_self();
  page.counter("process_cpu_seconds_total",
               "Total user and system CPU time spent in seconds.", {},
               p.cpu_seconds);
  page.gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
             {}, p.rss_bytes);
  page.gauge("process_start_time_seconds",
             "Start time of the process since unix epoch in seconds.", {},
             p.start_time);
}

struct server::impl {
  httplib::Server http;
  std::thread thread;
  /// Set when `listen_after_bind` returned (e.g. it could not listen).
  std::atomic<bool> done{false};
};

result<std::unique_ptr<server>>
server::start(const endpoint& at, std::function<std::string()> collect) {
  auto i = std::make_unique<impl>();
  // One worker: scrapes are rare and each asks the actors for their stats.
  i->http.new_task_queue = [] {
    return new httplib::ThreadPool(1);
  };
  i->http.Get("/metrics", [collect = std::move(collect)](
                              const httplib::Request&, httplib::Response& res) {
    res.set_content(collect(), "text/plain; version=0.0.4; charset=utf-8");
  });
  int port = at.port == 0 ? i->http.bind_to_any_port(at.host)
             : i->http.bind_to_port(at.host, at.port) ? at.port
                                                      : -1;
  if (port <= 0)
    return make_error(errc::invalid_argument, "--metrics",
                      "cannot listen on " + at.host + ":" +
                          std::to_string(at.port) +
                          " (address in use, or not an address of this host)");
  i->thread = std::thread([http = &i->http, done = &i->done] {
    // A scraper that goes away mid-reply must not kill the daemon.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    http->listen_after_bind();
    *done = true;
  });
  return std::unique_ptr<server>{
      new server(std::move(i), static_cast<std::uint16_t>(port), at.host)};
}

server::server(std::unique_ptr<impl> i, std::uint16_t port, std::string host)
  : impl_(std::move(i)), port_(port), host_(std::move(host)) {}

server::~server() {
  // stop() does nothing until the serving thread has started listening,
  // which would then never end: wait for that first.
  while (!impl_->http.is_running() && !impl_->done)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->http.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

std::string server::where() const {
  auto h = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return h + ":" + std::to_string(port_);
}

result<std::unique_ptr<server>> serve(const char* prog,
                                      const std::optional<endpoint>& at,
                                      std::function<std::string()> collect) {
  if (!at)
    return std::unique_ptr<server>{};
  auto s = server::start(*at, std::move(collect));
  if (s) {
    std::string line = std::string{prog} + ": metrics on http://" +
                       (*s)->where() + "/metrics\n";
    if (::write(2, line.data(), line.size()) < 0) {
      // nothing to do: the line is informational
    }
  }
  return s;
}

} // namespace nfactor::app::metrics
