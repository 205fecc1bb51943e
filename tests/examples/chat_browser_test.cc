// The chat example in a real browser: this fixture starts the example stack
// (redis-server, spindled with two workers, nginx with the module; no fixed
// port) and runs tests/examples/chat_browser.py, which drives headless
// Chromium through chromedriver (python3-selenium): two pages talk through
// the page's form, a third joins late and gets the history, a fourth without
// EventSource long-polls. Then nginx's access log must show the browsers'
// requests: EventSource streams on .../events, the fallback's polls, the
// three POSTs.
//
// The script runs as a child in its own process group, its output in
// browser-output/chat_browser.log; on a timeout the group gets SIGTERM (the
// script quits its browsers), then SIGKILL. Whatever is left when the
// script has exited (a Chromium or chromedriver that did not quit; found by
// group, and by the work dir on its command line for the crash handler,
// which runs in a session of its own) fails the test and is killed, on
// every exit path (RAII). If the test process itself dies,
// PR_SET_PDEATHSIG sends the script SIGTERM.
//
// Thread contract: one test thread; every wait is bounded.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "examples_stack.hpp"
#include "temp_dir.hpp"

namespace spindle::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The last `lines` lines of `text`.
std::string Tail(const std::string& text, size_t lines) {
  size_t p = text.size();
  if (p > 0 && text[p - 1] == '\n') --p;
  for (size_t n = 0; n < lines; ++n) {
    size_t nl = text.rfind('\n', p == 0 ? 0 : p - 1);
    if (nl == std::string::npos || p == 0) return text;
    p = nl;
  }
  return text.substr(p + 1);
}

// Live (not zombie) processes other than this one that are in process
// group `pgid` or have `marker` on their command line.
struct Process {
  pid_t pid;
  std::string name;  // "pid comm"
};
std::vector<Process> FindProcesses(pid_t pgid, const std::string& marker) {
  std::vector<Process> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    std::string stat = ReadAll(e.path().string() + "/stat");
    size_t open = stat.find('('), close = stat.rfind(')');
    if (pid == getpid() || open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (state == 'Z') continue;
    if (pgrp == pgid || ReadAll(e.path().string() + "/cmdline").find(marker) != std::string::npos) {
      out.push_back({pid, name + " " + stat.substr(open + 1, close - open - 1)});
    }
  }
  return out;
}

std::string Join(const std::vector<Process>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x.name;
  return s;
}

// A child process in its own process group with stdout and stderr in a
// file. Its processes are those of the group and those with `marker` (a
// temp dir the child's descendants name in their arguments) on their
// command line: Chromium's crash handler leaves the group with setsid().
// The destructor kills whatever of them is left, and reaps the child.
class ChildGroup {
 public:
  ChildGroup(const std::vector<std::string>& argv, const std::string& output_path,
             std::string marker)
      : marker_(std::move(marker)) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(127);  // the test died before prctl
      int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) _exit(127);
      dup2(fd, 1);
      dup2(fd, 2);
      int devnull = open("/dev/null", O_RDONLY);
      if (devnull >= 0) dup2(devnull, 0);
      execv(args[0], args.data());
      _exit(127);
    }
    setpgid(pid_, pid_);  // also here: no race with the first kill(-pgid_)
    pgid_ = pid_;
  }
  // SIGKILL to the script if it still runs, and to anything it left.
  ~ChildGroup() {
    KillAll();
    if (pid_ > 0) {
      int st;
      waitpid(pid_, &st, 0);
    }
  }
  ChildGroup(const ChildGroup&) = delete;
  ChildGroup& operator=(const ChildGroup&) = delete;

  // Waits until the child exits or `timeout` passes; on a timeout the group
  // gets SIGTERM, then SIGKILL 10 s later. Returns the wait status, or -1
  // after a timeout.
  int Wait(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    bool timed_out = false;
    for (;;) {
      int st = 0;
      pid_t r = waitpid(pid_, &st, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        pid_ = -1;
        return timed_out || r < 0 ? -1 : st;
      }
      if (Clock::now() >= deadline) {
        if (timed_out) {
          KillAll();
          waitpid(pid_, &st, 0);
          pid_ = -1;
          return -1;
        }
        timed_out = true;
        kill(-pgid_, SIGTERM);
        deadline = Clock::now() + 10s;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  // After Wait(): what is still running after a grace period (Chromium
  // exits a moment after chromedriver answered quit).
  std::vector<Process> Leftovers(std::chrono::milliseconds grace) const {
    auto deadline = Clock::now() + grace;
    std::vector<Process> left = FindProcesses(pgid_, marker_);
    while (!left.empty() && Clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
      left = FindProcesses(pgid_, marker_);
    }
    return left;
  }

 private:
  void KillAll() const {
    if (pgid_ <= 1) return;
    kill(-pgid_, SIGKILL);
    for (const Process& p : FindProcesses(pgid_, marker_)) kill(p.pid, SIGKILL);
  }

  std::string marker_;
  pid_t pid_ = -1;   // -1 once reaped
  pid_t pgid_ = -1;  // the group outlives its leader
};

size_t CountLines(const std::string& log, const std::string& needle, const std::string& also = "") {
  size_t n = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos &&
        (also.empty() || line.find(also) != std::string::npos)) {
      ++n;
    }
  }
  return n;
}

