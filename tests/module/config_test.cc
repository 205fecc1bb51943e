// Config tests: `nginx -t` with ngx_http_spindle_module accepts a config
// that uses every directive, and rejects each bad config with a clear
// message. Runs the real /usr/sbin/nginx; no server is started.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nginx_harness.hpp"

namespace spindle::test {
namespace {

NginxCheck Check(const std::string& server, const std::string& http = {}) {
  NginxOptions o;
  o.http = http;
  o.server = server;
  return NginxHarness::CheckConfig(o);
}

TEST(ModuleConfig, AcceptsEveryDirective) {
  const std::string http = R"(
    upstream app { server unix:/tmp/nonexistent-spindle.sock; keepalive 16; }
    spindle_connect_timeout 5s;
    spindle_param SERVER_NAME $server_name;
    spindle_cache_path ${PREFIX}/cache levels=1:2 keys_zone=spindle_cache:1m;
  )";
  const std::string server = R"(
    spindle_read_timeout 30s;
    location / {
      spindle_pass app;
      spindle_param REQUEST_ID $request_id;
      spindle_param REMOTE_USER $remote_user if_not_empty;
      spindle_pass_request_headers on;
      spindle_pass_request_body on;
      spindle_connect_timeout 2s;
      spindle_send_timeout 10s;
      spindle_read_timeout 10s;
      spindle_buffering on;
      spindle_request_buffering off;
      spindle_buffer_size 8k;
      spindle_buffers 16 8k;
      spindle_busy_buffers_size 16k;
      spindle_temp_path ${PREFIX}/tmp/spindle2 1 2;
      spindle_max_temp_file_size 10m;
      spindle_temp_file_write_size 16k;
      spindle_next_upstream error timeout invalid_header http_503;
      spindle_next_upstream_tries 3;
      spindle_next_upstream_timeout 5s;
      spindle_hide_header X-Internal;
      spindle_pass_header X-Accel-Expires;
      spindle_ignore_headers X-Accel-Redirect X-Accel-Expires;
      spindle_intercept_errors on;
      spindle_ignore_client_abort off;
      spindle_bind 127.0.0.1;
      spindle_socket_keepalive on;
      spindle_cache spindle_cache;
      spindle_cache_key $scheme$host$request_uri;
      spindle_cache_valid 200 302 10m;
      spindle_cache_valid 404 1m;
      spindle_cache_bypass $cookie_nocache $arg_nocache;
      spindle_no_cache $http_pragma;
      spindle_cache_min_uses 2;
      spindle_cache_max_range_offset 1m;
      spindle_cache_use_stale error timeout updating http_503;
      spindle_cache_methods GET HEAD POST;
      spindle_cache_lock on;
      spindle_cache_lock_timeout 2s;
      spindle_cache_lock_age 3s;
      spindle_cache_background_update on;
    }
    location /nocache/ { spindle_pass app; spindle_cache off; }
    location /tcp/ { spindle_pass 127.0.0.1:9; }
    location /unix/ { spindle_pass unix:/run/spindle/spindle.sock; }
    location /var/ { spindle_pass unix:/run/spindle/$arg_app.sock; }
    location /nb/ { spindle_pass app; spindle_buffering off; }
    location /off/ { spindle_pass app; spindle_next_upstream off; spindle_bind off; }
  )";
  NginxCheck c = Check(server, http);
  EXPECT_TRUE(c.ok) << c.output;
}

struct BadConfig {
  const char* name;
  std::string server;
  std::string http;
  std::string message;  // must appear in nginx's output
};

TEST(ModuleConfig, RejectsBadConfigsWithClearMessages) {
  const std::vector<BadConfig> cases = {
      {"pass without address", "location / { spindle_pass; }", "",
       "invalid number of arguments in \"spindle_pass\" directive"},
      {"pass twice", "location / { spindle_pass unix:/a.sock; spindle_pass unix:/b.sock; }", "",
       "\"spindle_pass\" directive is duplicate"},
      {"pass at http level", "", "spindle_pass unix:/a.sock;",
       "\"spindle_pass\" directive is not allowed here"},
      {"pass to a name with no upstream block", "location / { spindle_pass nosuchapp; }", "",
       "no port in upstream \"nosuchapp\""},
      {"pass with a bad unix path", "location / { spindle_pass unix:; }", "",
       "no path in the unix domain socket"},
      {"one buffer", "location / { spindle_pass unix:/a.sock; spindle_buffers 1 4k; }", "",
       "there must be at least 2 \"spindle_buffers\""},
      {"busy buffers too small",
       "location / { spindle_pass unix:/a.sock; spindle_busy_buffers_size 1k; }", "",
       "\"spindle_busy_buffers_size\" must be equal to or greater than"},
      {"busy buffers too large",
       "location / { spindle_pass unix:/a.sock; spindle_buffers 2 4k; "
       "spindle_busy_buffers_size 8k; }",
       "", "\"spindle_busy_buffers_size\" must be less than"},
      {"buffer size too small",
       "location / { spindle_pass unix:/a.sock; spindle_buffer_size 16; }", "",
       "\"spindle_buffer_size\" must be at least"},
      {"temp file size below the buffer size",
       "location / { spindle_pass unix:/a.sock; spindle_max_temp_file_size 1k; }", "",
       "\"spindle_max_temp_file_size\" must be equal to zero"},
      {"buffering not a flag", "location / { spindle_pass unix:/a.sock; spindle_buffering maybe; }",
       "", "invalid value \"maybe\" in \"spindle_buffering\" directive, it must be \"on\" or \"off\""},
      {"bad next_upstream", "location / { spindle_pass unix:/a.sock; spindle_next_upstream sometimes; }",
       "", "invalid value \"sometimes\""},
      {"bad timeout", "location / { spindle_pass unix:/a.sock; spindle_read_timeout forever; }", "",
       "\"spindle_read_timeout\" directive invalid value"},
      {"param without value", "location / { spindle_pass unix:/a.sock; spindle_param NAME; }", "",
       "invalid number of arguments in \"spindle_param\" directive"},
      {"param with a bad flag",
       "location / { spindle_pass unix:/a.sock; spindle_param NAME $uri sometimes; }", "",
       "invalid parameter \"sometimes\""},
      {"param with an unknown variable",
       "location / { spindle_pass unix:/a.sock; spindle_param NAME $no_such_variable; }", "",
       "unknown \"no_such_variable\" variable"},
      {"unknown cache zone", "location / { spindle_pass unix:/a.sock; spindle_cache nosuchzone; "
       "spindle_cache_key $uri; }", "", "\"spindle_cache\" zone \"nosuchzone\" is unknown"},
      {"cache without a key", "location / { spindle_pass unix:/a.sock; spindle_cache z; }",
       "spindle_cache_path ${PREFIX}/c keys_zone=z:1m;",
       "no \"spindle_cache_key\" for \"spindle_cache\""},
      {"bad ignore_headers", "location / { spindle_pass unix:/a.sock; spindle_ignore_headers X-Foo; }",
       "", "invalid value \"X-Foo\""},
  };
  for (const auto& bad : cases) {
    NginxCheck c = Check(bad.server, bad.http);
    EXPECT_FALSE(c.ok) << bad.name << ": accepted\n" << c.output;
    EXPECT_NE(c.output.find(bad.message), std::string::npos)
        << bad.name << ": expected \"" << bad.message << "\" in:\n"
        << c.output;
  }
}

}  // namespace
}  // namespace spindle::test
