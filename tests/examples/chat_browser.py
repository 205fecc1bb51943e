#!/usr/bin/python3
"""chat_browser.py: the chat example in a real browser (Debian's chromium,
driven by chromedriver through python3-selenium), run by
tests/examples/chat_browser_test.cc against a running stack (nginx with the
module -> spindled -> examples/chat -> redis-server).

Each page is its own headless Chromium (its own profile), like one user:
  alice and bob open room R, wait until their EventSource is open;
  bob types into the page's form and clicks Send; alice's page shows the
  message (hostile HTML in it stays text); alice answers through her form
  and bob sees it; carol joins late and gets the history in order;
  dave's page has EventSource deleted before the page's script runs (a CDP
  script injected on new documents), so it long-polls: it gets the history,
  parks a poll (the daemon logs it), and a message carol sends through her
  form arrives on dave's page and on alice's.
The Chrome performance log (CDP Network events) shows which transport each
page used: alice, bob and carol opened an EventSource request on
.../events; dave made none and polled .../messages?since=. A screenshot of
alice's and dave's pages goes into --out; their paths are printed.

Exit 0 when every check passed; 1 with a message, each page's text and
console and the daemon log's tail when one failed; 2 when the browser could
not be started. Every wait is bounded. The browsers and chromedriver are
quit in `finally` and on SIGTERM/SIGINT (the C++ fixture sends SIGTERM to
this process's group on its timeout, and SIGKILLs what is left after).

No thread or fiber contract: a single-threaded test script.
"""
import argparse
import json
import os
import re
import signal
import sys
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError as e:  # the Debian package python3-selenium (scripts/deps)
    print(f"chat_browser: cannot import selenium ({e}); run scripts/deps", file=sys.stderr)
    sys.exit(2)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 15.0  # seconds, for any one thing a page should do

# Why each flag: docs/testing-browser.md.
CHROMIUM_FLAGS = [
    "--headless=new",             # no display in the sandbox
    "--no-sandbox",               # root: Chromium refuses its sandbox as root
    "--disable-gpu",              # no GPU; software rendering only
    "--disable-dev-shm-usage",    # /dev/shm may be missing or small (chroot)
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",  # no calls home: the network is closed
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--metrics-recording-only",
    "--password-store=basic",     # no keyring daemon
    "--window-size=900,700",
]

# Makes the page believe the browser has no EventSource: runs before the
# page's own script (Page.addScriptToEvaluateOnNewDocument), so its
# `if (window.EventSource) stream(); else poll();` takes the poll branch.
NO_EVENTSOURCE = "delete window.EventSource;"


class CheckFailed(Exception):
    pass


class BrowserStartFailed(Exception):
    pass


