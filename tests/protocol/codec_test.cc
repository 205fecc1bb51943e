// Tests for the wire protocol codec (protocol/spindle_protocol.c): golden byte
// vectors from tests/data/protocol, written and read both with the primitives
// the module and the daemon use (head begin, put_field, the field iterator)
// and with the whole-head functions; round trips, and one test per kind of
// malformed input, in the manner of LevelDB's log_test.cc.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "golden.hpp"

extern "C" {
#include "spindle_protocol.h"
}

namespace {

using Bytes = std::vector<uint8_t>;

Bytes ReadHex(const std::string& name) {
  const std::string bytes = spindle::test::ReadGolden(name);
  return Bytes(bytes.begin(), bytes.end());
}

spindle_str_t S(const char* s) { return {s, static_cast<uint32_t>(std::strlen(s))}; }

std::string Str(spindle_str_t s) { return std::string(s.data, s.len); }

Bytes EncodeRequest(const spindle_request_head_t& h) {
  Bytes out(SPINDLE_FRAME_HEADER_SIZE + spindle_request_head_size(&h));
  uint8_t* end = spindle_request_head_encode(out.data(), &h);
  EXPECT_EQ(end, out.data() + out.size());
  return out;
}

Bytes EncodeResponse(const spindle_response_head_t& h) {
  Bytes out(SPINDLE_FRAME_HEADER_SIZE + spindle_response_head_size(&h));
  uint8_t* end = spindle_response_head_encode(out.data(), &h);
  EXPECT_EQ(end, out.data() + out.size());
  return out;
}

Bytes Frame(uint8_t type, const std::string& payload) {
  Bytes out(SPINDLE_FRAME_HEADER_SIZE);
  spindle_frame_header_encode(out.data(), type, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

int DecodeHeader(const Bytes& b, spindle_frame_header_t* h,
                 const spindle_limits_t* limits = nullptr) {
  return spindle_frame_header_decode(b.data(), b.size(), limits, h);
}

TEST(Golden, RequestHeadGetEncodesToVector) {
  spindle_field_t params[] = {{S("SCRIPT_NAME"), S("")}};
  spindle_field_t headers[] = {{S("Host"), S("a")}};
  spindle_request_head_t h{};
  h.flags = 0;
  h.content_length = 0;
  h.method = S("GET");
  h.uri = S("/hello?x=1");
  h.path = S("/hello");
  h.protocol = S("HTTP/1.1");
  h.remote_addr = S("127.0.0.1");
  h.scheme = S("http");
  h.host = S("a");
  h.params = params;
  h.nparams = 1;
  h.headers = headers;
  h.nheaders = 1;
  EXPECT_EQ(EncodeRequest(h), ReadHex("request_head_get.hex"));
}

// The primitives the module's request encoder uses, on the same vector.
TEST(Golden, RequestHeadGetWithThePrimitives) {
  const size_t payload = SPINDLE_REQUEST_HEAD_FIXED + SPINDLE_STR_SIZE(3) + SPINDLE_STR_SIZE(10) +
                         SPINDLE_STR_SIZE(6) + SPINDLE_STR_SIZE(8) + SPINDLE_STR_SIZE(9) +
                         SPINDLE_STR_SIZE(4) + SPINDLE_STR_SIZE(1) + SPINDLE_FIELD_SIZE(11, 0) +
                         SPINDLE_FIELD_SIZE(4, 1);
  Bytes out(SPINDLE_FRAME_HEADER_SIZE + payload);
  uint8_t* p = spindle_request_head_begin(out.data(), payload, 0, 1, 1, 0);
  p = spindle_put_str(p, "GET", 3);
  p = spindle_put_str(p, "/hello?x=1", 10);
  p = spindle_put_str(p, "/hello", 6);
  p = spindle_put_str(p, "HTTP/1.1", 8);
  p = spindle_put_str(p, "127.0.0.1", 9);
  p = spindle_put_str(p, "http", 4);
  p = spindle_put_str(p, "a", 1);
  p = spindle_put_field(p, "SCRIPT_NAME", 11, "", 0);
  p = spindle_put_field(p, "Host", 4, "a", 1);
  EXPECT_EQ(p, out.data() + out.size());
  EXPECT_EQ(out, ReadHex("request_head_get.hex"));
}

// The iterator spindled's Connection reads request heads with: params first,
// then headers, no HTTP checks.
TEST(Golden, RequestHeadGetWithTheIterator) {
  Bytes b = ReadHex("request_head_get.hex");
  spindle_request_head_t h{};
  spindle_fields_t it;
  ASSERT_EQ(spindle_request_head_open(b.data() + 8, b.size() - 8, &h, &it), SPINDLE_OK);
  EXPECT_EQ(Str(h.path), "/hello");
  EXPECT_EQ(h.nparams, 1);
  EXPECT_EQ(h.nheaders, 1);
  spindle_field_t f;
  ASSERT_EQ(spindle_fields_next(&it, &f), SPINDLE_OK);
  EXPECT_EQ(Str(f.name), "SCRIPT_NAME");
  ASSERT_EQ(spindle_fields_next(&it, &f), SPINDLE_OK);
  EXPECT_EQ(Str(f.name), "Host");
  EXPECT_EQ(Str(f.value), "a");
  EXPECT_EQ(spindle_fields_next(&it, &f), SPINDLE_DONE);
  EXPECT_EQ(spindle_fields_next(&it, &f), SPINDLE_DONE);
}

TEST(Golden, RequestHeadGetDecodes) {
  Bytes b = ReadHex("request_head_get.hex");
  spindle_frame_header_t fh;
  ASSERT_EQ(DecodeHeader(b, &fh), SPINDLE_OK);
  EXPECT_EQ(fh.type, SPINDLE_FRAME_REQUEST_HEAD);
  ASSERT_EQ(fh.length, b.size() - SPINDLE_FRAME_HEADER_SIZE);

  spindle_field_t params[4], headers[4];
  spindle_request_head_t h{};
  h.params = params;
  h.headers = headers;
  ASSERT_EQ(spindle_request_head_decode(b.data() + 8, fh.length, &h, 4), SPINDLE_OK);
  EXPECT_EQ(h.flags, 0);
  EXPECT_EQ(h.content_length, 0);
  EXPECT_EQ(Str(h.method), "GET");
  EXPECT_EQ(Str(h.uri), "/hello?x=1");
  EXPECT_EQ(Str(h.path), "/hello");
  EXPECT_EQ(Str(h.protocol), "HTTP/1.1");
  EXPECT_EQ(Str(h.remote_addr), "127.0.0.1");
  EXPECT_EQ(Str(h.scheme), "http");
  EXPECT_EQ(Str(h.host), "a");
  ASSERT_EQ(h.nparams, 1);
  EXPECT_EQ(Str(params[0].name), "SCRIPT_NAME");
  EXPECT_EQ(Str(params[0].value), "");
  ASSERT_EQ(h.nheaders, 1);
  EXPECT_EQ(Str(headers[0].name), "Host");
  EXPECT_EQ(Str(headers[0].value), "a");
}

TEST(Golden, PostWithBodyFrames) {
  Bytes b = ReadHex("request_post_body.hex");
  const uint8_t* p = b.data();
  const uint8_t* end = b.data() + b.size();
  std::vector<uint8_t> types;
  std::string body;
  while (p < end) {
    spindle_frame_header_t fh;
    ASSERT_EQ(spindle_frame_header_decode(p, end - p, nullptr, &fh), SPINDLE_OK);
    ASSERT_LE(fh.length, static_cast<size_t>(end - p - 8));
    types.push_back(fh.type);
    if (fh.type == SPINDLE_FRAME_REQUEST_HEAD) {
      spindle_request_head_t h{};
      ASSERT_EQ(spindle_request_head_decode(p + 8, fh.length, &h, 0), SPINDLE_OK);
      EXPECT_EQ(h.flags, SPINDLE_REQUEST_HAS_BODY);
      EXPECT_EQ(h.content_length, 5);
      EXPECT_EQ(Str(h.method), "POST");
    } else if (fh.type == SPINDLE_FRAME_REQUEST_BODY) {
      body.append(reinterpret_cast<const char*>(p + 8), fh.length);
    }
    p += 8 + fh.length;
  }
  EXPECT_EQ(types, (std::vector<uint8_t>{1, 2, 2, 3}));
  EXPECT_EQ(body, "hello");
}

TEST(Golden, ResponseEncodesToVector) {
  spindle_field_t headers[] = {{S("Content-Type"), S("text/plain")}};
  spindle_response_head_t h{200, headers, 1};
  Bytes b = EncodeResponse(h);
  Bytes body = Frame(SPINDLE_FRAME_RESPONSE_BODY, "Hello");
  Bytes fin = Frame(SPINDLE_FRAME_RESPONSE_END, "");
  b.insert(b.end(), body.begin(), body.end());
  b.insert(b.end(), fin.begin(), fin.end());
  EXPECT_EQ(b, ReadHex("response_ok.hex"));
}

// The primitives the daemon's FrameWriter uses.
TEST(Golden, ResponseHeadWithThePrimitives) {
  Bytes vector = ReadHex("response_ok.hex");
  const size_t payload = SPINDLE_RESPONSE_HEAD_FIXED + SPINDLE_FIELD_SIZE(12, 10);
  Bytes out(SPINDLE_FRAME_HEADER_SIZE + payload);
  uint8_t* p = spindle_response_head_begin(out.data(), payload, 200, 1);
  p = spindle_put_field(p, "Content-Type", 12, "text/plain", 10);
  EXPECT_EQ(p, out.data() + out.size());
  EXPECT_EQ(out, Bytes(vector.begin(), vector.begin() + out.size()));
}

// The iterator the module's response-head parser uses.
TEST(Golden, ResponseHeadWithTheIterator) {
  Bytes b = ReadHex("response_ok.hex");
  uint16_t status = 0;
  spindle_fields_t it;
  ASSERT_EQ(spindle_response_head_open(b.data() + 8, 34, &status, &it), SPINDLE_OK);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(it.left, 1);
  spindle_field_t f;
  ASSERT_EQ(spindle_fields_next(&it, &f), SPINDLE_OK);
  EXPECT_EQ(Str(f.name), "Content-Type");
  EXPECT_EQ(Str(f.value), "text/plain");
  EXPECT_EQ(spindle_fields_next(&it, &f), SPINDLE_DONE);
}

TEST(Golden, ResponseDecodes) {
  Bytes b = ReadHex("response_ok.hex");
  spindle_frame_header_t fh;
  ASSERT_EQ(DecodeHeader(b, &fh), SPINDLE_OK);
  spindle_field_t headers[2];
  spindle_response_head_t h{0, headers, 0};
  ASSERT_EQ(spindle_response_head_decode(b.data() + 8, fh.length, &h, 2), SPINDLE_OK);
  EXPECT_EQ(h.status, 200);
  ASSERT_EQ(h.nheaders, 1);
  EXPECT_EQ(Str(headers[0].name), "Content-Type");
}

TEST(Golden, Abort) {
  Bytes b = ReadHex("abort.hex");
  EXPECT_EQ(b, Frame(SPINDLE_FRAME_ABORT, "client closed"));
  spindle_frame_header_t fh;
  ASSERT_EQ(DecodeHeader(b, &fh), SPINDLE_OK);
  EXPECT_EQ(fh.type, SPINDLE_FRAME_ABORT);
}

TEST(RoundTrip, BinarySafeFieldsAndLargeContentLength) {
  std::string nul_value("a\0b\xff", 4);
  spindle_field_t headers[] = {
      {S("X-Bin"), {nul_value.data(), static_cast<uint32_t>(nul_value.size())}},
      {S("X-Empty"), S("")}};
  spindle_request_head_t h{};
  h.flags = SPINDLE_REQUEST_HAS_BODY;
  h.content_length = 10LL * 1024 * 1024 * 1024;
  h.method = S("PUT");
  h.uri = S("/x");
  h.protocol = S("HTTP/2.0");
  h.headers = headers;
  h.nheaders = 2;
  Bytes b = EncodeRequest(h);
  spindle_field_t out_headers[2];
  spindle_request_head_t out{};
  out.headers = out_headers;
  ASSERT_EQ(spindle_request_head_decode(b.data() + 8, b.size() - 8, &out, 2), SPINDLE_OK);
  EXPECT_EQ(out.content_length, h.content_length);
  EXPECT_EQ(Str(out_headers[0].value), nul_value);
  EXPECT_EQ(Str(out_headers[1].value), "");
}

// --- malformed input: one test per kind ---

TEST(Malformed, ShortHeaderIsIncompleteNotError) {
  Bytes b = ReadHex("response_ok.hex");
  spindle_frame_header_t fh;
  for (size_t n = 0; n < SPINDLE_FRAME_HEADER_SIZE; n++) {
    EXPECT_EQ(spindle_frame_header_decode(b.data(), n, nullptr, &fh), SPINDLE_AGAIN) << n;
  }
}

TEST(Malformed, WrongVersion) {
  Bytes b = Frame(SPINDLE_FRAME_RESPONSE_END, "");
  spindle_frame_header_t fh;
  EXPECT_EQ(DecodeHeader(b, &fh), SPINDLE_OK);
  b[0] = SPINDLE_PROTOCOL_VERSION + 1;
  EXPECT_EQ(DecodeHeader(b, &fh), SPINDLE_E_VERSION);
  b[0] = 1;  // version 1 routed on the raw URI: no longer spoken
  EXPECT_EQ(DecodeHeader(b, &fh), SPINDLE_E_VERSION);
  b[0] = 0;
  EXPECT_EQ(DecodeHeader(b, &fh), SPINDLE_E_VERSION);
}

TEST(Malformed, UnknownType) {
  spindle_frame_header_t fh;
  for (uint8_t type : {0, 8, 42, 255}) {
    Bytes b = Frame(type, "");
    EXPECT_EQ(DecodeHeader(b, &fh), SPINDLE_E_TYPE) << int(type);
  }
}

TEST(Malformed, ReservedBytesSet) {
  Bytes b = Frame(SPINDLE_FRAME_RESPONSE_END, "");
  b[2] = 1;
  spindle_frame_header_t fh;
  EXPECT_EQ(DecodeHeader(b, &fh), SPINDLE_E_RESERVED);
}

TEST(Malformed, OversizeHeadAndBodyAgainstHardAndConfiguredLimits) {
  spindle_frame_header_t fh;
  uint8_t b[8];
  spindle_frame_header_encode(b, SPINDLE_FRAME_RESPONSE_HEAD, SPINDLE_MAX_HEAD_SIZE + 1);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, nullptr, &fh), SPINDLE_E_TOO_LARGE);
  spindle_frame_header_encode(b, SPINDLE_FRAME_RESPONSE_BODY, 0xffffffffu);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, nullptr, &fh), SPINDLE_E_TOO_LARGE);

  spindle_limits_t limits{4096, 16384};
  spindle_frame_header_encode(b, SPINDLE_FRAME_REQUEST_HEAD, 4097);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, &limits, &fh), SPINDLE_E_TOO_LARGE);
  spindle_frame_header_encode(b, SPINDLE_FRAME_REQUEST_HEAD, 4096);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, &limits, &fh), SPINDLE_OK);
  spindle_frame_header_encode(b, SPINDLE_FRAME_REQUEST_BODY, 16385);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, &limits, &fh), SPINDLE_E_TOO_LARGE);
  spindle_frame_header_encode(b, SPINDLE_FRAME_ABORT, SPINDLE_MAX_ABORT_SIZE + 1);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, nullptr, &fh), SPINDLE_E_TOO_LARGE);
}

