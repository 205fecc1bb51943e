// The body readers through the real spindled: the test app's routes
// (tests/server/test_app.cpp, AddBodyReaderRoutes) read forms, multipart
// uploads and JSON from bodies sent as many REQUEST_BODY frames over the
// wire protocol (no nginx), and HttpError's JSON body reaches the client as
// application/json. A 50 MiB upload streams through in bounded memory: the
// worker's peak RSS (VmHWM) grows by less than 16 MiB, while the same body
// read whole (the control) grows it by more than 40 MiB.
#include "daemon_harness.hpp"
#include "frame_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dirent.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace spindle::test {
namespace {

std::string DaemonYaml() {
  return std::string(R"(workers: 1
limits:
  max_body_size: 200m
log:
  level: info
apps:
  - name: test
    path: )") + SPINDLE_TEST_APP + R"(
    mount: /t
)";
}

class ToolkitTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DaemonOptions o;
    o.yaml = DaemonYaml();
    daemon_ = new DaemonHarness(o);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  std::unique_ptr<FrameClient> Connect() {
    return std::make_unique<FrameClient>(daemon_->socket_path());
  }

  // POST `body` in frames of `frame` bytes; content_length -1 sends it as
  // a body of unknown length (a chunked upload).
  FrameResponse Post(const std::string& uri, const std::string& content_type,
                     const std::string& body, size_t frame = 1 << 20, bool known_length = true) {
    auto c = Connect();
    return PostOn(*c, uri, content_type, body, frame, known_length);
  }

  static FrameResponse PostOn(FrameClient& c, const std::string& uri,
                              const std::string& content_type, const std::string& body,
                              size_t frame = 1 << 20, bool known_length = true) {
    FieldList headers;
    if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
    c.SendHead("POST", uri, headers, {}, true,
               known_length ? static_cast<int64_t>(body.size()) : -1);
    for (size_t off = 0; off < body.size(); off += frame) {
      c.SendBody(std::string_view(body).substr(off, frame));
    }
    c.SendEnd();
    return c.ReadResponse();
  }

  static DaemonHarness* daemon_;
};

DaemonHarness* ToolkitTest::daemon_ = nullptr;

nlohmann::json JsonOf(const FrameResponse& r) {
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("Content-Length"), std::to_string(r.body.size()));
  return nlohmann::json::parse(r.body);
}

const char* kUrlencoded = "application/x-www-form-urlencoded";

// --- urlencoded forms ---

TEST_F(ToolkitTest, FormInSmallFrames) {
  const std::string body = "a=1&name=J%C3%BCrgen+M&a=2&empty=&flag";
  for (size_t frame : {size_t{1}, size_t{3}, body.size()}) {
    auto r = Post("/t/form/echo", std::string(kUrlencoded) + "; charset=UTF-8", body, frame);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(JsonOf(r), nlohmann::json::parse(R"([["a","1"],["name","Jürgen M"],["a","2"],
                                                   ["empty",""],["flag",""]])"))
        << "frames of " << frame;
  }
}

TEST_F(ToolkitTest, FormWrongTypeIs415) {
  for (std::string ct : {"text/plain", "multipart/form-data; boundary=x", "", "garbage"}) {
    auto r = Post("/t/form/echo", ct, "a=1");
    EXPECT_EQ(r.status, 415) << ct;
    EXPECT_EQ(r.Header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r.body, "expected Content-Type application/x-www-form-urlencoded\n");
  }
}

TEST_F(ToolkitTest, FormMalformedIs400AndTheConnectionStays) {
  auto c = Connect();
  auto r = PostOn(*c, "/t/form/echo", kUrlencoded, "a=1&b=%G1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "malformed form body: invalid percent-escape at byte 7\n");
  EXPECT_EQ(PostOn(*c, "/t/form/echo", kUrlencoded, "ok=1").status, 200);
}

TEST_F(ToolkitTest, FormLimitsAre413) {
  auto c = Connect();
  // Content-Length over the limit: refused before reading.
  EXPECT_EQ(PostOn(*c, "/t/form/echo?max_body=10", kUrlencoded, "a=123456789").status, 413);
  // The same with no length: refused as the body arrives.
  auto r = PostOn(*c, "/t/form/echo?max_body=10", kUrlencoded, "a=1&b=2&c=3", 2, false);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "form body over 10 bytes\n");
  EXPECT_EQ(PostOn(*c, "/t/form/echo?max_body=10", kUrlencoded, "a=12345678").status, 200);
  EXPECT_EQ(PostOn(*c, "/t/form/echo?max_fields=2", kUrlencoded, "a&b&c").status, 413);
  EXPECT_EQ(PostOn(*c, "/t/form/echo?max_field=3", kUrlencoded, "a=1234").status, 413);
  EXPECT_EQ(PostOn(*c, "/t/form/echo?max_name=3", kUrlencoded, "abcd=1").status, 413);
  // The connection is still good after each refusal.
  EXPECT_EQ(PostOn(*c, "/t/form/echo", kUrlencoded, "a=1").status, 200);
}

