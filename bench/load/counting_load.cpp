// counting_load.cpp: an HTTP/1.1 load generator that counts what wrk hides.
// Every request sent ends in exactly one class: ok (2xx), non-2xx (by
// status), connect failure, reset (the connection closed or broke before a
// complete answer), timeout (no complete answer within --timeout), or still
// in flight when the run ended. A connection that never connects, or one
// that is dropped, is a counted failure, not a silently lost client.
// Requests sent during --warmup are not counted, except those still
// unanswered when the run ends (warmup_in_flight_at_end): a client left
// waiting through the whole measured run is not hidden by the warm-up.
//
// Closed loop, like wrk: each of --connections keep-alive connections sends
// a request, reads the answer, sends the next; --rate caps the total request
// rate (a token bucket per thread), so a ramp is a series of runs at rising
// rates. A failed connection is reopened (after --reconnect-ms) and counted.
// Latency is measured per answered request from its first byte sent; the
// percentiles are exact (every latency is kept).
//
// Usage: counting_load [options] http://HOST:PORT/PATH
//   -c N   connections (default 64)        -d S   duration in s (default 10)
//   -t N   threads (default 1)             --rate R     total req/s cap (0: none)
//   --timeout MS  per request (default 10000)   --warmup S   not counted (default 0)
//   --reconnect-ms MS  pause before reopening a failed connection (default 10)
//   --ramp S  the rate cap rises from 10% of --rate to all of it over the
//             first S s of the measured run, then holds (an overload ramp)
//   --json  one JSON object instead of the text report; with --timeline it
//           holds one entry per second of the measured run (answers ok,
//           errors, p50 and p99 of the answers that second, the rate cap)
//
// Why not wrk: wrk counts only answers (a connection refused at connect, or
// one that waits forever, vanishes from its figures), and its latency
// histogram is per thread and coarse. No Debian package does this for
// 10,000 connections on one core, so it is written here (epoll, one
// loop per thread, no allocation per request).
//
// Thread contract: each thread owns its connections and counters; the main
// thread merges them after joining.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include "http1.hpp"
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  bench::Url url;
  int connections = 64;
  int threads = 1;
  double duration_s = 10;
  double warmup_s = 0;
  double rate = 0;
  double ramp_s = 0;
  bool timeline = false;
  int timeout_ms = 10000;
  int reconnect_ms = 10;
  bool json = false;
};

// One second of the measured run, for --timeline.
struct Second {
  uint64_t ok = 0, errors = 0;
  std::vector<uint32_t> latency_us;
};

struct Counts {
  uint64_t sent = 0, ok = 0, connect_failed = 0, reset = 0, timeout = 0, bad = 0;
  uint64_t in_flight_at_end = 0, connects = 0;
  // Sent during the warm-up (not counted) and still unanswered at the end:
  // a client left waiting for the whole measured run, shown apart.
  uint64_t warmup_in_flight_at_end = 0;
  std::map<int, uint64_t> non2xx;
  std::vector<uint32_t> latency_us;  // answered requests (any status)
  std::vector<Second> seconds;       // --timeline only

  void Merge(const Counts& o) {
    if (seconds.size() < o.seconds.size()) seconds.resize(o.seconds.size());
    for (size_t i = 0; i < o.seconds.size(); ++i) {
      seconds[i].ok += o.seconds[i].ok;
      seconds[i].errors += o.seconds[i].errors;
      seconds[i].latency_us.insert(seconds[i].latency_us.end(), o.seconds[i].latency_us.begin(),
                                   o.seconds[i].latency_us.end());
    }
    sent += o.sent, ok += o.ok, connect_failed += o.connect_failed, reset += o.reset;
    timeout += o.timeout, bad += o.bad, in_flight_at_end += o.in_flight_at_end;
    warmup_in_flight_at_end += o.warmup_in_flight_at_end;
    connects += o.connects;
    for (auto& [s, n] : o.non2xx) non2xx[s] += n;
    latency_us.insert(latency_us.end(), o.latency_us.begin(), o.latency_us.end());
  }
};

