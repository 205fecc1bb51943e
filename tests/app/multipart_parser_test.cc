// The multipart/form-data push parser (daemon/src/app/multipart_parser.hpp)
// fed in every chunking: whole, a byte at a time, split in two and three at
// every offset (so every delimiter, CRLF and header terminator is cut at
// every position) and at random, which must all give the same parts. Then
// the boundary parameter, part headers and Content-Disposition, and hostile
// bodies: no delimiter, a body that ends early, a delimiter followed by
// junk, boundary look-alikes inside content, too many parts, headers over
// the limit, folded or broken header lines.
#include "app/multipart_parser.hpp"

#include <spindle/errors.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace spindle::test {
namespace {

using app::MultipartParser;
using Kind = MultipartParser::Kind;

struct ParsedPart {
  app::PartHead head;
  std::string content;
};

struct Parsed {
  std::vector<ParsedPart> parts;
  int error = 0;  // the HttpError's status, 0 when none
  std::string message;
};

bool operator==(const ParsedPart& a, const ParsedPart& b) {
  return a.head.name == b.head.name && a.head.filename == b.head.filename &&
         a.head.headers == b.head.headers && a.content == b.content;
}

struct Limits {
  size_t max_header_size = 8 << 10;
  size_t max_parts = 1000;
};

// Feeds `body` cut at `cuts` (increasing offsets), checking the order of
// events: content only inside a part, every part ended before the next,
// nothing after kEnd.
Parsed ParseCut(std::string_view body, const std::string& boundary,
                const std::vector<size_t>& cuts, Limits limits = {}) {
  Parsed out;
  MultipartParser p(boundary, limits.max_header_size, limits.max_parts);
  bool in_part = false, ended = false;
  auto drain = [&]() {
    for (;;) {
      MultipartParser::Event ev = p.Next();
      switch (ev.kind) {
        case Kind::kNeedMore:
          return;
        case Kind::kPart:
          EXPECT_FALSE(in_part);
          in_part = true;
          out.parts.push_back({p.head(), {}});
          break;
        case Kind::kData:
          EXPECT_TRUE(in_part);
          EXPECT_FALSE(ev.data.empty());
          out.parts.back().content.append(ev.data);
          break;
        case Kind::kPartEnd:
          EXPECT_TRUE(in_part);
          in_part = false;
          break;
        case Kind::kEnd:
          EXPECT_FALSE(in_part);
          ended = true;
          return;
      }
    }
  };
  try {
    size_t from = 0;
    for (size_t i = 0; i <= cuts.size() && !ended; ++i) {
      size_t to = i < cuts.size() ? cuts[i] : body.size();
      p.Feed(body.substr(from, to - from));
      drain();
      from = to;
    }
    if (!ended) {
      p.FeedEnd();
      drain();
    }
    EXPECT_TRUE(ended);
    // Once ended, more input changes nothing.
    p.Feed("--more\r\n");
    EXPECT_EQ(p.Next().kind, Kind::kEnd);
  } catch (const HttpError& e) {
    out.error = e.status();
    out.message = e.what();
  }
  return out;
}

Parsed ParseWhole(std::string_view body, const std::string& boundary, Limits limits = {}) {
  return ParseCut(body, boundary, {}, limits);
}

// Every chunking gives the same result (the same parts, or the same error).
void ExpectSameInEveryChunking(std::string_view body, const std::string& boundary,
                               const Parsed& want, Limits limits = {}) {
  auto same = [&](const Parsed& got, const std::string& how) {
    ASSERT_EQ(got.error, want.error) << how << ": " << got.message;
    ASSERT_EQ(got.parts.size(), want.parts.size()) << how;
    for (size_t i = 0; i < want.parts.size(); ++i) {
      ASSERT_TRUE(got.parts[i] == want.parts[i]) << how << ", part " << i;
    }
  };
  std::vector<size_t> bytes;
  for (size_t i = 1; i < body.size(); ++i) bytes.push_back(i);
  same(ParseCut(body, boundary, bytes, limits), "one byte at a time");
  for (size_t a = 0; a <= body.size(); ++a) {
    same(ParseCut(body, boundary, {a}, limits), "split at " + std::to_string(a));
  }
  if (body.size() <= 400) {
    for (size_t a = 0; a <= body.size(); ++a) {
      for (size_t b = a; b <= body.size(); b += 3) {
        same(ParseCut(body, boundary, {a, b}, limits),
             "split at " + std::to_string(a) + " and " + std::to_string(b));
      }
    }
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<size_t> cuts;
    for (size_t at = 0;;) {
      at += 1 + rng() % 17;
      if (at >= body.size()) break;
      cuts.push_back(at);
    }
    same(ParseCut(body, boundary, cuts, limits), "random round " + std::to_string(round));
  }
}

std::string Part(const std::string& boundary, const std::string& headers,
                 const std::string& content) {
  return "--" + boundary + "\r\n" + headers + "\r\n" + content + "\r\n";
}

const std::string kB = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

// What a browser sends for a form with two fields and a file.
std::string BrowserBody() {
  return Part(kB, "Content-Disposition: form-data; name=\"title\"\r\n", "Hello") +
         Part(kB, "Content-Disposition: form-data; name=\"body\"\r\n", "line 1\r\nline 2\r\n") +
         Part(kB,
              "Content-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\n"
              "Content-Type: text/plain\r\n",
              "file\r\n--not a delimiter\r\n") +
         "--" + kB + "--\r\n";
}

TEST(MultipartParser, BrowserBodyInEveryChunking) {
  Parsed p = ParseWhole(BrowserBody(), kB);
  ASSERT_EQ(p.error, 0) << p.message;
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(p.parts[0].head.name, "title");
  EXPECT_EQ(p.parts[0].head.filename, std::nullopt);
  EXPECT_EQ(p.parts[0].content, "Hello");
  EXPECT_EQ(p.parts[1].content, "line 1\r\nline 2\r\n");
  EXPECT_EQ(p.parts[2].head.name, "upload");
  EXPECT_EQ(p.parts[2].head.filename, "a.txt");
  ASSERT_EQ(p.parts[2].head.headers.size(), 2u);
  EXPECT_EQ(p.parts[2].head.headers[1].first, "Content-Type");
  EXPECT_EQ(p.parts[2].head.headers[1].second, "text/plain");
  EXPECT_EQ(p.parts[2].content, "file\r\n--not a delimiter\r\n");
  ExpectSameInEveryChunking(BrowserBody(), kB, p);
}

TEST(MultipartParser, PreambleEpilogueAndPadding) {
  const std::string b = "xyz";
  const std::string body =
      "This is the preamble.\r\n--xy\r\n-xyz\r\n"  // look-alikes in the preamble
      "--xyz \t \r\n"                             // transport padding
      "Content-Disposition: form-data; name=a\r\n\r\n"
      "1\r\n--xyz\t\r\n"
      "Content-Disposition: form-data; name=b\r\n\r\n"
      "\r\n\r\n--xyz--   and then an epilogue\r\n--xyz\r\ngarbage";
  Parsed p = ParseWhole(body, b);
  ASSERT_EQ(p.error, 0) << p.message;
  ASSERT_EQ(p.parts.size(), 2u);
  EXPECT_EQ(p.parts[0].content, "1");
  EXPECT_EQ(p.parts[1].content, "\r\n");  // content that is only a CRLF
  ExpectSameInEveryChunking(body, b, p);
}

TEST(MultipartParser, EmptyAndZeroParts) {
  // No parts at all (a form with no fields).
  Parsed none = ParseWhole("--b--", "b");
  EXPECT_EQ(none.error, 0) << none.message;
  EXPECT_TRUE(none.parts.empty());
  // Empty content, and a close delimiter with no CRLF after it.
  const std::string body = "--b\r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--b--";
  Parsed p = ParseWhole(body, "b");
  ASSERT_EQ(p.error, 0) << p.message;
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(p.parts[0].content, "");
  ExpectSameInEveryChunking(body, "b", p);
}

// Content that looks like the delimiter but is not one stays content: a
// prefix of it, one without the CR or the LF, one with a single '-', a
// boundary with no CRLF before it, and CRs and dashes everywhere.
TEST(MultipartParser, BoundaryLookAlikesInsideContent) {
  const std::string b = "AaB03x";
  const std::string tricky =
      "\r\n--AaB03\r\n\n--AaB03x\r--AaB03x\r\n-AaB03x--AaB03x\r\r\n\r\n-\r\n--\r\n--A\r\r\n--AaB0"
      "3\r";
  const std::string body =
      Part(b, "Content-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n", tricky) +
      "--" + b + "--\r\n";
  Parsed p = ParseWhole(body, b);
  ASSERT_EQ(p.error, 0) << p.message;
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(p.parts[0].content, tricky);
  ExpectSameInEveryChunking(body, b, p);
}

// The longest boundary RFC 2046 allows, with bchars that need quoting in
// the Content-Type, cut at every offset.
TEST(MultipartParser, SeventyCharacterBoundary) {
  const std::string b = "'()+_,-./:=? " + std::string(56, 'z') + "0";
  ASSERT_EQ(b.size(), 70u);
  EXPECT_EQ(app::FormDataBoundary("multipart/form-data; boundary=\"" + b + "\""), b);
  const std::string body = Part(b, "Content-Disposition: form-data; name=\"k\"\r\n",
                                "v\r\n--" + b.substr(0, 69)) +
                           "--" + b + "--";
  Parsed p = ParseWhole(body, b);
  ASSERT_EQ(p.error, 0) << p.message;
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(p.parts[0].content, "v\r\n--" + b.substr(0, 69));
  ExpectSameInEveryChunking(body, b, p);
}

TEST(MultipartParser, BoundaryParameter) {
  using app::FormDataBoundary;
  EXPECT_EQ(FormDataBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(FormDataBoundary("Multipart/Form-Data;BOUNDARY=\"a b:c\""), "a b:c");
  EXPECT_EQ(FormDataBoundary("multipart/form-data; charset=utf-8; boundary=x=y/z"), "x=y/z");
  EXPECT_EQ(FormDataBoundary("multipart/form-data ; boundary=abc ;"), "abc");
  auto status = [](const std::string& ct) {
    try {
      app::FormDataBoundary(ct);
    } catch (const HttpError& e) {
      return e.status();
    }
    return 0;
  };
  EXPECT_EQ(status("multipart/form-data; boundary=" + std::string(70, 'a')), 0);
  EXPECT_EQ(status("multipart/form-data; boundary=" + std::string(71, 'a')), 400);
  EXPECT_EQ(status("multipart/form-data"), 400);
  EXPECT_EQ(status("multipart/form-data; boundary="), 400);
  EXPECT_EQ(status("multipart/form-data; boundary=\"\""), 400);
  EXPECT_EQ(status("multipart/form-data; boundary=\"ends in space \""), 400);
  EXPECT_EQ(status("multipart/form-data; boundary=\"semi;colon\""), 400);
  EXPECT_EQ(status("multipart/form-data; boundary=\"bad\x01\""), 400);
  EXPECT_EQ(status("multipart/form-data; boundary=\"unterminated"), 400);
  EXPECT_EQ(status("multipart/form-data; boundary"), 400);
  EXPECT_EQ(status("multipart/mixed; boundary=abc"), 415);
  EXPECT_EQ(status("application/x-www-form-urlencoded"), 415);
  EXPECT_EQ(status("form-data"), 400);
}

TEST(MultipartParser, ContentDispositionParameters) {
  auto head = [](const std::string& headers) {
    Parsed p = ParseWhole(Part("b", headers, "") + "--b--", "b");
    EXPECT_EQ(p.error, 0) << p.message;
    return p.parts.empty() ? app::PartHead() : p.parts[0].head;
  };
  // A quoted name with an escaped quote; an unquoted one; any header case.
  EXPECT_EQ(head("Content-Disposition: form-data; name=\"a\\\"b\"\r\n").name, "a\"b");
  EXPECT_EQ(head("content-disposition:form-data;name=plain\r\n").name, "plain");
  EXPECT_EQ(head("CONTENT-DISPOSITION: FORM-DATA; NAME=\"\"\r\n").name, "");
  // A Windows path as old browsers send it: the backslashes stay.
  EXPECT_EQ(head("Content-Disposition: form-data; name=f; filename=\"C:\\dir\\a.txt\"\r\n")
                .filename,
            "C:\\dir\\a.txt");
  EXPECT_EQ(head("Content-Disposition: form-data; name=f; filename=\"\"\r\n").filename, "");
  // filename* (RFC 8187) wins over filename, in UTF-8 or Latin-1.
  EXPECT_EQ(head("Content-Disposition: form-data; name=f; filename=\"EUR.txt\"; "
                 "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n")
                .filename,
            "\xe2\x82\xac rates.txt");
  EXPECT_EQ(head("Content-Disposition: form-data; name=f; filename*=iso-8859-1'en'%E9t%E9\r\n")
                .filename,
            "\xc3\xa9t\xc3\xa9");
  // A filename* that cannot be decoded: the plain filename is used.
  EXPECT_EQ(head("Content-Disposition: form-data; name=f; filename*=UTF-8''%zz; "
                 "filename=\"plain.txt\"\r\n")
                .filename,
            "plain.txt");
  EXPECT_EQ(head("Content-Disposition: form-data; name=f; filename*=koi8-r''abc\r\n").filename,
            std::nullopt);
  // Other headers are kept in order, values trimmed.
  app::PartHead h = head("X-A:  1 \r\nContent-Disposition: form-data; name=n\r\nX-B:\r\n");
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[0], (std::pair<std::string, std::string>{"X-A", "1"}));
  EXPECT_EQ(h.headers[2], (std::pair<std::string, std::string>{"X-B", ""}));
}

// One hostile body: the status and (a piece of) the message.
void ExpectError(std::string_view body, const std::string& boundary, int status,
                 const std::string& message_part, Limits limits = {}) {
  Parsed whole = ParseWhole(body, boundary, limits);
  EXPECT_EQ(whole.error, status) << body;
  EXPECT_NE(whole.message.find(message_part), std::string::npos) << whole.message;
  // The same in pieces (a byte at a time, and cut in two everywhere).
  std::vector<size_t> bytes;
  for (size_t i = 1; i < body.size(); ++i) bytes.push_back(i);
  EXPECT_EQ(ParseCut(body, boundary, bytes, limits).error, status);
  if (body.size() < 2000) {
    for (size_t a = 0; a <= body.size(); ++a) {
      ASSERT_EQ(ParseCut(body, boundary, {a}, limits).error, status) << "split at " << a;
    }
  }
}

const std::string kCd = "Content-Disposition: form-data; name=\"x\"\r\n";

TEST(MultipartParser, BodyWithoutDelimitersIs400) {
  ExpectError("", "b", 400, "no delimiter line");
  ExpectError("just some text", "b", 400, "no delimiter line");
  ExpectError("--c\r\n" + kCd + "\r\nv\r\n--c--", "b", 400, "no delimiter line");  // mismatched
  ExpectError("--b", "bb", 400, "no delimiter line");
}

TEST(MultipartParser, BodyEndingBeforeTheCloseIs400) {
  const std::string part = "--b\r\n" + kCd + "\r\ncontent";
  ExpectError(part, "b", 400, "ended before the closing delimiter");
  ExpectError(part + "\r\n--", "b", 400, "ended before the closing delimiter");
  ExpectError(part + "\r\n--b", "b", 400, "ended before the closing delimiter");
  ExpectError(part + "\r\n--b-", "b", 400, "ended before the closing delimiter");
  ExpectError(part + "\r\n--b\r\n", "b", 400, "ended before the closing delimiter");
  ExpectError("--b\r\nContent-Disposition: form", "b", 400, "ended before the closing delimiter");
  ExpectError("--b\r\n" + kCd, "b", 400, "ended before the closing delimiter");
  // A close delimiter without the CRLF before it is content.
  ExpectError(part + "--b--", "b", 400, "ended before the closing delimiter");
}

TEST(MultipartParser, DelimiterLineWithJunkIs400) {
  ExpectError("--b\r\n" + kCd + "\r\nv\r\n--bb\r\n" + kCd + "\r\n\r\n--b--", "b", 400,
              "more than the boundary");
  ExpectError("--bx\r\n" + kCd + "\r\n\r\n--b--", "b", 400, "more than the boundary");
  ExpectError("--b-x", "b", 400, "more than the boundary");
  ExpectError("--b \tx\r\n", "b", 400, "more than the boundary");
  ExpectError("--b\rx", "b", 400, "not ended by CRLF");
  ExpectError("--b\n" + kCd + "\n\nv\n--b--\n", "b", 400, "more than the boundary");  // LF only
}

TEST(MultipartParser, MalformedPartHeadersAre400) {
  auto body = [](const std::string& headers) { return "--b\r\n" + headers + "\r\nv\r\n--b--"; };
  ExpectError(body(""), "b", 400, "without Content-Disposition");
  ExpectError(body("Content-Type: text/plain\r\n"), "b", 400, "without Content-Disposition");
  ExpectError(body("Content-Disposition: form-data\r\n"), "b", 400, "without a name");
  ExpectError(body("Content-Disposition: form-data; filename=\"a\"\r\n"), "b", 400,
              "without a name");
  ExpectError(body("Content-Disposition: attachment; name=\"a\"\r\n"), "b", 400,
              "not form-data");
  ExpectError(body("Content-Disposition: form-data; name=\"a\r\n"), "b", 400,
              "malformed Content-Disposition");
  ExpectError(body("Content-Disposition: form-data; name\r\n"), "b", 400,
              "malformed Content-Disposition");
  ExpectError(body(kCd + " folded: line\r\n"), "b", 400, "folded");
  ExpectError(body(kCd + "no colon here\r\n"), "b", 400, "not 'name: value'");
  ExpectError(body(kCd + "Bad Name: v\r\n"), "b", 400, "not 'name: value'");
  ExpectError(body(kCd + "X-A: a\nX-B: b\r\n"), "b", 400, "bare CR, LF or NUL");
  ExpectError(body(kCd + std::string("X-A: a\0b\r\n", 10)), "b", 400, "bare CR, LF or NUL");
}

TEST(MultipartParser, PartHeadersOverTheLimitAre400) {
  Limits limits;
  limits.max_header_size = 128;
  // The header block with its empty line: exactly at the limit, then one over.
  const std::string pad = "X-P: ";
  const size_t fixed = kCd.size() + pad.size() + 2 + 2;
  const std::string at = kCd + pad + std::string(128 - fixed, 'p') + "\r\n";
  const std::string body_at = "--b\r\n" + at + "\r\nv\r\n--b--";
  Parsed ok = ParseWhole(body_at, "b", limits);
  ASSERT_EQ(ok.error, 0) << ok.message;
  ExpectSameInEveryChunking(body_at, "b", ok, limits);
  const std::string over = kCd + pad + std::string(128 - fixed + 1, 'p') + "\r\n";
  ExpectError("--b\r\n" + over + "\r\nv\r\n--b--", "b", 400, "part headers over 128 bytes",
              limits);
  // Headers that never end are refused at the limit, not buffered.
  ExpectError("--b\r\n" + kCd + std::string(100000, 'h'), "b", 400, "part headers over",
              limits);
}

TEST(MultipartParser, TooManyPartsIs413) {
  // 100k tiny parts against max_parts 1000: refused at part 1001, after
  // reading only that far.
  std::string body;
  for (int i = 0; i < 100000; ++i) {
    body += "--b\r\nContent-Disposition: form-data; name=p\r\n\r\n\r\n";
  }
  body += "--b--";
  MultipartParser p("b", 8 << 10, 1000);
  p.Feed(body);
  size_t parts = 0;
  try {
    for (;;) {
      MultipartParser::Event ev = p.Next();
      ASSERT_NE(ev.kind, Kind::kEnd);
      ASSERT_NE(ev.kind, Kind::kNeedMore);
      if (ev.kind == Kind::kPart) ++parts;
    }
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 413);
    EXPECT_STREQ(e.what(), "multipart body with more than 1000 parts");
  }
  EXPECT_EQ(parts, 1000u);
  // Exactly max_parts is fine.
  Limits three;
  three.max_parts = 3;
  std::string body3;
  for (int i = 0; i < 3; ++i) body3 += "--b\r\n" + kCd + "\r\n\r\n";
  EXPECT_EQ(ParseWhole(body3 + "--b--", "b", three).parts.size(), 3u);
  ExpectError(body3 + "--b\r\n" + kCd + "\r\n\r\n--b--", "b", 413, "more than 3 parts", three);
}