// --- multipart/form-data ---

struct PartSpec {
  std::string name;
  std::optional<std::string> filename;
  std::string content;
  std::string content_type;
};

std::string MultipartBody(const std::string& boundary, const std::vector<PartSpec>& parts) {
  std::string out = "preamble\r\n";
  for (const PartSpec& p : parts) {
    out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.filename) out += "; filename=\"" + *p.filename + "\"";
    out += "\r\n";
    if (!p.content_type.empty()) out += "Content-Type: " + p.content_type + "\r\n";
    out += "\r\n" + p.content + "\r\n";
  }
  return out + "--" + boundary + "--\r\nepilogue";
}

uint64_t Fnv(std::string_view data, uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return h;
}

const std::string kBoundary = "----spindle-test-boundary-0123456789";
const std::string kFormData = "multipart/form-data; boundary=\"" + kBoundary + "\"";

std::vector<PartSpec> SampleParts() {
  std::string binary;
  for (int i = 0; i < 3000; ++i) binary.push_back(static_cast<char>(i * 131 + (i >> 3)));
  binary += "\r\n--" + kBoundary.substr(0, 20) + "\r\n--";  // a look-alike inside the file
  return {{"title", std::nullopt, "Hello, multipart", ""},
          {"avatar", "me.png", binary, "image/png"},
          {"note", std::nullopt, "line 1\r\nline 2", "text/plain; charset=utf-8"},
          {"empty", "", "", "application/octet-stream"}};
}

TEST_F(ToolkitTest, UploadInEveryFrameSize) {
  const std::vector<PartSpec> parts = SampleParts();
  const std::string body = MultipartBody(kBoundary, parts);
  for (size_t frame : {size_t{1}, size_t{7}, size_t{38}, size_t{1000}, body.size()}) {
    auto r = Post("/t/upload/hash", kFormData, body, frame, frame != 7);
    ASSERT_EQ(r.status, 200) << r.body;
    nlohmann::json got = JsonOf(r);
    ASSERT_EQ(got.size(), parts.size()) << got.dump();
    for (size_t i = 0; i < parts.size(); ++i) {
      SCOPED_TRACE("frames of " + std::to_string(frame) + ", part " + std::to_string(i));
      EXPECT_EQ(got[i]["name"], parts[i].name);
      if (parts[i].filename) {
        EXPECT_EQ(got[i]["filename"], *parts[i].filename);
      } else {
        EXPECT_TRUE(got[i]["filename"].is_null());
        EXPECT_EQ(got[i]["text"], parts[i].content);
      }
      EXPECT_EQ(got[i]["content_type"],
                parts[i].content_type.empty() ? "text/plain" : parts[i].content_type);
      EXPECT_EQ(got[i]["size"], parts[i].content.size());
      EXPECT_EQ(got[i]["fnv"], std::to_string(Fnv(parts[i].content)));
    }
  }
}

TEST_F(ToolkitTest, UnreadPartsAreSkipped) {
  const std::vector<PartSpec> parts = SampleParts();
  auto r = Post("/t/upload/hash?skip=1", kFormData, MultipartBody(kBoundary, parts), 100);
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json got = JsonOf(r);
  ASSERT_EQ(got.size(), parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(got[i]["name"], parts[i].name);
    EXPECT_EQ(got[i]["size"], 0);
  }
}