class ChatPage:
    """One browser (chromedriver + Chromium, own profile) showing one page."""

    def __init__(self, name, work_dir, out_dir):
        self.name = name
        self.network = []  # CDP Network.* events from the performance log
        self.driver = None
        profile = os.path.join(work_dir, "profile-" + name)
        os.makedirs(profile)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS + ["--user-data-dir=" + profile]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        driver_log = os.path.join(out_dir, "chromedriver-" + name + ".log")
        # Chromium's crash handler keeps its database under
        # $XDG_CONFIG_HOME/chromium whatever --user-data-dir says: keep it in
        # the work dir too (nothing written to ~/.config), which also puts
        # the work dir on the handler's command line, where the C++ fixture
        # finds it (it runs in a session of its own, outside our group).
        env = dict(os.environ,
                   XDG_CONFIG_HOME=os.path.join(profile, "xdg-config"),
                   XDG_CACHE_HOME=os.path.join(profile, "xdg-cache"))
        service = Service(CHROMEDRIVER, log_path=driver_log, env=env)
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except WebDriverException as e:  # selenium stops chromedriver itself here
            raise BrowserStartFailed(f"starting {CHROMIUM} through {CHROMEDRIVER} for {name}: "
                                     f"{e.msg} (see {driver_log})") from e
        self.driver.set_page_load_timeout(WAIT)
        self.driver.set_script_timeout(WAIT)

    def open(self, url, without_eventsource=False):
        if without_eventsource:
            self.driver.execute_cdp_cmd(
                "Page.addScriptToEvaluateOnNewDocument", {"source": NO_EVENTSOURCE})
        self.driver.get(url)

    def pump(self):
        """Moves the performance log's Network events into self.network."""
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method", "").startswith("Network."):
                self.network.append(msg)

    def requests(self, kind=None):
        self.pump()
        return [m["params"] for m in self.network
                if m["method"] == "Network.requestWillBeSent"
                and (kind is None or m["params"].get("type") == kind)]

    def event_stream_open(self):
        """True once a response to an EventSource request arrived with 200."""
        self.pump()
        return any(m["method"] == "Network.responseReceived"
                   and m["params"].get("type") == "EventSource"
                   and m["params"]["response"].get("status") == 200
                   for m in self.network)

    def log_lines(self):
        return [d.text for d in self.driver.find_elements(By.CSS_SELECTOR, "#log > div")]

    def send(self, user, text):
        """Types into the form's inputs and clicks Send, as a person would."""
        user_box = self.driver.find_element(By.ID, "user")
        user_box.clear()
        user_box.send_keys(user)
        text_box = self.driver.find_element(By.ID, "text")
        text_box.send_keys(text)
        self.driver.find_element(By.CSS_SELECTOR, "#send button").click()
        # The page clears the text box once the POST answered 201.
        wait_for(lambda: text_box.get_attribute("value") == "",
                 f"{self.name}'s text box to clear after Send (the POST succeeded)", self)

    def describe(self):
        """The page's text and console, for a failure message."""
        out = [f"--- page {self.name} ---"]
        try:
            out.append("url: " + self.driver.current_url)
            out.append(self.driver.find_element(By.TAG_NAME, "body").text)
            for entry in self.driver.get_log("browser"):
                out.append(f"console {entry.get('level')}: {entry.get('message')}")
        except WebDriverException as e:
            out.append(f"(page unreadable: {e.msg})")
        return "\n".join(out)

    def quit(self):
        if self.driver is not None:
            driver, self.driver = self.driver, None
            try:
                driver.quit()  # closes Chromium, then stops chromedriver
            except Exception as e:  # keep quitting the others
                print(f"chat_browser: quitting {self.name}: {e}", file=sys.stderr)


def wait_for(predicate, what, page=None, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except WebDriverException:
            pass  # an element replaced under us: look again
        if time.monotonic() >= deadline:
            shows = ""
            if page is not None:
                try:
                    shows = f"; {page.name}'s page shows {page.log_lines()!r}"
                except WebDriverException as e:
                    shows = f"; {page.name}'s page unreadable: {e.msg}"
            raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}{shows}")
        time.sleep(0.1)


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def count_in_file(path, needle):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().count(needle)
    except OSError:
        return 0


def tail(path, lines=60):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({path}: {e})"