TEST(ChatBrowser, PagesTalkLateJoinerGetsHistoryAndPollFallbackWorks) {
  ExamplesStack stack;
  TempDir work;  // the browsers' profiles
  const std::string out = BROWSER_OUTPUT_DIR;
  std::filesystem::remove_all(out);
  std::filesystem::create_directories(out);
  const std::string room = "browser";
  const std::string output_path = out + "/chat_browser.log";
  const std::string daemon_log = stack.daemon->dir() + "/spindled.log";

  ChildGroup child({"/usr/bin/python3", "-u", CHAT_BROWSER_SCRIPT, "--base",
                    "http://127.0.0.1:" + std::to_string(stack.port()), "--room", room, "--out",
                    out, "--work", work.path(), "--daemon-log", daemon_log},
                   output_path, work.path());
  int st = child.Wait(150s);
  std::string output = ReadAll(output_path);
  std::string logs = "\n--- spindled log (tail) ---\n" + Tail(stack.daemon->Log(), 80) +
                     "\n--- nginx error log (tail) ---\n" + Tail(stack.nginx->ErrorLog(), 40);
  ASSERT_NE(st, -1) << "chat_browser.py did not finish in 150 s (killed); its output:\n"
                    << output << logs;
  bool no_browser = WIFEXITED(st) && WEXITSTATUS(st) == 2;
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
      << "chat_browser.py failed (wait status " << st << ")"
      << (no_browser ? "; the browser did not start, see " + out + "/chromedriver-*.log" : "")
      << ":\n" << output << logs;
  std::cout << output;  // the screenshots' paths, the transports seen
  std::vector<Process> left = child.Leftovers(5s);
  EXPECT_TRUE(left.empty()) << "processes the script left running (killed now): " << Join(left);

  const std::string shot = out + "/chat-alice.png";
  EXPECT_EQ(ReadAll(shot).substr(0, 8), "\x89PNG\r\n\x1a\n") << shot;
  std::cout << "chat browser test: screenshot " << shot << "\n";

  // nginx logs a request when it ends: the event streams ended when the
  // browsers quit, which nginx sees as the clients closing.
  const std::string events = "\"GET /chat/rooms/" + room + "/events HTTP/1.1\"";
  const std::string polls = "\"GET /chat/rooms/" + room + "/messages?since=";
  const std::string posts = "\"POST /chat/rooms/" + room + "/messages HTTP/1.1\" 201";
  auto deadline = Clock::now() + 10s;
  while (CountLines(stack.nginx->AccessLog(), events) < 3 && Clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  std::string access = stack.nginx->AccessLog();
  EXPECT_GE(CountLines(access, events, "HeadlessChrome"), 3u) << access;
  EXPECT_GE(CountLines(access, polls, "HeadlessChrome"), 2u) << access;
  EXPECT_EQ(CountLines(access, posts, "HeadlessChrome"), 3u) << access;
}

}  // namespace
}  // namespace spindle::test