TEST_F(ToolkitTest, FieldAndFileLimitsAre413) {
  auto c = Connect();
  const std::string fields = MultipartBody(kBoundary, {{"f", std::nullopt, "12345", ""}});
  EXPECT_EQ(PostOn(*c, "/t/upload/hash?max_field=5", kFormData, fields).status, 200);
  auto r = PostOn(*c, "/t/upload/hash?max_field=4", kFormData, fields);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "multipart field over 4 bytes\n");
  const std::string file = MultipartBody(kBoundary, {{"f", "a.bin", std::string(11, 'x'), ""}});
  EXPECT_EQ(PostOn(*c, "/t/upload/hash?max_file=11&max_field=1", kFormData, file).status, 200);
  r = PostOn(*c, "/t/upload/hash?max_file=10", kFormData, file, 3);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "multipart file over 10 bytes\n");
  // A part the handler skips is not read, so only the body limit counts.
  EXPECT_EQ(PostOn(*c, "/t/upload/hash?max_file=10&skip_files=1", kFormData, file).status, 200);
  // The whole body: by Content-Length, and as it arrives.
  const std::string at_limit = "/t/upload/hash?max_body=" + std::to_string(file.size());
  EXPECT_EQ(PostOn(*c, at_limit, kFormData, file).status, 200);
  const std::string over = "/t/upload/hash?max_body=" + std::to_string(file.size() - 1);
  EXPECT_EQ(PostOn(*c, over, kFormData, file).status, 413);
  r = PostOn(*c, over, kFormData, file, 10, false);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "multipart body over " + std::to_string(file.size() - 1) + " bytes\n");
  // Too many parts, and part headers over the limit.
  std::vector<PartSpec> many(2000, PartSpec{"p", std::nullopt, "", ""});
  r = PostOn(*c, "/t/upload/hash", kFormData, MultipartBody(kBoundary, many), 4096);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "multipart body with more than 1000 parts\n");
  r = PostOn(*c, "/t/upload/hash?max_header=64", kFormData,
             MultipartBody(kBoundary, {{std::string(64, 'n'), std::nullopt, "", ""}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "malformed multipart body: part headers over 64 bytes\n");
  EXPECT_EQ(PostOn(*c, "/t/upload/hash", kFormData, fields).status, 200);
}

TEST_F(ToolkitTest, MalformedUploadsAre400Or415) {
  const std::string body = MultipartBody(kBoundary, {{"f", std::nullopt, "v", ""}});
  struct Case {
    std::string content_type, body;
    int status;
    std::string message;
  } cases[] = {
      {"text/plain", body, 415, "expected Content-Type multipart/form-data"},
      {"", body, 415, "expected Content-Type multipart/form-data"},
      {"multipart/mixed; boundary=" + kBoundary, body, 415,
       "expected Content-Type multipart/form-data"},
      {"multipart/form-data", body, 400, "multipart/form-data without a boundary"},
      {"multipart/form-data; boundary=" + std::string(71, 'b'), body, 400,
       "invalid multipart boundary (1 to 70 of RFC 2046's bchars)"},
      {"multipart/form-data; boundary=other", body, 400,
       "malformed multipart body: no delimiter line for its boundary"},
      {kFormData, body.substr(0, body.find("--" + kBoundary + "--")), 400,
       "malformed multipart body: the body ended before the closing delimiter"},
      {kFormData, "--" + kBoundary + "\r\nContent-Type: text/plain\r\n\r\nv\r\n--" + kBoundary +
           "--", 400, "malformed multipart body: a part without Content-Disposition"},
      {kFormData, "--" + kBoundary + "\r\nContent-Disposition: form-data\r\n\r\nv\r\n--" +
           kBoundary + "--", 400, "malformed multipart body: a part without a name"},
  };
  auto c = Connect();
  for (const Case& k : cases) {
    auto r = PostOn(*c, "/t/upload/hash", k.content_type, k.body, 5);
    EXPECT_EQ(r.status, k.status) << k.content_type;
    EXPECT_EQ(r.body, k.message + "\n");
  }
}

TEST_F(ToolkitTest, MultipartFormCollectsFieldsAndHandsOverFiles) {
  const std::vector<PartSpec> parts = SampleParts();
  auto r = Post("/t/multipart/form", kFormData, MultipartBody(kBoundary, parts), 333);
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json got = JsonOf(r);
  EXPECT_EQ(got["fields"], nlohmann::json::parse(R"([["title","Hello, multipart"],
                                                     ["note","line 1\r\nline 2"]])"));
  ASSERT_EQ(got["files"].size(), 2u);
  EXPECT_EQ(got["files"][0]["name"], "avatar");
  EXPECT_EQ(got["files"][0]["filename"], "me.png");
  EXPECT_EQ(got["files"][0]["bytes"], parts[1].content.size());
  EXPECT_EQ(got["files"][1]["bytes"], 0);
  // The fields together over max_form_size.
  r = Post("/t/multipart/form?max_form=20", kFormData, MultipartBody(kBoundary, parts));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "multipart form fields over 20 bytes\n");
}

