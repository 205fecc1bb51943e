// connection_fuzz.cpp: fuzzes the daemon's connection frame state machine
// (daemon/src/server/connection.cpp): the input after its first byte is what
// "nginx" sends on a real socketpair to a real server::Connection, running
// with its reader and handler fibers on a real Scheduler; the first byte
// picks the write chunk size (1..64 bytes per write, or all at once), so
// frames arrive split at every point. A small router answers, streams,
// echoes bodies and throws. After the input the peer half-closes.
//
// Property: the connection never crashes and always ends (a hang is a
// libFuzzer timeout); it may close on malformed input. Everything it sends
// back is a valid reply stream by the codec: each frame header decodes,
// each RESPONSE_HEAD payload decodes, and frames come in the order
// HEAD BODY* END, with ABORT allowed instead of a head or after it; only
// the last frame may be cut short (the connection closed while writing).
#include <spindle/errors.hpp>
#include <spindle/fiber.hpp>
#include <spindle/io.hpp>
#include <spindle/request.hpp>
#include <spindle/response.hpp>
#include <spindle/router.hpp>
#include <spindle/scheduler.hpp>

#include "config/config.hpp"
#include "server/connection.hpp"
#include "server/worker_context.hpp"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <spindle_protocol.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_check.h"

namespace {

using spindle::Request;
using spindle::Response;

const spindle::config::Config& Cfg() {
  static const spindle::config::Config cfg = [] {
    spindle::config::Config c;
    c.idle_timeout = std::chrono::milliseconds(2000);
    // Small limits, so the 431 / 414 / 413 answers are reachable.
    c.limits.max_head_size = 1024;
    c.limits.max_headers = 8;
    c.limits.max_uri_length = 64;
    c.limits.max_body_size = 256;
    return c;
  }();
  return cfg;
}

spindle::Router& Routes() {
  static spindle::Router router = [] {
    spindle::Router r;
    r.get("/", [](Request&, Response& res) { res.send(200, "text/plain", "root"); });
    r.get("/users/{id}", [](Request& req, Response& res) {
      res.set_header("X-Id", *req.path_param("id"));
      res.send(200, "text/plain", spindle::UrlDecode(*req.path_param("id")));
    });
    r.post("/echo", [](Request& req, Response& res) {
      std::string q = req.query("q").value_or("");
      res.send(201, "application/octet-stream", q + req.read_all(128));
    });
    r.add("*", "/stream/{rest...}", [](Request& req, Response& res) {
      char buf[64];
      res.set_header("Content-Type", "text/plain");
      res.flush();
      while (size_t n = req.read_some(buf, sizeof buf)) {
        res.write(std::string(buf, n));
        res.flush();
      }
      res.write(std::string(req.header("x-tail").value_or("end")));
    });
    r.get("/throw", [](Request&, Response&) { throw std::runtime_error("boom"); });
    r.get("/throw-late", [](Request&, Response& res) {
      res.write("partial");
      res.flush();
      throw std::runtime_error("late boom");
    });
    r.get("/teapot", [](Request&, Response&) { throw spindle::HttpError(418, "teapot"); });
    return r;
  }();
  return router;
}

// Checks the reply stream (see the file comment).
void CheckReplies(const std::string& out) {
  const auto* p = reinterpret_cast<const uint8_t*>(out.data());
  size_t left = out.size();
  bool in_response = false;
  std::vector<spindle_field_t> fields(SPINDLE_MAX_FIELDS);
  while (left > 0) {
    spindle_frame_header_t fh;
    int rc = spindle_frame_header_decode(p, left, nullptr, &fh);
    if (rc == SPINDLE_AGAIN) return;  // cut short at the close
    CHECK(rc == SPINDLE_OK);
    if (left < SPINDLE_FRAME_HEADER_SIZE + fh.length) return;
    const uint8_t* payload = p + SPINDLE_FRAME_HEADER_SIZE;
    switch (fh.type) {
      case SPINDLE_FRAME_RESPONSE_HEAD: {
        CHECK(!in_response);
        spindle_response_head_t h{};
        h.headers = fields.data();
        CHECK(spindle_response_head_decode(payload, fh.length, &h, SPINDLE_MAX_FIELDS) ==
              SPINDLE_OK);
        in_response = true;
        break;
      }
      case SPINDLE_FRAME_RESPONSE_BODY:
        CHECK(in_response);
        break;
      case SPINDLE_FRAME_RESPONSE_END:
        CHECK(in_response);
        in_response = false;
        break;
      case SPINDLE_FRAME_ABORT:
        in_response = false;
        break;
      default:
        CHECK(!"a request frame type in the reply stream");
    }
    p += SPINDLE_FRAME_HEADER_SIZE + fh.length;
    left -= SPINDLE_FRAME_HEADER_SIZE + fh.length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  signal(SIGPIPE, SIG_IGN);  // as the worker does (RunWorker)
  // Every log line is formatted (level debug) and dropped.
  auto logger = std::make_shared<spdlog::logger>(
      "fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = data[0] % 65 == 0 ? size : data[0] % 65;
  const uint8_t* in = data + 1;
  const size_t in_size = size - 1;

  int fds[2];
  CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);

  std::string replies;
  spindle::SchedulerOptions options;
  options.stack_size = 256 * 1024;  // ASan frames are large
  options.watchdog_threshold = std::chrono::milliseconds(0);
  options.offload_threads = 1;
  {
    spindle::Scheduler scheduler(options);
    scheduler.run([&] {
      spindle::server::WorkerContext ctx(Cfg(), Routes());
      auto* conn = new spindle::server::Connection(ctx, fds[0]);
      conn->reader = spindle::spawn(
          [conn] {
            conn->Run();  // closes fds[0]
            delete conn;
          },
          "connection");
      spindle::Fiber writer = spindle::spawn([&] {
        for (size_t off = 0; off < in_size; off += chunk) {
          size_t n = std::min(chunk, in_size - off);
          spindle::IoResult r =
              spindle::write_all(fds[1], in + off, n, spindle::Deadline::after(std::chrono::seconds(5)));
          if (r.err != 0) break;  // the connection closed on us
          spindle::this_fiber::yield();
        }
        ::shutdown(fds[1], SHUT_WR);
      }, "writer");
      char buf[4096];
      for (;;) {
        spindle::IoResult r =
            spindle::read_some(fds[1], buf, sizeof buf, spindle::Deadline::after(std::chrono::seconds(5)));
        if (r.n <= 0) {
          CHECK(r.err != ETIMEDOUT);  // the connection neither ended nor answered
          break;
        }
        replies.append(buf, static_cast<size_t>(r.n));
      }
      writer.join();
      CHECK(ctx.all_closed.wait_until(spindle::Deadline::after(std::chrono::seconds(5))) ==
            spindle::WaitStatus::kOk);
      spindle::forget_fd(fds[1]);
      ::close(fds[1]);
    });
  }
  CheckReplies(replies);
  return 0;
}