TEST(Malformed, BadLengthForType) {
  spindle_frame_header_t fh;
  uint8_t b[8];
  spindle_frame_header_encode(b, SPINDLE_FRAME_RESPONSE_END, 1);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, nullptr, &fh), SPINDLE_E_LENGTH);
  spindle_frame_header_encode(b, SPINDLE_FRAME_REQUEST_END, 3);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, nullptr, &fh), SPINDLE_E_LENGTH);
  spindle_frame_header_encode(b, SPINDLE_FRAME_RESPONSE_BODY, 0);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, nullptr, &fh), SPINDLE_E_LENGTH);
  spindle_frame_header_encode(b, SPINDLE_FRAME_RESPONSE_HEAD, 3);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, nullptr, &fh), SPINDLE_E_LENGTH);
  spindle_frame_header_encode(b, SPINDLE_FRAME_REQUEST_HEAD, 27);
  EXPECT_EQ(spindle_frame_header_decode(b, 8, nullptr, &fh), SPINDLE_E_LENGTH);
}

TEST(Malformed, TruncatedPayloadAtEveryLength) {
  // Cutting the head payload anywhere must give TRUNCATED, never a read past
  // the end (ASan checks the latter).
  Bytes b = ReadHex("request_head_get.hex");
  size_t len = b.size() - 8;
  for (size_t n = 0; n < len; n++) {
    Bytes cut(b.begin() + 8, b.begin() + 8 + n);  // exact-size heap copy
    spindle_field_t params[4], headers[4];
    spindle_request_head_t h{};
    h.params = params;
    h.headers = headers;
    EXPECT_EQ(spindle_request_head_decode(cut.data(), cut.size(), &h, 4), SPINDLE_E_TRUNCATED)
        << "cut at " << n;
  }
  Bytes r = ReadHex("response_ok.hex");
  for (size_t n = 0; n < 34; n++) {
    Bytes cut(r.begin() + 8, r.begin() + 8 + n);
    spindle_field_t headers[4];
    spindle_response_head_t h{0, headers, 0};
    EXPECT_EQ(spindle_response_head_decode(cut.data(), cut.size(), &h, 4), SPINDLE_E_TRUNCATED)
        << "cut at " << n;
  }
}