enum class State { kIdle, kConnecting, kSending, kReading, kBackoff };

struct Conn {
  int fd = -1;
  State state = State::kIdle;
  size_t sent_bytes = 0;
  std::string in;
  Clock::time_point started{};   // first byte of the current request
  Clock::time_point deadline{};  // timeout of the request, or end of a back-off
  bool counted = false;          // the current request counts (after warm-up)
};

class Worker {
 public:
  Worker(const Options& o, const addrinfo* addr, int conns, double rate, Clock::time_point warm_end,
         Clock::time_point end)
      : o_(o), addr_(addr), conns_(conns), rate_(rate), warm_end_(warm_end), end_(end) {
    request_ = "GET " + o.url.path + " HTTP/1.1\r\nHost: " + o.url.host + "\r\n\r\n";
  }

  void Run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    for (Conn& c : conns_) Open(c);
    epoll_event events[256];
    tokens_ = 0;
    last_refill_ = Clock::now();
    for (;;) {
      const Clock::time_point now = Clock::now();
      if (now >= end_) break;
      int n = epoll_wait(ep_, events, 256, 5);
      for (int i = 0; i < n; ++i) OnEvent(*static_cast<Conn*>(events[i].data.ptr), events[i].events);
      Tick();
    }
    for (Conn& c : conns_) {
      if (c.state == State::kSending || c.state == State::kReading) {
        ++(c.counted ? counts_.in_flight_at_end : counts_.warmup_in_flight_at_end);
      }
      if (c.fd >= 0) ::close(c.fd);
    }
    ::close(ep_);
  }

  const Counts& counts() const { return counts_; }

 private:
  void Open(Conn& c) {
    c.in.clear();
    c.fd = socket(addr_->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return Backoff(c, true);
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(c.fd, addr_->ai_addr, addr_->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) return Backoff(c, true);
    c.state = State::kConnecting;
    c.deadline = Clock::now() + std::chrono::milliseconds(o_.timeout_ms);
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = &c;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  // The connection failed: count it, close, and reopen after a pause.
  void Backoff(Conn& c, bool at_connect) {
    const bool counts = Clock::now() >= warm_end_;
    if (counts) {
      if (at_connect) {
        ++counts_.connect_failed;
        NoteError();
      } else if (c.counted && (c.state == State::kSending || c.state == State::kReading)) {
        ++counts_.reset;
        NoteError();
      }
    }
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.state = State::kBackoff;
    c.deadline = Clock::now() + std::chrono::milliseconds(o_.reconnect_ms);
  }

  // The second of the measured run `now` falls in (for --timeline), or null.
  Second* SecondAt(Clock::time_point now) {
    if (!o_.timeline || now < warm_end_) return nullptr;
    // Answers read in the loop's last turn, just past the end, go in the
    // last second (the totals count them too).
    const auto last = static_cast<size_t>(std::max(1.0, std::ceil(o_.duration_s)) - 1);
    auto i = std::min(last, static_cast<size_t>(std::chrono::duration<double>(now - warm_end_).count()));
    if (counts_.seconds.size() <= i) counts_.seconds.resize(i + 1);
    return &counts_.seconds[i];
  }
  void NoteError() {
    if (Second* s = SecondAt(Clock::now())) ++s->errors;
  }

  // The rate cap now: --rate, or on a ramp the share of it reached so far.
  double RateNow(Clock::time_point now) const {
    if (o_.ramp_s <= 0) return rate_;
    const double t = now < warm_end_ ? 0 : std::chrono::duration<double>(now - warm_end_).count();
    return rate_ * (0.1 + 0.9 * std::min(1.0, t / o_.ramp_s));
  }

  bool TakeToken() {
    if (rate_ <= 0) return true;
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return true;
    }
    return false;
  }

  void StartRequest(Conn& c) {
    if (!TakeToken()) {
      c.state = State::kIdle;  // waits for a token (Tick)
      waiting_.push_back(&c);
      return;
    }
    c.state = State::kSending;
    c.sent_bytes = 0;
    c.started = Clock::now();
    c.deadline = c.started + std::chrono::milliseconds(o_.timeout_ms);
    c.counted = c.started >= warm_end_;
    if (c.counted) ++counts_.sent;
    Send(c);
  }

  void Send(Conn& c) {
    while (c.sent_bytes < request_.size()) {
      ssize_t n = ::send(c.fd, request_.data() + c.sent_bytes, request_.size() - c.sent_bytes,
                         MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) return;
        return Backoff(c, false);
      }
      c.sent_bytes += static_cast<size_t>(n);
    }
    c.state = State::kReading;
  }

  void Read(Conn& c) {
    if (!bench::ReadAvailable(c.fd, c.in)) {
      // EOF or error: an answer complete in the buffer still counts, and
      // the connection is reopened after it; without one, the request in
      // flight was reset.
      if (TakeAnswers(c, /*open=*/false)) return;
      return Backoff(c, false);
    }
    TakeAnswers(c, /*open=*/true);
  }

  // Takes the complete answer at the front of the buffer, if any, and starts
  // the next request (on a closed connection, `open` false, or after
  // "Connection: close": on a new connection). True when it took one.
  bool TakeAnswers(Conn& c, bool open) {
    if (c.state != State::kReading) {
      if (!c.in.empty()) Backoff(c, false);  // bytes nobody asked for
      return false;
    }
    int status = 0;
    bool close = !open;
    long len = bench::ParseResponse(c.in, &status, &close);
    if (len == 0) return false;
    if (len < 0) {
      if (c.counted) {
        ++counts_.bad;
        NoteError();
      }
      c.counted = false;
      Backoff(c, false);
      return true;
    }
    close = close || !open;
    c.in.erase(0, static_cast<size_t>(len));
    if (c.counted) {
      const Clock::time_point now = Clock::now();
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - c.started);
      const auto latency = static_cast<uint32_t>(std::min<int64_t>(us.count(), UINT32_MAX));
      counts_.latency_us.push_back(latency);
      const bool ok = status >= 200 && status < 300;
      if (ok) ++counts_.ok;
      else ++counts_.non2xx[status];
      if (Second* s = SecondAt(now)) {
        (ok ? s->ok : s->errors) += 1;
        s->latency_us.push_back(latency);
      }
    }
    if (close) {  // reopen at once, as a browser or wrk would
      ::close(c.fd);
      c.fd = -1;
      Open(c);
      return true;
    }
    StartRequest(c);
    return true;
  }

  void OnEvent(Conn& c, uint32_t ev) {
    if (c.fd < 0) return;
    if (c.state == State::kConnecting) {
      if (bench::ConnectFailed(c.fd, ev)) return Backoff(c, true);
      if (!(ev & EPOLLOUT)) return;
      if (Clock::now() >= warm_end_) ++counts_.connects;
      epoll_event mod{};
      mod.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT | EPOLLET;
      mod.data.ptr = &c;
      epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &mod);
      StartRequest(c);
      return;
    }
    if (c.state == State::kSending && (ev & EPOLLOUT)) Send(c);
    if (c.fd >= 0 && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) Read(c);
  }

  // The rate limiter's tokens, then (every 20 ms) timeouts and back-offs.
  void Tick() {
    const Clock::time_point now = Clock::now();
    if (rate_ > 0) {
      const double rate = RateNow(now);
      tokens_ = std::min(tokens_ + rate * std::chrono::duration<double>(now - last_refill_).count(),
                         std::max(1.0, rate / 100));
      last_refill_ = now;
      while (!waiting_.empty() && tokens_ >= 1) {
        Conn* c = waiting_.front();
        waiting_.pop_front();
        if (c->state == State::kIdle && c->fd >= 0) StartRequest(*c);
      }
    }
    if (now - last_scan_ < std::chrono::milliseconds(20)) return;
    last_scan_ = now;
    for (Conn& c : conns_) {
      const bool busy = c.state == State::kSending || c.state == State::kReading;
      if (c.state == State::kBackoff && now >= c.deadline) {
        Open(c);
      } else if (c.state == State::kConnecting && now >= c.deadline) {
        Backoff(c, true);
      } else if (busy && now >= c.deadline) {
        // No complete answer in time: a timeout (not a reset); the
        // connection is dropped, since the answer may still come.
        if (c.counted) {
          ++counts_.timeout;
          NoteError();
        }
        c.counted = false;
        ::close(c.fd);
        c.fd = -1;
        c.state = State::kBackoff;
        c.deadline = now;
      }
    }
  }

  const Options& o_;
  const addrinfo* addr_;
  std::vector<Conn> conns_;
  double rate_;
  Clock::time_point warm_end_, end_;
  std::string request_;
  int ep_ = -1;
  double tokens_ = 0;
  Clock::time_point last_refill_{}, last_scan_{};
  std::deque<Conn*> waiting_;  // connections waiting for a rate token
  Counts counts_;
};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: counting_load [-c N] [-d S] [-t N] [--rate R] [--timeout MS] [--warmup S]\n"
               "                     [--reconnect-ms MS] [--ramp S] [--json [--timeline]]\n"
               "                     http://HOST:PORT/PATH\n");
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (a == "-c") o.connections = std::atoi(value());
    else if (a == "-d") o.duration_s = std::atof(value());
    else if (a == "-t") o.threads = std::atoi(value());
    else if (a == "--rate") o.rate = std::atof(value());
    else if (a == "--timeout") o.timeout_ms = std::atoi(value());
    else if (a == "--warmup") o.warmup_s = std::atof(value());
    else if (a == "--reconnect-ms") o.reconnect_ms = std::atoi(value());
    else if (a == "--ramp") o.ramp_s = std::atof(value());
    else if (a == "--timeline") o.timeline = true;
    else if (a == "--json") o.json = true;
    else if (!a.empty() && a[0] != '-' && url.empty()) url = a;
    else Usage();
  }
  if (url.empty() || !bench::ParseUrl(url, o.url) || o.connections < 1 || o.threads < 1 ||
      o.duration_s <= 0 || o.timeout_ms < 1 || o.ramp_s < 0 || (o.ramp_s > 0 && o.rate <= 0) ||
      (o.timeline && !o.json)) {
    Usage();
  }
  o.threads = std::min(o.threads, o.connections);
  return o;
}