// --- the 50 MiB upload ---

// Deterministic bytes with the delimiter's look-alikes sprinkled in.
class UploadSource {
 public:
  // The delimiter without its last byte, then a byte that is not it (a
  // delimiter followed by junk would rightly be a 400).
  explicit UploadSource(const std::string& boundary) : lookalike_("\r\n--" + boundary) {
    lookalike_.back() = '~';
  }
  void Fill(std::string& out, size_t n) {
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
      x_ ^= x_ << 13;
      x_ ^= x_ >> 7;
      x_ ^= x_ << 17;
      out[i] = static_cast<char>(x_ >> 24);
    }
    for (size_t at = x_ % 4096; at + lookalike_.size() < n; at += 65521) {
      out.replace(at, lookalike_.size(), lookalike_);
    }
  }

 private:
  std::string lookalike_;
  uint64_t x_ = 88172645463325252ull;
};

pid_t WorkerOf(pid_t master) {
  std::vector<pid_t> kids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return -1;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(text.substr(paren + 2));
    char state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == master) kids.push_back(pid);
  }
  closedir(proc);
  return kids.size() == 1 ? kids[0] : -1;
}

// A /proc/<pid>/status line in KiB (VmRSS, VmHWM).
long StatusKiB(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
  }
  return -1;
}

TEST(ToolkitUpload, FiftyMiBStreamsInBoundedMemory) {
  DaemonOptions o;
  o.yaml = DaemonYaml();
  DaemonHarness daemon(o);
  const pid_t worker = WorkerOf(daemon.pid());
  ASSERT_GT(worker, 0) << "one worker process under the master";

  constexpr size_t kFile = 50u << 20;
  const std::string head =
      "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nbig\r\n" +
      "--" + kBoundary +
      "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n";
  const std::string tail =
      "\r\n--" + kBoundary +
      "\r\nContent-Disposition: form-data; name=\"small\"; filename=\"s.txt\"\r\n\r\nsmall\r\n" +
      "--" + kBoundary + "--\r\n";
  // Sends the upload in frames of uneven sizes (so delimiters and
  // look-alikes fall across frame edges); returns the file's FNV-1a.
  auto upload = [&](FrameClient& c, const std::string& uri) {
    c.SendHead("POST", uri, {{"Content-Type", kFormData}}, {}, true,
               static_cast<int64_t>(head.size() + kFile + tail.size()));
    c.SendBody(head);
    UploadSource source(kBoundary);
    std::string block;
    uint64_t hash = Fnv("");
    size_t sent = 0, frame = 60000;
    while (sent < kFile) {
      const size_t n = std::min(frame, kFile - sent);
      source.Fill(block, n);
      hash = Fnv(block, hash);
      c.SendBody(block);
      sent += n;
      frame = frame * 7 % 250007 + 1000;
    }
    c.SendBody(tail);
    c.SendEnd();
    return hash;
  };

  FrameClient c(daemon.socket_path(), std::chrono::seconds(60));
  // Warm up the code paths and the worker's buffers with a small upload.
  ASSERT_EQ(c.Request("POST", "/t/upload/hash", MultipartBody(kBoundary, SampleParts()),
                      {{"Content-Type", kFormData}})
                .status,
            200);
  const long rss_before = StatusKiB(worker, "VmRSS");
  ASSERT_GT(rss_before, 0);

  const uint64_t want = upload(c, "/t/upload/hash");
  FrameResponse r = c.ReadResponse();
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json got = JsonOf(r);
  ASSERT_EQ(got.size(), 3u) << got.dump();
  EXPECT_EQ(got[0]["text"], "big");
  EXPECT_EQ(got[1]["filename"], "big.bin");
  EXPECT_EQ(got[1]["size"], kFile);
  EXPECT_EQ(got[1]["fnv"], std::to_string(want));
  EXPECT_EQ(got[2]["size"], 5);
  const long hwm_after = StatusKiB(worker, "VmHWM");
  const long rss_after = StatusKiB(worker, "VmRSS");
  EXPECT_LT(hwm_after - rss_before, 16 << 10) << "peak RSS grew by " << hwm_after - rss_before
                                              << " KiB during the upload";
  EXPECT_LT(rss_after - rss_before, 16 << 10);

  // The control: the same body read whole does show in the peak RSS, so
  // the bound above measures something.
  upload(c, "/t/upload/buffer");
  r = c.ReadResponse();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonOf(r)["bytes"], head.size() + kFile + tail.size());
  EXPECT_GT(StatusKiB(worker, "VmHWM") - rss_before, 40 << 10);
}

