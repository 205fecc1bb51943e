// longpoll_hold.cpp: the long-poll hold of bench/run and the event-stream
// hold of bench/sse/run. Opens N keep-alive connections, sends one request
// on each (GET PATH), and once every request is out (with --sse: every
// stream's head is in) and --settle seconds have passed prints
//   held N
// on stdout and waits for a line on stdin (the driver samples the servers'
// memory meanwhile). Then it sends one request to --notify URL on a
// connection of its own (a GET; a POST of --notify-body as JSON when given)
// and measures, from that moment, until every held request has its answer:
// the time until the last client has the event.
//
// A held long poll is answered by its complete response. With --sse TEXT a
// held request is an event stream: held once its head is in (200,
// Content-Type text/event-stream), answered when its body contains TEXT
// (the posted message); the stream then stays open, unread, to the end.
//
// Prints one JSON object: held, answered (2xx), non2xx (and by status in
// non2xx_codes), failed (connect failure, reset, malformed or the wrong
// head before an answer, or a stream that ended first), unanswered (no
// answer within --timeout of the notify), connect_ms (time to open and send
// all; with --sse: until every head is in), first_ms / p50_ms / p99_ms /
// last_ms (answer times after the notify), notify_status.
//
// Usage: longpoll_hold -c N [--settle S] [--timeout S] [--sse TEXT]
//                      --notify URL [--notify-body JSON] URL
//
// Thread contract: one thread, one epoll loop.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "http1.hpp"

namespace {

using Clock = std::chrono::steady_clock;

enum class State { kConnecting, kSending, kWaiting, kDone, kFailed };

struct Conn {
  int fd = -1;
  State state = State::kConnecting;
  std::string out, in;
  size_t sent = 0;
  int status = 0;
  bool head = false;        // --sse: the stream's head is in
  size_t body_at = 0;       // --sse: where the stream's body starts in `in`
  double answered_ms = -1;  // after the notify
};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: longpoll_hold -c N [--settle S] [--timeout S] [--sse TEXT]\n"
               "                     --notify URL [--notify-body JSON] URL\n");
  std::exit(2);
}