TEST(Malformed, StringLengthPointsPastPayload) {
  Bytes b = ReadHex("response_ok.hex");
  b[8 + 4] = 0xff;  // header name length 0x...ff
  b[8 + 7] = 0x7f;
  spindle_field_t headers[4];
  spindle_response_head_t h{0, headers, 0};
  EXPECT_EQ(spindle_response_head_decode(b.data() + 8, 34, &h, 4), SPINDLE_E_TRUNCATED);
}

TEST(Malformed, TrailingBytes) {
  Bytes b = ReadHex("response_ok.hex");
  Bytes payload(b.begin() + 8, b.begin() + 8 + 34);
  payload.push_back(0);
  spindle_field_t headers[4];
  spindle_response_head_t h{0, headers, 0};
  EXPECT_EQ(spindle_response_head_decode(payload.data(), payload.size(), &h, 4),
            SPINDLE_E_TRAILING);
}

TEST(Malformed, TooManyFieldsForCallerCapacity) {
  Bytes b = ReadHex("request_head_get.hex");
  spindle_request_head_t h{};
  EXPECT_EQ(spindle_request_head_decode(b.data() + 8, b.size() - 8, &h, 0), SPINDLE_E_FIELDS);
}

TEST(Malformed, BadStatusAndReservedFlags) {
  spindle_response_head_t h{42, nullptr, 0};
  Bytes b = EncodeResponse(h);
  spindle_response_head_t out{0, nullptr, 0};
  EXPECT_EQ(spindle_response_head_decode(b.data() + 8, b.size() - 8, &out, 0), SPINDLE_E_STATUS);

  Bytes r = ReadHex("request_head_get.hex");
  r[8] = 0x80;  // unknown flag bit
  spindle_field_t f[4];
  spindle_request_head_t rh{};
  rh.params = f;
  rh.headers = f;
  EXPECT_EQ(spindle_request_head_decode(r.data() + 8, r.size() - 8, &rh, 4), SPINDLE_E_RESERVED);
}