// --- JSON ---

TEST_F(ToolkitTest, JsonEcho) {
  const nlohmann::json doc = {{"a", {1, 2.5, nullptr, true}}, {"s", "J\xc3\xbcrgen \xe2\x82\xac"}};
  for (std::string ct : {"application/json", "application/json; charset=utf-8",
                         "Application/JSON", "application/problem+json",
                         "application/vnd.api+json ; ext=x"}) {
    auto r = Post("/t/json/echo", ct, doc.dump(), 3);
    ASSERT_EQ(r.status, 200) << ct << ": " << r.body;
    EXPECT_EQ(JsonOf(r), doc);
  }
}

TEST_F(ToolkitTest, JsonWrongTypeIs415WithAJsonBody) {
  for (std::string ct : {"text/plain", "", "text/json", "application/jsonx", "application/+json",
                         "application/x-www-form-urlencoded"}) {
    auto r = Post("/t/json/echo", ct, "{}");
    EXPECT_EQ(r.status, 415) << ct;
    EXPECT_EQ(JsonOf(r), nlohmann::json({{"error", "expected Content-Type application/json"}}));
  }
}

TEST_F(ToolkitTest, MalformedJsonIs400WithAJsonBody) {
  auto c = Connect();
  for (std::string body : {"", "{\"a\":", "{} x", "{'a':1}", "[1,]", "\"\xff\"", "\"\\ud800\"",
                           "nul"}) {
    auto r = PostOn(*c, "/t/json/echo", "application/json", body);
    EXPECT_EQ(r.status, 400) << body;
    nlohmann::json j = JsonOf(r);
    EXPECT_EQ(j["error"], "malformed JSON") << body;
    EXPECT_TRUE(j["detail"].is_string());
    EXPECT_TRUE(j["byte"].is_number()) << body;
  }
  // Still usable afterwards.
  EXPECT_EQ(PostOn(*c, "/t/json/echo", "application/json", "[1]").status, 200);
}

TEST_F(ToolkitTest, JsonNestingIsBounded) {
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  auto c = Connect();
  // At the limit it parses, and the reply's dump() runs on the fiber's stack.
  auto r = PostOn(*c, "/t/json/echo", "application/json", nested(64));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, nested(64));
  r = PostOn(*c, "/t/json/echo", "application/json", nested(65));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonOf(r)["detail"], "nested deeper than 64 levels");
  // 500k levels (a 1 MiB body) are refused, not parsed into a deep tree.
  r = PostOn(*c, "/t/json/echo", "application/json", nested(500000));
  EXPECT_EQ(r.status, 400);
  // Brackets inside strings are not nesting.
  const std::string in_string = "[\"" + std::string(1000, '[') + "\\\"{\"]";
  r = PostOn(*c, "/t/json/echo", "application/json", in_string);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json::parse(in_string));
}

TEST_F(ToolkitTest, JsonBodyOverTheLimitIs413) {
  auto c = Connect();
  EXPECT_EQ(PostOn(*c, "/t/json/echo?limit=10", "application/json", "[1,2,3,44]").status, 200);
  for (bool known : {true, false}) {
    auto r = PostOn(*c, "/t/json/echo?limit=10", "application/json", "[1,2,3,4,5]", 2, known);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(JsonOf(r), nlohmann::json({{"error", "request body too large"}, {"limit", 10}}));
  }
}

TEST_F(ToolkitTest, HttpErrorWithJsonIsSentAsJson) {
  auto c = Connect();
  auto r = c->Request("GET", "/t/json/error");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(JsonOf(r), nlohmann::json({{"error", "name is missing"}, {"field", "name"}}));
  EXPECT_TRUE(r.ended);
  // Text messages are unchanged.
  r = c->Request("GET", "/t/teapot");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "short and stout\n");
}

TEST_F(ToolkitTest, ResponseJsonReplacesInvalidUtf8) {
  auto r = Connect()->Request("GET", "/t/json/bad-utf8");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(JsonOf(r)["s"], "a\xef\xbf\xbd\xef\xbf\xbd b");
}

}  // namespace
}  // namespace spindle::test
