#!/usr/bin/python3
"""Drive the server's status page in a real headless Chromium.

Usage: status_page_browser.py URL CERT_PEM SCREENSHOT_PNG

Chromium is told to trust exactly the server's certificate (by the SHA-256 of
its SubjectPublicKeyInfo, --ignore-certificate-errors-spki-list), then driven
over the Chrome DevTools Protocol with the `websockets` module.  The script
checks that the page's two wss:// sockets open, that the counters update at
least once a second, and that the echo socket echoes a unique text; it saves a
screenshot and prints one JSON object on stdout.  Exit 0 if everything held,
1 otherwise (the JSON then has an "error" describing what was last seen).

Only the standard library and Debian's python3-websockets (10.x) are used.
The whole run is bounded (about 110 s at most: a browser launch that hangs is retried).
"""

import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

# Debian's /usr/bin/chromium is a shell wrapper (it runs /etc/chromium.d/* first); the
# binary itself starts the same browser without it.
CHROMIUM = os.environ.get("CHROMIUM") or next(
    (p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), "/usr/bin/chromium")

TOTAL_BUDGET = 110.0      # seconds for everything but the final cleanup (a loaded CI machine is slow to start a browser)
STARTUP_TIMEOUT = 20.0   # chromium until DevToolsActivePort appears, per attempt
STARTUP_ATTEMPTS = 3     # a launch that hangs (seen once on a loaded CI machine) is killed and retried
PAGE_TIMEOUT = 30.0      # navigation until all page conditions hold
ECHO_TIMEOUT = 5.0       # click until the echo reply shows
POLL_INTERVAL = 0.1

T0 = time.monotonic()
DEADLINE = T0 + TOTAL_BUDGET


class Failure(Exception):
    def __init__(self, message, **seen):
        super().__init__(message)
        self.seen = seen


def remaining(cap=None):
    left = DEADLINE - time.monotonic()
    if cap is not None:
        left = min(left, cap)
    if left <= 0:
        raise Failure("overall time budget of %.0f s exhausted" % TOTAL_BUDGET)
    return left


def spki_sha256_b64(cert_pem):
    """base64(SHA-256(DER SubjectPublicKeyInfo)) of the certificate, via openssl."""
    def run(args, data):
        r = subprocess.run(args, input=data, capture_output=True, timeout=10)
        if r.returncode != 0:
            raise Failure("%s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace").strip()))
        return r.stdout

    pub_pem = run(["openssl", "x509", "-pubkey", "-noout", "-in", cert_pem], None)
    spki_der = run(["openssl", "pkey", "-pubin", "-outform", "der"], pub_pem)
    digest = run(["openssl", "dgst", "-sha256", "-binary"], spki_der)
    if len(digest) != 32:
        raise Failure("unexpected openssl dgst output length %d" % len(digest))
    return base64.b64encode(digest).decode()


def stderr_tail(path, lines=15):
    try:
        with open(path, "rb") as f:
            data = f.read()[-8000:].decode(errors="replace")
        # dbus complaints are constant noise in a container without a session bus
        kept = [l for l in data.strip().splitlines() if "dbus" not in l and "unexpected operator" not in l]
        return kept[-lines:]
    except OSError:
        return []


class Browser:
    def __init__(self, spki):
        self.spki = spki
        self.tmp = tempfile.mkdtemp(prefix="sp-chromium-")
        self.profile = os.path.join(self.tmp, "profile")
        self.log_path = os.path.join(self.tmp, "chromium-stderr.log")
        self.proc = None
        self.headless = None
        self.port = None

    def _launch(self, headless_flag):
        os.makedirs(self.profile, exist_ok=True)
        args = [
            CHROMIUM,
            headless_flag,
            "--ignore-certificate-errors-spki-list=" + self.spki,
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--no-proxy-server",
            "--user-data-dir=" + self.profile,
            "--remote-debugging-port=0",
            "--remote-allow-origins=*",
            "--window-size=1000,900",
            "about:blank",
        ]
        log = open(self.log_path, "ab")
        try:
            # Own process group so that cleanup reaches the renderer/zygote children too.
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        finally:
            log.close()
        self.headless = headless_flag

    def _wait_port(self):
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        end = time.monotonic() + remaining(STARTUP_TIMEOUT)
        while time.monotonic() < end:
            try:
                with open(port_file) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    return int(first)
            except OSError:
                pass
            if self.proc.poll() is not None:
                return None
            time.sleep(0.05)
        return "hung"

    def start(self):
        port = "hung"
        for _ in range(STARTUP_ATTEMPTS):
            self._launch("--headless=new")
            port = self._wait_port()
            if port != "hung":
                break
            self._kill()
            shutil.rmtree(self.profile, ignore_errors=True)
        if port == "hung":
            raise Failure("chromium did not write DevToolsActivePort within %.0f s, %d times"
                          % (STARTUP_TIMEOUT, STARTUP_ATTEMPTS), chromium_stderr_tail=stderr_tail(self.log_path))
        if port is None:
            # exited early: retry once with the plain flag
            self._kill()
            shutil.rmtree(self.profile, ignore_errors=True)
            self._launch("--headless")
            port = self._wait_port()
        if port is None or port == "hung":
            raise Failure("chromium exited or hung before opening DevTools (rc %s)" % self.proc.poll(),
                          chromium_stderr_tail=stderr_tail(self.log_path))
        self.port = port

    def page_ws_url(self):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        url = "http://127.0.0.1:%d/json/list" % self.port
        end = time.monotonic() + remaining(5.0)
        last = None
        while time.monotonic() < end:
            try:
                with opener.open(url, timeout=max(0.5, end - time.monotonic())) as r:
                    targets = json.load(r)
                for t in targets:
                    if t.get("type") == "page" and t.get("webSocketDebuggerUrl"):
                        return t["webSocketDebuggerUrl"]
                last = "no page target in %s" % [t.get("type") for t in targets]
            except Exception as e:  # noqa: BLE001 - report whatever went wrong
                last = repr(e)
            time.sleep(0.1)
        raise Failure("no DevTools page target: %s" % last)

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 2.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # Children left in the group (renderers) after the browser itself exited.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc = None

    def close(self):
        try:
            self._kill()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