TEST(Malformed, NegativeContentLength) {
  Bytes r = ReadHex("request_head_get.hex");
  r[16] = 0xfe;  // content length -2
  for (size_t i = 17; i < 24; i++) r[i] = 0xff;
  spindle_field_t f[4];
  spindle_request_head_t rh{};
  rh.params = f;
  rh.headers = f;
  EXPECT_EQ(spindle_request_head_decode(r.data() + 8, r.size() - 8, &rh, 4), SPINDLE_E_LENGTH);
}

// A response header must be an HTTP token and a value that cannot split the
// response; request fields (params, client headers nginx has parsed) are
// bytes.
TEST(Malformed, ResponseHeaderNameAndValueChecks) {
  struct Case {
    std::string name, value;
    spindle_status_t rc;
  };
  const Case cases[] = {
      {"X-Ok", "a b\tc", SPINDLE_OK},
      {"", "v", SPINDLE_E_NAME},
      {"Bad Name", "v", SPINDLE_E_NAME},
      {"a:b", "v", SPINDLE_E_NAME},
      {"X\xc3\xa9", "v", SPINDLE_E_NAME},
      {"X", "a\r\nSet-Cookie: x", SPINDLE_E_VALUE},
      {"X", "a\nb", SPINDLE_E_VALUE},
      {"X", std::string("a\0b", 3), SPINDLE_E_VALUE},
  };
  for (const Case& c : cases) {
    spindle_field_t field{{c.name.data(), static_cast<uint32_t>(c.name.size())},
                          {c.value.data(), static_cast<uint32_t>(c.value.size())}};
    spindle_response_head_t h{200, &field, 1};
    Bytes b = EncodeResponse(h);
    spindle_field_t out[1];
    spindle_response_head_t decoded{0, out, 0};
    EXPECT_EQ(spindle_response_head_decode(b.data() + 8, b.size() - 8, &decoded, 1), c.rc)
        << c.name;

    spindle_request_head_t rh{};
    rh.method = S("GET");
    rh.uri = S("/");
    rh.path = S("/");
    rh.protocol = S("HTTP/1.1");
    rh.params = &field;
    rh.nparams = 1;
    Bytes r = EncodeRequest(rh);
    spindle_field_t params[1];
    spindle_request_head_t req{};
    req.params = params;
    EXPECT_EQ(spindle_request_head_decode(r.data() + 8, r.size() - 8, &req, 1), SPINDLE_OK)
        << c.name;
  }
}