class Hold {
 public:
  // `sse`: what answers a held stream (empty: a long poll, answered by its
  // response).
  Hold(const addrinfo* addr, const bench::Url& target, int n, std::string sse = {})
      : addr_(addr), conns_(n), sse_(std::move(sse)) {
    request_ = "GET " + target.path + " HTTP/1.1\r\nHost: " + target.host + "\r\n\r\n";
    ep_ = epoll_create1(EPOLL_CLOEXEC);
  }
  ~Hold() {
    for (Conn& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
    ::close(ep_);
  }

  // Opens every connection and sends its request; returns once all are sent
  // (with --sse: have their heads) or failed (or after `limit`).
  void Open(Clock::duration limit) {
    for (Conn& c : conns_) Start(c, request_);
    const auto give_up = Clock::now() + limit;
    while (Pending(State::kSending) && Clock::now() < give_up) Poll(50);
  }

  // Keeps the loop running (answers before the notify are counted too).
  void Idle(Clock::duration d) {
    const auto until = Clock::now() + d;
    while (Clock::now() < until) Poll(50);
  }

  // From now on answers are timed from t0 (the notify went out).
  void Notified(Clock::time_point t0) {
    t0_ = t0;
    notified_ = true;
  }

  void Start(Conn& c, const std::string& request) {
    c.out = request;
    c.fd = socket(addr_->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      c.state = State::kFailed;
      return;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c.fd, addr_->ai_addr, addr_->ai_addrlen) != 0 && errno != EINPROGRESS) {
      Fail(c);
      return;
    }
    c.state = State::kConnecting;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.ptr = &c;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  std::vector<Conn>& conns() { return conns_; }

  // True while some connection is still before `state` (kSending: not all
  // sent yet, or with --sse not all heads in; kWaiting: not all answered yet).
  bool Pending(State state) const {
    for (const Conn& c : conns_) {
      const bool no_head = !sse_.empty() && c.state == State::kWaiting && !c.head;
      if (state == State::kSending &&
          (c.state == State::kConnecting || c.state == State::kSending || no_head)) {
        return true;
      }
      if (state == State::kWaiting && c.state != State::kDone && c.state != State::kFailed) {
        return true;
      }
    }
    return false;
  }

  void Poll(int timeout_ms) {
    epoll_event events[512];
    int n = epoll_wait(ep_, events, 512, timeout_ms);
    for (int i = 0; i < n; ++i) OnEvent(*static_cast<Conn*>(events[i].data.ptr), events[i].events);
  }

 private:
  void Fail(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.state = State::kFailed;
  }

  void OnEvent(Conn& c, uint32_t ev) {
    if (c.fd < 0) return;
    if (c.state == State::kConnecting) {
      if (bench::ConnectFailed(c.fd, ev)) return Fail(c);
      if (!(ev & EPOLLOUT)) return;
      epoll_event mod{};
      mod.events = EPOLLIN | EPOLLRDHUP;
      mod.data.ptr = &c;
      epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &mod);
      c.state = State::kSending;
    }
    if (c.state == State::kSending) {
      while (c.sent < c.out.size()) {
        ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN) return;  // small requests: the next EPOLLIN/OUT retries
          return Fail(c);
        }
        c.sent += static_cast<size_t>(n);
      }
      c.state = State::kWaiting;
    }
    if (c.state != State::kWaiting || !(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    (void)bench::ReadAvailable(c.fd, c.in);  // EOF or error: judged below on what arrived
    if (!sse_.empty()) return OnStream(c, ev);
    bool close = false;
    long len = bench::ParseResponse(c.in, &c.status, &close);
    if (len > 0) {
      c.state = State::kDone;
      if (notified_) {
        c.answered_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0_).count();
      }
      ::close(c.fd);
      c.fd = -1;
    } else if (len < 0 || (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
      Fail(c);
    }
  }

  // An event stream's bytes so far: the head, then the answer (TEXT).
  void OnStream(Conn& c, uint32_t ev) {
    const bool ended = ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
    if (!c.head) {
      const size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (ended || c.in.size() > 65536) Fail(c);
        return;
      }
      if (c.in.compare(0, 7, "HTTP/1.") != 0 || c.in.size() < 12) return Fail(c);
      c.status = std::atoi(c.in.c_str() + 9);
      if (c.status < 200 || c.status >= 300) {  // counted by its status
        c.state = State::kDone;
        ::close(c.fd);
        c.fd = -1;
        return;
      }
      if (!bench::HasHeader(c.in.substr(0, end), "content-type", "text/event-stream")) {
        return Fail(c);
      }
      c.head = true;
      c.body_at = end + 4;
    }
    if (c.in.find(sse_, c.body_at) != std::string::npos) {
      c.state = State::kDone;
      if (notified_) {
        c.answered_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0_).count();
      }
      // Open but unread from now on (closing would make the server cancel
      // streams while it still delivers to the others).
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    } else if (ended) {
      Fail(c);
    }
  }

  const addrinfo* addr_;
  std::vector<Conn> conns_;
  std::string sse_;
  std::string request_;
  int ep_ = -1;
  bool notified_ = false;
  Clock::time_point t0_{};
};

}  // namespace

