// The libpq connection parameters (see conninfo.hpp).
#include "pg/conninfo.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

#include <libpq-fe.h>

#include <spindle/offload.hpp>

namespace spindle::pg::impl {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t begin = 0;
  for (;;) {
    size_t comma = s.find(',', begin);
    out.push_back(s.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return out;
}

bool IsIpLiteral(const std::string& h) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

}  // namespace

std::string LibpqMessage(const char* msg) {
  std::string out;
  for (const char* p = msg != nullptr ? msg : ""; *p != '\0'; ++p) {
    const char c = (*p == '\n' || *p == '\t') ? ' ' : *p;
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "unknown libpq error" : out;
}

std::string CheckConninfo(const std::string& conninfo) {
  if (conninfo.empty()) return "";
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    std::string why = err != nullptr ? LibpqMessage(err) : "cannot parse";
    PQfreemem(err);
    return why;
  }
  PQconninfoFree(opts);
  return "";
}

std::string ConnParams::Get(const std::string& key) const {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return values[i];
  }
  return "";
}

void ConnParams::Set(const std::string& key, std::string value) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) {
      values[i] = std::move(value);
      return;
    }
  }
  keys.push_back(key);
  values.push_back(std::move(value));
}

std::vector<const char*> ConnParams::KeyArray() const {
  std::vector<const char*> a;
  for (const auto& k : keys) a.push_back(k.c_str());
  a.push_back(nullptr);
  return a;
}

std::vector<const char*> ConnParams::ValueArray() const {
  std::vector<const char*> a;
  for (const auto& v : values) a.push_back(v.c_str());
  a.push_back(nullptr);
  return a;
}

ConnParams Build(const Config& config) {
  ConnParams p;
  if (!config.conninfo.empty()) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(config.conninfo.c_str(), &err);
    if (opts == nullptr) {
      std::string why = err != nullptr ? LibpqMessage(err) : "cannot parse";
      PQfreemem(err);
      throw std::invalid_argument("postgres.conninfo: " + why);
    }
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val != nullptr && o->val[0] != '\0') p.Set(o->keyword, o->val);
    }
    PQconninfoFree(opts);
  }
  if (!config.host.empty()) p.Set("host", config.host);
  if (config.port != 0) p.Set("port", std::to_string(config.port));
  if (!config.dbname.empty()) p.Set("dbname", config.dbname);
  if (!config.user.empty()) p.Set("user", config.user);
  if (!config.password.empty()) p.Set("password", config.password);
  if (p.Get("fallback_application_name").empty()) p.Set("fallback_application_name", "spindled");
  // Timestamps are parsed from their ISO text form; whatever the server's
  // default, this session's DateStyle is ISO.
  std::string options = p.Get("options");
  p.Set("options", options.empty() ? "-c DateStyle=ISO" : options + " -c DateStyle=ISO");
  // The connect timeout is ours (a deadline on the fiber), not libpq's.
  return p;
}

std::string ServerName(const ConnParams& p) {
  std::string host = p.Get("host");
  if (host.empty()) host = p.Get("hostaddr");
  if (host.empty()) host = "(default socket)";
  std::string port = p.Get("port");
  if (port.empty()) port = "5432";
  std::string db = p.Get("dbname");
  if (db.empty()) db = p.Get("user");
  return host + ":" + port + (db.empty() ? "" : "/" + db);
}

std::string ResolveHosts(ConnParams& p) {
  const std::string host = p.Get("host");
  if (host.empty() || !p.Get("hostaddr").empty()) return "";
  const std::vector<std::string> hosts = SplitCommas(host);
  bool any_name = false;
  for (const auto& h : hosts) {
    if (!h.empty() && h[0] != '/' && h[0] != '@' && !IsIpLiteral(h)) any_name = true;
  }
  if (!any_name) return "";
  std::vector<std::string> addrs;
  for (const auto& h : hosts) {
    if (h.empty() || h[0] == '/' || h[0] == '@') {
      addrs.emplace_back();  // a socket: libpq ignores hostaddr for it
      continue;
    }
    if (IsIpLiteral(h)) {
      addrs.push_back(h);
      continue;
    }
    std::string resolved = offload([&]() -> std::string {
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      if (getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return "";
      char buf[INET6_ADDRSTRLEN] = "";
      const void* a = res->ai_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr);
      inet_ntop(res->ai_family, a, buf, sizeof(buf));
      freeaddrinfo(res);
      return buf;
    });
    if (resolved.empty()) return "could not resolve host name '" + h + "'";
    addrs.push_back(resolved);
  }
  std::string joined;
  for (size_t i = 0; i < addrs.size(); ++i) joined += (i ? "," : "") + addrs[i];
  p.Set("hostaddr", joined);
  return "";
}

}  // namespace spindle::pg::impl