TEST(Malformed, IteratorTrailingBytesAfterTheLastField) {
  Bytes b = ReadHex("response_ok.hex");
  Bytes payload(b.begin() + 8, b.begin() + 8 + 34);
  payload.push_back(0);
  uint16_t status;
  spindle_fields_t it;
  ASSERT_EQ(spindle_response_head_open(payload.data(), payload.size(), &status, &it), SPINDLE_OK);
  spindle_field_t f;
  ASSERT_EQ(spindle_fields_next(&it, &f), SPINDLE_OK);
  EXPECT_EQ(spindle_fields_next(&it, &f), SPINDLE_E_TRAILING);
}

TEST(Malformed, TooManyHeadersOnOpen) {
  Bytes payload = {0xc8, 0x00, 0x01, 0x04};  // status 200, 1025 headers
  uint16_t status;
  spindle_fields_t it;
  EXPECT_EQ(spindle_response_head_open(payload.data(), payload.size(), &status, &it),
            SPINDLE_E_FIELDS);
}

TEST(Names, EveryFrameTypeHasAName) {
  for (unsigned t = SPINDLE_FRAME_REQUEST_HEAD; t <= SPINDLE_FRAME_ABORT; t++) {
    EXPECT_STRNE(spindle_frame_name(t), "unknown") << t;
  }
  EXPECT_STREQ(spindle_frame_name(SPINDLE_FRAME_RESPONSE_BODY), "response body");
  EXPECT_STREQ(spindle_frame_name(0), "unknown");
  EXPECT_STREQ(spindle_frame_name(8), "unknown");
}

TEST(Errors, EveryStatusHasAMessage) {
  for (int s = SPINDLE_E_VALUE; s <= SPINDLE_DONE; s++) {
    EXPECT_STRNE(spindle_strerror(s), "unknown error") << s;
  }
}

}  // namespace