int main(int argc, char** argv) {
  int n = 0;
  double settle_s = 2, timeout_s = 30;
  std::string url, notify_url, notify_body, sse;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (a == "-c") n = std::atoi(value());
    else if (a == "--settle") settle_s = std::atof(value());
    else if (a == "--timeout") timeout_s = std::atof(value());
    else if (a == "--notify") notify_url = value();
    else if (a == "--notify-body") notify_body = value();
    else if (a == "--sse") sse = value();
    else if (!a.empty() && a[0] != '-' && url.empty()) url = a;
    else Usage();
  }
  bench::Url target, notify;
  if (n < 1 || !bench::ParseUrl(url, target) || !bench::ParseUrl(notify_url, notify) ||
      timeout_s <= 0) {
    Usage();
  }
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = std::min<rlim_t>(nofile.rlim_max, static_cast<rlim_t>(n) + 64);
  setrlimit(RLIMIT_NOFILE, &nofile);
  addrinfo* addr = bench::Resolve(target, "longpoll_hold");

  Hold hold(addr, target, n, sse);
  const auto open_start = Clock::now();
  hold.Open(std::chrono::seconds(60));
  const double connect_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - open_start).count();
  hold.Idle(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(settle_s)));
  size_t held = 0;
  for (const Conn& c : hold.conns()) held += c.state == State::kWaiting && (sse.empty() || c.head);
  std::printf("held %zu\n", held);
  std::fflush(stdout);
  std::string line;
  std::getline(std::cin, line);  // the driver has sampled memory

  // The notify goes on a connection of its own; its answer is not counted.
  addrinfo* notify_addr = bench::Resolve(notify, "longpoll_hold");
  Hold notifier(notify_addr, notify, 1);
  const auto t0 = Clock::now();
  const std::string notify_head = " " + notify.path + " HTTP/1.1\r\nHost: " + notify.host +
                                  "\r\nConnection: close\r\n";
  notifier.Start(notifier.conns()[0],
                 notify_body.empty()
                     ? "GET" + notify_head + "\r\n"
                     : "POST" + notify_head + "Content-Type: application/json\r\nContent-Length: " +
                           std::to_string(notify_body.size()) + "\r\n\r\n" + notify_body);
  hold.Notified(t0);
  // Drive both loops until the held requests are answered (and the
  // notify's own answer is in, for its status).
  const auto give_up = t0 + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(timeout_s));
  while ((hold.Pending(State::kWaiting) || notifier.Pending(State::kWaiting)) &&
         Clock::now() < give_up) {
    notifier.Poll(0);
    hold.Poll(5);
  }
  std::vector<double> times;
  size_t answered = 0, non2xx = 0, failed = 0, unanswered = 0;
  std::map<int, size_t> codes;
  for (const Conn& c : hold.conns()) {
    if (c.state == State::kDone) {
      if (c.status >= 200 && c.status < 300) {
        ++answered;
      } else {
        ++non2xx;
        ++codes[c.status];
      }
      if (c.answered_ms >= 0) times.push_back(c.answered_ms);
    } else if (c.state == State::kFailed) {
      ++failed;
    } else {
      ++unanswered;
    }
  }
  std::sort(times.begin(), times.end());
  const double first = times.empty() ? -1 : times.front();
  const double last = times.empty() ? -1 : times.back();
  std::string by_code;
  for (auto& [code, count] : codes) {
    by_code += (by_code.empty() ? "\"" : ",\"") + std::to_string(code) + "\":" + std::to_string(count);
  }
  std::printf("{\"clients\":%d,\"held\":%zu,\"answered\":%zu,\"non2xx\":%zu,"
              "\"non2xx_codes\":{%s},\"failed\":%zu,"
              "\"unanswered\":%zu,\"connect_ms\":%.1f,\"first_ms\":%.1f,\"p50_ms\":%.1f,"
              "\"p99_ms\":%.1f,\"last_ms\":%.1f,\"notify_status\":%d}\n",
              n, held, answered, non2xx, by_code.c_str(), failed, unanswered, connect_ms, first,
              times.empty() ? -1 : bench::Percentile(times, 50),
              times.empty() ? -1 : bench::Percentile(times, 99), last,
              notifier.conns()[0].status);
  freeaddrinfo(addr);
  freeaddrinfo(notify_addr);
  return 0;
}