// Hostile bodies made by mutating a good one (bytes flipped to CR, LF, '-'
// or a boundary byte, ranges dropped or repeated, the end cut off): however
// a body is cut into pieces, the parser must reach the same parts or the
// same error as with the whole body. A held-back delimiter prefix given out
// wrongly, or a header terminator missed across pieces, shows up here.
TEST(MultipartParser, MutatedBodiesAgreeInEveryChunking) {
  const std::string b = "XyZ";
  const std::string good =
      Part(b, "Content-Disposition: form-data; name=\"a\"\r\n", "v\r\n-") +
      Part(b, "Content-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n", "\r\n--Xy~") +
      "--" + b + "--\r\n";
  ASSERT_EQ(ParseWhole(good, b).parts.size(), 2u);
  std::mt19937 rng(12345);
  const char kBytes[] = {'\r', '\n', '-', 'X', 'y', 'Z', ' ', ':', '"', ';'};
  int errors = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string body = good;
    for (int m = rng() % 4 == 0 ? 2 : 1; m > 0; --m) {
      const size_t at = rng() % body.size();
      const unsigned op = rng() % 8;
      if (op < 3) {
        body[at] = kBytes[rng() % sizeof(kBytes)];
      } else if (op < 5) {
        body.erase(at, 1 + rng() % 6);
      } else if (op < 7) {
        body.insert(at, body.substr(at, 1 + rng() % 8));
      } else {
        body.resize(at);
      }
      if (body.empty()) body = "-";
    }
    const Parsed whole = ParseWhole(body, b);
    if (whole.error != 0) ++errors;
    std::vector<size_t> bytes;
    for (size_t i = 1; i < body.size(); ++i) bytes.push_back(i);
    std::vector<std::vector<size_t>> cuttings = {bytes, {body.size() / 2}};
    for (int k = 0; k < 3; ++k) {
      std::vector<size_t> cuts;
      for (size_t at = rng() % 5; at < body.size(); at += 1 + rng() % 9) {
        if (at > 0) cuts.push_back(at);
      }
      cuttings.push_back(cuts);
    }
    for (const std::vector<size_t>& cuts : cuttings) {
      const Parsed got = ParseCut(body, b, cuts);
      ASSERT_EQ(got.error, whole.error) << "round " << round << ": " << got.message << " vs "
                                        << whole.message;
      ASSERT_EQ(got.message, whole.message) << "round " << round;
      ASSERT_EQ(got.parts.size(), whole.parts.size()) << "round " << round;
      for (size_t i = 0; i < got.parts.size(); ++i) {
        ASSERT_TRUE(got.parts[i] == whole.parts[i]) << "round " << round << ", part " << i;
      }
    }
  }
  // Both kinds of outcome were exercised.
  EXPECT_GT(errors, 300);
  EXPECT_LT(errors, 2700);
}