// The p-th percentile of latencies in us, in ms.
double Percentile(const std::vector<uint32_t>& sorted_us, double p) {
  return bench::Percentile(sorted_us, p) / 1000.0;
}

// ,"timeline":[{"t":0,"ok":..,"errors":..,"p50_ms":..,"p99_ms":..,"rate_cap":..},...]
void PrintTimeline(const Options& o, Counts& c) {
  std::printf(",\"timeline\":[");
  const size_t n = std::min(c.seconds.size(), static_cast<size_t>(o.duration_s + 0.999));
  for (size_t i = 0; i < n; ++i) {
    Second& s = c.seconds[i];
    std::sort(s.latency_us.begin(), s.latency_us.end());
    const double t = static_cast<double>(i) + 0.5;
    const double cap = o.ramp_s > 0 ? o.rate * (0.1 + 0.9 * std::min(1.0, t / o.ramp_s)) : o.rate;
    std::printf("%s{\"t\":%zu,\"ok\":%" PRIu64 ",\"errors\":%" PRIu64
                ",\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"rate_cap\":%.0f}",
                i ? "," : "", i, s.ok, s.errors, Percentile(s.latency_us, 50),
                Percentile(s.latency_us, 99), cap);
  }
  std::printf("]");
}

void Report(const Options& o, Counts& c) {
  std::sort(c.latency_us.begin(), c.latency_us.end());
  uint64_t non2xx = 0;
  for (auto& [s, n] : c.non2xx) non2xx += n;
  const uint64_t errors = non2xx + c.connect_failed + c.reset + c.timeout + c.bad;
  const double rps = static_cast<double>(c.ok) / o.duration_s;
  const double denominator = static_cast<double>(c.sent + c.connect_failed);
  const double error_share = denominator > 0 ? static_cast<double>(errors) / denominator : 0;
  std::string codes;
  for (auto& [s, n] : c.non2xx) {
    codes += (codes.empty() ? "" : ",") + ("\"" + std::to_string(s) + "\":" + std::to_string(n));
  }
  if (o.json) {
    std::printf(
        "{\"connections\":%d,\"threads\":%d,\"duration_s\":%g,\"rate_cap\":%g,"
        "\"sent\":%" PRIu64 ",\"ok\":%" PRIu64 ",\"non2xx\":{%s},\"connect_failed\":%" PRIu64
        ",\"reset\":%" PRIu64 ",\"timeout\":%" PRIu64 ",\"bad\":%" PRIu64
        ",\"in_flight_at_end\":%" PRIu64 ",\"warmup_in_flight_at_end\":%" PRIu64
        ",\"connects\":%" PRIu64
        ",\"ok_per_s\":%.1f,\"error_share\":%.6f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
        "\"p99_ms\":%.3f,\"max_ms\":%.3f",
        o.connections, o.threads, o.duration_s, o.rate, c.sent, c.ok, codes.c_str(),
        c.connect_failed, c.reset, c.timeout, c.bad, c.in_flight_at_end,
        c.warmup_in_flight_at_end, c.connects, rps,
        error_share, Percentile(c.latency_us, 50), Percentile(c.latency_us, 90),
        Percentile(c.latency_us, 99), Percentile(c.latency_us, 100));
    if (o.timeline) PrintTimeline(o, c);
    std::printf("}\n");
    return;
  }
  std::printf("%d connections, %d threads, %gs%s\n", o.connections, o.threads, o.duration_s,
              o.rate > 0 ? (", rate cap " + std::to_string(static_cast<long>(o.rate)) + "/s").c_str() : "");
  std::printf("  sent %" PRIu64 ", ok %" PRIu64 " (%.1f/s), in flight at the end %" PRIu64
              " (and %" PRIu64 " sent during the warm-up)\n",
              c.sent, c.ok, rps, c.in_flight_at_end, c.warmup_in_flight_at_end);
  std::printf("  errors %" PRIu64 " (%.4f%%): non-2xx %" PRIu64 " {%s}, connect failed %" PRIu64
              ", reset %" PRIu64 ", timeout %" PRIu64 ", bad %" PRIu64 "\n",
              errors, 100 * error_share, non2xx, codes.c_str(), c.connect_failed, c.reset,
              c.timeout, c.bad);
  std::printf("  latency ms: p50 %.3f, p90 %.3f, p99 %.3f, max %.3f (%zu answers)\n",
              Percentile(c.latency_us, 50), Percentile(c.latency_us, 90),
              Percentile(c.latency_us, 99), Percentile(c.latency_us, 100), c.latency_us.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  if (nofile.rlim_cur < static_cast<rlim_t>(o.connections) + 64) {
    nofile.rlim_cur = std::min<rlim_t>(nofile.rlim_max, static_cast<rlim_t>(o.connections) + 64);
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  addrinfo* addr = bench::Resolve(o.url, "counting_load");
  const Clock::time_point start = Clock::now();
  const auto warm_end = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.warmup_s));
  const auto end = warm_end + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o.duration_s));
  std::vector<Worker> workers;
  workers.reserve(static_cast<size_t>(o.threads));
  for (int t = 0; t < o.threads; ++t) {
    int n = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    workers.emplace_back(o, addr, n, o.rate / o.threads, warm_end, end);
  }
  std::vector<std::thread> threads;
  for (Worker& w : workers) threads.emplace_back([&w] { w.Run(); });
  for (std::thread& t : threads) t.join();
  Counts all;
  for (Worker& w : workers) all.Merge(w.counts());
  Report(o, all);
  freeaddrinfo(addr);
  return 0;
}