def run(args, pages):
    room = args.room
    url = f"{args.base}/chat/?room={room}"
    events_path = f"/chat/rooms/{room}/events"
    poll_path = f"/chat/rooms/{room}/messages?since="

    def open_page(name, **kw):
        page = ChatPage(name, args.work, args.out)
        pages.append(page)
        page.open(url, **kw)
        wait_for(lambda: room in page.driver.title, f"{name}'s page title to name room {room}")
        return page

    alice = open_page("alice")
    bob = open_page("bob")
    for p in (alice, bob):
        wait_for(p.event_stream_open, f"{p.name}'s EventSource on {events_path} to open", p)

    # Hostile text: markup must come out as text, UTF-8 intact.
    hello = "hello <b>bold</b> & <script>x=1</script> from bob, ünïcødé ✓"
    bob.send("bob", hello)
    wait_for(lambda: alice.log_lines() == ["bob: " + hello],
             "bob's message on alice's page (live, over her open EventSource)", alice)
    wait_for(lambda: bob.log_lines() == ["bob: " + hello], "bob's message on his own page", bob)
    check(not alice.driver.find_elements(By.CSS_SELECTOR, "#log b, #log script"),
          "markup in a message became elements on alice's page")

    alice.send("alice", "hi bob")
    both = ["bob: " + hello, "alice: hi bob"]
    wait_for(lambda: bob.log_lines() == both, "alice's answer on bob's page", bob)
    wait_for(lambda: alice.log_lines() == both, "alice's answer on her own page", alice)

    carol = open_page("carol")
    wait_for(lambda: carol.log_lines() == both, "the history, in order, on carol's late page",
             carol)

    # The fallback: a browser without EventSource long-polls.
    parked_before = count_in_file(args.daemon_log, f"chat: poll waiting in room '{room}'")
    dave = open_page("dave", without_eventsource=True)
    check(dave.driver.execute_script("return typeof window.EventSource") == "undefined",
          "the injected script did not remove EventSource from dave's page")
    wait_for(lambda: dave.log_lines() == both, "the history on dave's polling page", dave)
    wait_for(lambda: count_in_file(args.daemon_log, f"chat: poll waiting in room '{room}'")
             > parked_before, "dave's long poll to park in the daemon (its debug log line)")
    carol.send("carol", "late but here")
    three = both + ["carol: late but here"]
    wait_for(lambda: dave.log_lines() == three, "carol's message on dave's polling page", dave)
    wait_for(lambda: alice.log_lines() == three, "carol's message on alice's page", alice)
    wait_for(lambda: carol.log_lines() == three, "carol's message on her own page", carol)

    # Which transport each page used, from its own network log.
    for p in (alice, bob, carol):
        es = [r["request"]["url"] for r in p.requests("EventSource")]
        check(any(u.endswith(events_path) for u in es),
              f"{p.name}'s page made no EventSource request to {events_path} (saw {es})")
        polls = [r["request"]["url"] for r in p.requests() if poll_path in r["request"]["url"]]
        check(not polls, f"{p.name}'s page long-polled although EventSource worked: {polls}")
    dave_es = [r["request"]["url"] for r in dave.requests("EventSource")]
    check(not dave_es, f"dave's page opened an EventSource without one: {dave_es}")
    dave_polls = [r["request"]["url"] for r in dave.requests() if poll_path in r["request"]["url"]]
    check(len(dave_polls) >= 2, f"dave's page made {len(dave_polls)} polls, expected at least "
          f"2 (the history, then the parked one): {dave_polls}")

    for p in (alice, dave):
        shot = os.path.join(args.out, f"chat-{p.name}.png")
        check(p.driver.save_screenshot(shot), f"saving {shot} failed")
        with open(shot, "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", f"{shot} is not a PNG")
        print(f"chat_browser: screenshot of {p.name}'s page: {shot}")
    print("chat_browser: transports: alice, bob, carol EventSource; dave long poll "
          f"({len(dave_polls)} polls)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="http://127.0.0.1:PORT (nginx)")
    ap.add_argument("--room", required=True)
    ap.add_argument("--out", required=True, help="screenshots and chromedriver logs")
    ap.add_argument("--work", required=True, help="an empty dir for the browser profiles")
    ap.add_argument("--daemon-log", required=True, help="spindled's log (debug level)")
    args = ap.parse_args()
    check_room = re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args.room)
    if not check_room:
        ap.error("--room: 1-64 of A-Z a-z 0-9 _ -")
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not os.access(exe, os.X_OK):
            print(f"chat_browser: {exe} missing (Debian chromium, chromium-driver: scripts/deps)",
                  file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)

    def on_signal(signum, _frame):
        raise SystemExit(f"chat_browser: stopped by signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    pages = []
    try:
        try:
            run(args, pages)
            print("chat_browser: all checks passed")
            return 0
        except BrowserStartFailed as e:
            print(f"chat_browser: FAILED: {e}", file=sys.stderr)
            return 2
        except CheckFailed as e:
            print(f"chat_browser: FAILED: {e}", file=sys.stderr)
        except WebDriverException as e:
            print(f"chat_browser: FAILED: webdriver: {e.msg}", file=sys.stderr)
        for p in pages:
            print(p.describe(), file=sys.stderr)
        print("--- daemon log (tail) ---\n" + tail(args.daemon_log), file=sys.stderr)
        return 1
    finally:
        for p in pages:
            p.quit()

if __name__ == "__main__":
    sys.exit(main())
