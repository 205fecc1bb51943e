// FrameClient: a blocking test client that speaks the spindle wire protocol
// to spindled directly over its unix socket, the way the nginx module does:
// REQUEST_HEAD, REQUEST_BODY*, REQUEST_END, then reads RESPONSE_* frames.
// Also sends crafted raw bytes (malformed frames) and ABORT.
//
// Thread contract: test threads only; every read is bounded by a timeout and
// a timeout throws std::runtime_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle::test {

using FieldList = std::vector<std::pair<std::string, std::string>>;

struct Frame {
  uint8_t type = 0;
  std::string payload;
};

struct FrameResponse {
  int status = 0;
  FieldList headers;
  std::vector<std::string> chunks;  // RESPONSE_BODY payloads in order
  std::string body;                 // chunks joined
  bool ended = false;               // RESPONSE_END seen
  bool aborted = false;             // ABORT seen instead of the end
  std::string abort_reason;

  std::optional<std::string> Header(std::string_view name) const;
};

class FrameClient {
 public:
  explicit FrameClient(const std::string& socket_path,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~FrameClient();
  FrameClient(const FrameClient&) = delete;
  FrameClient& operator=(const FrameClient&) = delete;

  // `path` is the normalised path nginx would send; nullopt: the URI before '?'.
  void SendHead(const std::string& method, const std::string& uri,
                const FieldList& headers = {}, const FieldList& params = {},
                bool has_body = false, int64_t content_length = 0,
                const std::optional<std::string>& path = std::nullopt);
  void SendBody(std::string_view data);
  void SendEnd();
  void SendAbort(std::string_view reason = {});
  void SendRaw(std::string_view bytes);

  // Next frame; nullopt when the daemon closed the connection.
  std::optional<Frame> ReadFrame();
  // Reads frames up to RESPONSE_END or ABORT (throws on EOF before that).
  FrameResponse ReadResponse();
  // HEAD (+ one body frame if non-empty) + END, then the response.
  FrameResponse Request(const std::string& method, const std::string& uri,
                        std::string_view body = {}, const FieldList& headers = {});
  // True when the daemon closes the connection within `timeout` (any frames
  // received before the close are discarded).
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void Close();

  // What the next heads carry as the client's address, scheme and host
  // (nginx's $remote_addr, $scheme, $host).
  std::string remote_addr = "127.0.0.1";
  std::string scheme = "http";
  std::string host = "localhost";

 private:
  bool Fill(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
};

}  // namespace spindle::test