class CDP:
    """Minimal request/response client for one DevTools target."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    async def call(self, method, params=None, timeout=5.0):
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        end = time.monotonic() + remaining(timeout)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise Failure("DevTools call %s timed out" % method)
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=left)
            except asyncio.TimeoutError:
                raise Failure("DevTools call %s timed out" % method) from None
            msg = json.loads(raw)
            if msg.get("id") != my_id:
                continue  # events and stale replies
            if "error" in msg:
                raise Failure("DevTools %s error: %s" % (method, msg["error"]))
            return msg.get("result", {})

    async def evaluate(self, expression):
        res = await self.call("Runtime.evaluate",
                              {"expression": expression, "returnByValue": True, "awaitPromise": False})
        if "exceptionDetails" in res:
            raise Failure("page script error: %s" % res["exceptionDetails"].get("text"))
        return res.get("result", {}).get("value")


SNAPSHOT_JS = r"""
(() => {
  const t = (id) => { const e = document.getElementById(id); return e ? e.textContent.trim() : null; };
  const input = document.getElementById("echo-input");
  return JSON.stringify({
    href: location.href,
    title: document.title,
    ready: document.readyState,
    status_state: t("status-state"),
    updates: t("updates"),
    active: t("active"),
    accepted: t("accepted"),
    closes: (() => {
      const tbl = document.getElementById("closes");
      if (!tbl) return null;
      const out = {};
      for (const tr of tbl.rows) {
        if (tr.cells.length === 2) out[tr.cells[0].textContent] = tr.cells[1].textContent;
        else out["_text"] = tr.textContent.trim();
      }
      return out;
    })(),
    echo_state: t("echo-state"),
    echo_reply: t("echo-reply"),
    echo_input: input ? input.value : null,
    body: document.body ? document.body.innerText.slice(0, 300) : null,
  });
})()
"""


async def snapshot(cdp):
    value = await cdp.evaluate(SNAPSHOT_JS)
    return json.loads(value) if isinstance(value, str) else {"raw": value}


def as_int(text):
    return int(text) if isinstance(text, str) and re.fullmatch(r"\d+", text) else None


def page_problem(snap, nav_error):
    """A clear message if the page is an error/interstitial page rather than ours."""
    href = snap.get("href") or ""
    title = snap.get("title") or ""
    body = snap.get("body") or ""
    if "Privacy error" in title or "ERR_CERT" in body or (nav_error and "CERT" in nav_error):
        return ("page did not load: certificate not trusted: navigate errorText=%r href=%r title=%r text=%r"
                % (nav_error, href, title, body[:200]))
    if nav_error or href.startswith("chrome-error://"):
        return ("navigation failed: errorText=%r href=%r title=%r text=%r"
                % (nav_error, href, title, body[:200]))
    return None


async def drive(browser, url, screenshot_path, result):
    ws_url = browser.page_ws_url()
    async with websockets.connect(ws_url, max_size=None, ping_interval=None,
                                  open_timeout=remaining(5.0), close_timeout=1) as ws:
        cdp = CDP(ws)
        await cdp.call("Page.enable")
        await cdp.call("Runtime.enable")
        nav = await cdp.call("Page.navigate", {"url": url}, timeout=10.0)
        nav_error = nav.get("errorText")
        result["navigate_error"] = nav_error

        # --- wait for status socket, counter updates, accepted, echo socket ---
        page_end = time.monotonic() + remaining(PAGE_TIMEOUT)
        first = None        # (monotonic time, updates) baseline
        misses = 0          # consecutive >=1 s windows without an increase
        no_dom_since = None  # when a fully loaded page without #status-state was first seen
        snap = {}
        while True:
            try:
                snap = await snapshot(cdp)
            except Failure as e:
                # e.g. context destroyed during navigation; keep polling
                snap = {"evaluate_error": str(e)}
            now = time.monotonic()
            problem = page_problem(snap, nav_error) if "evaluate_error" not in snap else None
            if problem:
                raise Failure(problem, last_seen=snap)

            # A loaded page without the status page's DOM will never get there: fail early.
            if snap.get("ready") == "complete" and snap.get("status_state") is None:
                if no_dom_since is None:
                    no_dom_since = now
                elif now - no_dom_since >= 3.0:
                    raise Failure("loaded page has no #status-state element (not the status page?) href=%r "
                                  "title=%r" % (snap.get("href"), snap.get("title")), last_seen=snap)
            else:
                no_dom_since = None

            updates = as_int(snap.get("updates"))
            status_open = snap.get("status_state") == "open"
            if status_open and updates is not None and updates >= 1:
                if first is None:
                    first = (now, updates)
                elif now - first[0] >= 1.0 and "updates_later" not in result:
                    if updates > first[1]:
                        result["updates_first"] = first[1]
                        result["updates_later"] = updates
                        result["updates_interval_s"] = round(now - first[0], 3)
                    else:
                        misses += 1
                        if misses >= 2:
                            raise Failure("#updates did not increase within %.1f s (stuck at %d)"
                                          % (now - first[0], updates), last_seen=snap)
                        first = (now, updates)
            accepted = as_int(snap.get("accepted"))
            done = (status_open and "updates_later" in result and updates is not None and updates >= 3
                    and accepted is not None and accepted >= 1 and snap.get("echo_state") == "open")
            if done:
                break
            if now >= page_end or now >= DEADLINE:
                raise Failure("page conditions not met within %.0f s (need #status-state=open, #updates>=3 "
                              "and increasing over >=1 s, #accepted>=1, #echo-state=open)" % PAGE_TIMEOUT,
                              last_seen=snap)
            await asyncio.sleep(POLL_INTERVAL)

        result["status_state"] = snap["status_state"]
        result["accepted"] = as_int(snap["accepted"])
        result["active"] = snap.get("active")
        result["closes"] = snap.get("closes")
        result["echo_state"] = snap.get("echo_state")

        # --- echo round trip through the page's wss://HOST/ws socket ---
        text = "echo-" + secrets.token_hex(8)
        result["echo_sent"] = text
        clicked = await cdp.evaluate(
            "(() => { const i = document.getElementById('echo-input');"
            " const b = document.getElementById('echo-send');"
            " if (!i || !b) return false; i.value = %s; b.click(); return true; })()" % json.dumps(text))
        if clicked is not True:
            raise Failure("could not set #echo-input / click #echo-send", last_seen=snap)
        echo_end = time.monotonic() + remaining(ECHO_TIMEOUT)
        while True:
            snap = await snapshot(cdp)
            if snap.get("echo_reply") == text:
                break
            if time.monotonic() >= echo_end:
                raise Failure("#echo-reply did not become %r within %.0f s" % (text, ECHO_TIMEOUT),
                              last_seen=snap)
            await asyncio.sleep(POLL_INTERVAL)
        result["echo_reply"] = snap["echo_reply"]
        result["updates_at_end"] = as_int(snap.get("updates"))

        # --- screenshot ---
        shot = await cdp.call("Page.captureScreenshot", {"format": "png"}, timeout=10.0)
        png = base64.b64decode(shot.get("data", ""))
        if not png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise Failure("Page.captureScreenshot did not return a PNG")
        with open(screenshot_path, "wb") as f:
            f.write(png)
        result["screenshot"] = screenshot_path
        result["screenshot_bytes"] = len(png)


def main(argv):
    if len(argv) != 4:
        print("usage: %s URL CERT_PEM SCREENSHOT_PNG" % argv[0], file=sys.stderr)
        return 2
    url, cert_pem, screenshot_path = argv[1:]
    result = {"url": url}
    browser = None
    ok = False
    try:
        spki = spki_sha256_b64(cert_pem)
        result["spki_sha256"] = spki
        browser = Browser(spki)
        browser.start()
        result["headless"] = browser.headless
        asyncio.run(asyncio.wait_for(drive(browser, url, screenshot_path, result), timeout=remaining()))
        ok = True
    except Failure as e:
        result["error"] = str(e)
        result.update(e.seen)
    except asyncio.TimeoutError:
        result["error"] = "overall time budget of %.0f s exhausted" % TOTAL_BUDGET
    except Exception as e:  # noqa: BLE001 - always report as JSON
        result["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        if browser is not None:
            if not ok and "chromium_stderr_tail" not in result:
                result["chromium_stderr_tail"] = stderr_tail(browser.log_path, 8)
            browser.close()
        result["elapsed_s"] = round(time.monotonic() - T0, 2)
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