// A large part in large pieces: content comes out without being held, and
// the bytes given out add up (only a delimiter-sized tail is ever held back).
TEST(MultipartParser, LargeContentStreamsThrough) {
  std::string content(1 << 20, 'x');
  for (size_t i = 0; i < content.size(); i += 4093) content[i] = '\r';
  for (size_t i = 1; i < content.size(); i += 8191) content.replace(i, 5, "\r\n--b");
  // "\r\n--b" + 'x' is not a delimiter of boundary "bo".
  const std::string body = "--bo\r\n" + kCd + "\r\n" + content + "\r\n--bo--\r\n";
  MultipartParser p("bo", 8 << 10, 10);
  std::string got;
  const size_t piece = 65536;
  bool ended = false;
  for (size_t off = 0; off < body.size() && !ended; off += piece) {
    const std::string_view in = std::string_view(body).substr(off, piece);
    p.Feed(in);
    size_t given = 0;
    for (;;) {
      MultipartParser::Event ev = p.Next();
      if (ev.kind == Kind::kNeedMore) break;
      if (ev.kind == Kind::kEnd) ended = true;
      if (ev.kind == Kind::kData) {
        got.append(ev.data);
        given += ev.data.size();
      }
      if (ended) break;
    }
    // Of each full piece inside the content, all but a delimiter's length.
    if (off > 0 && off + piece < body.size() - 20) {
      EXPECT_GE(given + 6, piece) << off;
    }
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(got, content);
}

}  // namespace
}  // namespace spindle::test
