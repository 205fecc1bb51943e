// admin_server.cpp: see admin_server.hpp.
#include "server/admin_server.hpp"

#include <spindle/request.hpp>
#include <spindle/response.hpp>

#include "observe/admin_pages.hpp"
#include "server/accept_loop.hpp"
#include "server/strings.hpp"

namespace spindle::server {
namespace {

constexpr std::string_view kTextType = "text/plain; charset=utf-8";

PlainHttpReply Text(int status, std::string_view text) {
  return {status, std::string(kTextType), std::string(text) + "\n", {}};
}

PlainHttpReply AnswerPage(const observe::AdminPage& page, const observe::MetricsRegion* region,
                          std::string_view query) {
  if (!region) return Text(503, "metrics are disabled (metrics.enabled: false)");
  return {200, std::string(page.content_type), page.render(*region, query), {}};
}

}  // namespace

PlainHttpReply AnswerAdminRequest(const observe::MetricsRegion* region, std::string_view method,
                                  std::string_view target) {
  const size_t q = target.find('?');
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  const observe::AdminPage* page = observe::FindAdminPage(target.substr(0, q));
  if (!page) return Text(404, ReasonPhrase(404));
  if (method != "GET" && method != "HEAD") {
    PlainHttpReply r = Text(405, ReasonPhrase(405));
    r.allow = "GET, HEAD";
    return r;
  }
  return AnswerPage(*page, region, query);
}

AdminServer::AdminServer(const config::Config& cfg, int listen_fd,
                         const observe::MetricsRegion* region)
    : region_(region), ctx_(cfg, router_) {
  // Spindle frames: the normal router (GET routes also answer HEAD; other
  // paths 404, other methods 405, as for an app).
  for (const observe::AdminPage& page : observe::AdminPages()) {
    router_.get(std::string(page.path), [this, &page](Request& req, Response& res) {
      PlainHttpReply r = AnswerPage(page, region_, req.query_string());
      res.send(r.status, r.content_type, r.body);
    });
  }
  ctx_.observed = false;
  ctx_.plain_http = [this](int fd, std::string_view buffered) {
    ServePlainHttp(fd, buffered, ctx_.config, [this](std::string_view m, std::string_view t) {
      return AnswerAdminRequest(region_, m, t);
    });
  };
  acceptor_ = spawn([this, listen_fd] { AcceptLoop(ctx_, listen_fd); }, "admin accept");
}

void AdminServer::Stop() {
  if (acceptor_.joinable()) {
    acceptor_.cancel();
    acceptor_.join();
  }
  ctx_.draining = true;
  // Admin handlers never ignore a cancellation (they render and write).
  CloseConnections(ctx_, Deadline::never());
}

}  // namespace spindle::server
