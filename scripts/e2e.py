#!/usr/bin/env python3
"""The admin page in a real browser (`make e2e`; docs/ADMIN.md).

Starts a server with its admin side and an operator token, fills Seoul Plaza with load-test
bots, opens the page in headless Chromium and checks, from the browser's own view of the page
(the DevTools protocol over --remote-debugging-pipe), that:

  1. the spaces are listed with the populations the server has;
  2. the live map draws one dot per avatar in the chosen space;
  3. a multi-floor space offers its floors;
  4. a change without the operator token is refused (401), and the same change with the
     token typed into the page goes through and reaches the bots;
  5. /metrics passes `promtool check metrics` while the crowd is in;
  6. a frame of 5,000 avatars is decoded and drawn quickly (timed in the browser);
  7. the notice board: a notice posted from the page's form and one through the API, both with
     HTML and script in their texts, are listed as text (nothing in them runs or becomes an
     element), and one is withdrawn from the page;
  8. the suggestion box: a suggestion full of markup, filed over the protocol by a few lines of
     Python, is shown as text in the page's queue and answered from the page.

Then it saves a screenshot of the map. Every wait is bounded; any failure says what was
expected and what was seen, and exits 1.

Environment: SEOULWORLD (the binary, default the debug build), BOTS (default 200), SCREENSHOT (default
.build/e2e-map.png), CHROMIUM (default chromium), KEEP_SECONDS (hold the page open that long
after the checks, for a look or a measurement; default 0).
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BINARY = os.environ.get("SEOULWORLD", ".build/debug/seoulworld")
BOTS = int(os.environ.get("BOTS", "200"))
SCREENSHOT = os.environ.get("SCREENSHOT", ".build/e2e-map.png")
CHROMIUM = os.environ.get("CHROMIUM", "chromium")
KEEP_SECONDS = float(os.environ.get("KEEP_SECONDS", "0"))
SPACE = "seoul-plaza"
MULTI_FLOOR = "city-hall"


def protocol_version():
    """The protocol version this checkout speaks, read from its source (PROTOCOL.md, section 10)."""
    import re
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "NetProto", "Wire", "WireProtocol.swift")
    with open(path) as f:
        found = re.search(r"public static let version: UInt16 = (\d+)", f.read())
    if found is None:
        fail(f"cannot find the protocol version in {path}")
    return int(found.group(1))


def fail(message):
    print(f"e2e: FAILED: {message}", file=sys.stderr)
    raise SystemExit(1)


def say(message):
    print(f"e2e: {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, token=None, method="GET", body=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(what, probe, seconds, until=bool):
    """Calls probe() until until(its value) holds, at most `seconds`; fails naming `what` and
    the last value seen."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except Exception as e:  # the thing may not be up yet
            last = e
        if not isinstance(last, Exception) and until(last):
            return last
        time.sleep(0.25)
    fail(f"{what}: not within {seconds} s (last seen: {last!r})")


class Browser:
    """Headless Chromium driven over the DevTools protocol on fds 3 (in) and 4 (out)."""

    def __init__(self, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # Chromium reads commands on fd 3 and writes answers on fd 4. Move both ends out of
            # the way first (either may already be 3 or 4), then into place; the fds kept
            # open in the child are 3 and 4 (pass_fds), so nothing else leaks into it.
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            high_a, high_b = os.dup2(a, 100), os.dup2(b, 101)
            os.dup2(high_a, 3)
            os.dup2(high_b, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=child_fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def call(self, method, params=None, session=True, timeout=20):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        fail(f"the browser refused {method}: {reply['error']}")
                    return reply.get("result", {})
            import select
            ready, _, _ = select.select([self.from_chrome], [], [], 0.5)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    fail("the browser closed its pipe (did it crash? run it by hand to see)")
                self.buffer += chunk
        fail(f"the browser did not answer {method} within {timeout} s")

    def open(self, url, width=1500, height=1900):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.enable")
        self.call("Page.navigate", {"url": url})

    def js(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in result:
            fail(f"the page's script failed: {result['exceptionDetails'].get('text')} in {expression[:80]}")
        return result["result"].get("value")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except SystemExit:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def file_suggestion(port, title, body):
    """Files a suggestion as a member over the protocol itself (docs/PROTOCOL.md: hello,
    authenticateMember, acceptEthics, fileSuggestion) and returns its tracking number."""
    import struct
    token = bytes.fromhex(subprocess.run([BINARY, "token", "issue", "--account", "e2e-citizen", "--name", "citizen"],
                                         capture_output=True, text=True, check=True, timeout=30).stdout.strip())

    def frame(body):
        return struct.pack("<H", len(body)) + body

    def string8(s):
        b = s.encode()
        return bytes([len(b)]) + b

    def string16(s):
        b = s.encode()
        return struct.pack("<H", len(b)) + b

    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        # The sign-in is answered after the store has read the account's standing: wait for
        # `welcome`, and the request to accept the ethics code that follows it, before asking
        # anything of a member.
        s.sendall(frame(struct.pack("<BIH", 0x01, 0x444C5753, protocol_version())) + frame(struct.pack("<BH", 0x03, len(token)) + token))
        buffer = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            buffer += s.recv(65536)
            while len(buffer) >= 2 and len(buffer) >= 2 + struct.unpack_from("<H", buffer)[0]:
                n = struct.unpack_from("<H", buffer)[0]
                message, buffer = buffer[2:2 + n], buffer[2 + n:]
                if message[0] == 0x45:
                    fail(f"filing a suggestion over the protocol: error {struct.unpack_from('<H', message, 1)[0]}: {message[9:].decode(errors='replace')}")
                if message[0] == 0x69:
                    # The city's ethics code is accepted before the first suggestion (PROTOCOL.md 7.17).
                    version = message[2:2 + message[1]].decode()
                    s.sendall(frame(struct.pack("<BI", 0x28, 2) + string8(version))
                              + frame(struct.pack("<BIBB", 0x1F, 1, 3, 1) + string8("seoul-plaza") + string16(title) + string16(body)))
                if message[0] == 0x60:
                    return message[14:14 + message[13]].decode()
    fail("no answer to a suggestion filed over the protocol within 10 s")


def main():
    # A socket per bot on each side: raise the open-file limit as far as allowed (as load.sh does).
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if not os.path.exists(BINARY):
        fail(f"no server binary at {BINARY} (build it: swift build, or set SEOULWORLD)")
    if shutil.which(CHROMIUM) is None:
        fail(f"'{CHROMIUM}' is not installed (scripts/install-deps.sh --e2e installs Debian's chromium)")
    work = tempfile.mkdtemp(prefix="seoulworld-e2e-")
    token = base64.b16encode(os.urandom(16)).decode().lower()
    with open(os.path.join(work, "admin-token"), "w") as f:
        f.write(token + "\n")
    game, admin = free_port(), free_port()
    base = f"http://127.0.0.1:{admin}"
    children = []
    browser = None
    try:
        say(f"server on 127.0.0.1:{game}, admin side on {base}, {BOTS} bots into {SPACE}")
        # One token secret for server and bots (this run's only), as in Benchmarks/load.sh.
        os.environ["SEOULWORLD_TOKEN_SECRET"] = os.urandom(32).hex()
        server = subprocess.Popen([BINARY, "serve", "--port", str(game), "--admin-port", str(admin),
                                   "--admin-token-file", os.path.join(work, "admin-token"), "--data", os.path.join(work, "e2e.sqlite"),
                                   "--log-level", "warning"])
        children.append(server)
        wait_for("the admin side answering /healthz", lambda: http(base + "/healthz")[0] == 200, 30)
        bots = subprocess.Popen([BINARY, "bots", "--server", f"127.0.0.1:{game}", "--count", str(BOTS), "--world", SPACE,
                                 "--ramp", "400", "--duration", "600", "--tcp-only-share", "0.1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children.append(bots)

        def populations():
            status, body = http(base + "/api/spaces")
            return {s["id"]: s["population"] for s in json.loads(body)} if status == 200 else None

        wait_for(f"all {BOTS} bots in {SPACE} (last seen: the server's population there)", lambda: (populations() or {}).get(SPACE),
                 60 + BOTS / 100, until=lambda n: n == BOTS)
        say(f"the server has {BOTS} avatars in {SPACE}")

        # 5. /metrics as Prometheus' own checker sees it, with the crowd in.
        if shutil.which("promtool") is None:
            fail("promtool is not installed, so /metrics cannot be checked (scripts/install-deps.sh --e2e installs Debian's prometheus)")
        status, metrics = http(base + "/metrics")
        check = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, timeout=30)
        if status != 200 or check.returncode != 0:
            fail(f"promtool check metrics: {check.stdout.decode()} {check.stderr.decode()}")
        say("promtool check metrics: no problems")

        profile = os.path.join(work, "chromium")
        browser = Browser(profile)
        browser.open(f"{base}/?space={SPACE}")

        # 1. Spaces listed with the server's populations.
        listed = wait_for("the page listing the spaces", lambda: browser.js(
            "Object.fromEntries([...document.querySelectorAll('#spaces tr[data-space]')].map(r => [r.dataset.space, Number(r.dataset.population)]))"),
            20)
        wait_for(f"the page's {SPACE} row showing {BOTS}", lambda: browser.js(
            f"document.querySelector('#spaces tr[data-space=\"{SPACE}\"]')?.dataset.population") == str(BOTS), 20)
        server_view = populations()
        listed = browser.js("Object.fromEntries([...document.querySelectorAll('#spaces tr[data-space]')].map(r => [r.dataset.space, Number(r.dataset.population)]))")
        if set(listed) != set(server_view):
            fail(f"the page lists {sorted(listed)}, the server serves {sorted(server_view)}")
        wrong = {k: (listed[k], server_view[k]) for k in listed if listed[k] != server_view[k]}
        if wrong:
            fail(f"populations differ (page, server): {wrong}")
        say(f"the page lists all {len(listed)} spaces with the server's populations ({SPACE}: {listed[SPACE]})")

        # 2. The map draws every avatar.
        drawn = wait_for(f"the map drawing {BOTS} dots", lambda: browser.js(
            "(() => { const c = document.getElementById('map'); return c.dataset.avatars === c.dataset.drawn ? Number(c.dataset.drawn) : null })()")
            == BOTS, 20)
        pixels = browser.js("""(() => { const c = document.getElementById('map'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n })()""")
        if pixels < BOTS:
            fail(f"the map canvas has only {pixels} painted pixels for {BOTS} avatars")
        draw_ms = browser.js("document.getElementById('map').dataset.drawMillis")
        say(f"the map draws {BOTS} avatars ({pixels} painted pixels; the last frame took {draw_ms} ms to draw)")

        # 3. A multi-floor space offers its floors.
        floors = len([s for s in json.loads(http(base + "/api/spaces")[1]) if s["id"] == MULTI_FLOOR][0]["floors"])
        browser.js(f"document.querySelector('#spaces tr[data-space=\"{MULTI_FLOOR}\"]').click()")
        offered = wait_for(f"the floor list of {MULTI_FLOOR}", lambda: browser.js("document.getElementById('floor').options.length") == floors, 10)
        say(f"{MULTI_FLOOR} offers its {floors} floors")
        browser.js(f"document.querySelector('#spaces tr[data-space=\"{SPACE}\"]').click()")
        wait_for("the map back on the crowd", lambda: browser.js("document.getElementById('map').dataset.drawn") == str(BOTS), 20)

        # 4. A change without the token is refused; with it, it goes through.
        browser.js("""(() => { document.getElementById('notice-text').value = 'The plaza closes at 22:00 tonight.';
            document.getElementById('notice-send').click(); })()""")
        refused = wait_for("the page's answer to a notice without the token", lambda: browser.js(
            "(() => { const r = document.getElementById('action-result'); return r.dataset.status ? [r.dataset.status, r.textContent] : null })()"), 15)
        if refused[0] != "401":
            fail(f"a notice without the token was answered {refused[0]}: {refused[1]}")
        say(f"without the token: {refused[1]}")
        browser.js(f"""(() => {{ const t = document.getElementById('token'); t.value = '{token}'; t.dispatchEvent(new Event('change'));
            document.getElementById('action-result').dataset.status = ''; document.getElementById('notice-send').click(); }})()""")
        accepted = wait_for("the page's answer to a notice with the token", lambda: browser.js(
            "(() => { const r = document.getElementById('action-result'); return r.dataset.status ? [r.dataset.status, r.textContent] : null })()"), 15)
        if accepted[0] != "200" or f"reached {BOTS} people" not in accepted[1]:
            fail(f"a notice with the token was answered {accepted[0]}: {accepted[1]} (expected it to reach {BOTS} people)")
        say(f"with the token: {accepted[1]}")

        # 7. The notice board, with words that would run if they were not escaped.
        hostile = '<img src=x onerror="window.__ran=1"><script>window.__ran=2</script>'
        status, body = http(base + "/api/notices", token, "POST", {"category": "safety", "titleEn": "API " + hostile,
                            "bodyKo": "얼음 주의 " + hostile, "endsAt": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 86400))})
        if status != 200:
            fail(f"a notice through the API was answered {status}: {body.decode()}")
        api_id = json.loads(body)["id"]
        browser.js(f"""(() => {{ document.getElementById('action-result').dataset.status = '';
            document.getElementById('board-title-en').value = {json.dumps("Page " + hostile)};
            document.getElementById('board-body-en').value = {json.dumps("Mind the ice " + hostile)};
            document.getElementById('board-spaces').value = {json.dumps(SPACE)};
            document.getElementById('board-post').click(); }})()""")
        posted = wait_for("the page's answer to posting a notice", lambda: browser.js(
            "(() => { const r = document.getElementById('action-result'); return r.dataset.status ? [r.dataset.status, r.textContent] : null })()"), 15)
        if posted[0] != "200":
            fail(f"a notice from the page was answered {posted[0]}: {posted[1]}")
        listed = wait_for("both notices on the page's board", lambda: browser.js(
            "[...document.querySelectorAll('#board li[data-notice]')].map(li => [li.dataset.notice, li.dataset.state, li.textContent])"), 15,
            until=lambda rows: rows is not None and len(rows) == 2)
        ran = browser.js("[window.__ran === undefined, document.querySelectorAll('#board img, #board script').length]")
        if ran != [True, 0] or not all(hostile in row[2] for row in listed):
            fail(f"the board did not show the notices as text (nothing ran: {ran[0]}, elements made from them: {ran[1]}): {listed}")
        say(f"the board lists {len(listed)} notices with HTML and script in them as text; nothing ran, no element was made")
        browser.js(f"""(() => {{ window.confirm = () => true; document.getElementById('action-result').dataset.status = '';
            document.querySelector('#board button[data-withdraw="{api_id}"]').click(); }})()""")
        wait_for(f"notice {api_id} withdrawn on the page", lambda: browser.js(
            f"document.querySelector('#board li[data-notice=\"{api_id}\"]')?.dataset.state") == "withdrawn", 15)
        say(f"notice {api_id} withdrawn from the page")

        # 8. The suggestion box: a citizen files a suggestion full of markup over the protocol
        #    (a few lines of Python speaking docs/PROTOCOL.md, with a token from `seoulworld token
        #    issue`); the page's queue shows it as text; the page answers it.
        number = file_suggestion(game, 'Benches <img src=x onerror="window.__ran=3">', "More benches " + hostile)
        say(f"a citizen filed {number} over the protocol")
        queued = wait_for(f"{number} in the page's queue", lambda: browser.js(
            f"document.querySelector('#suggestions li[data-suggestion=\"{number}\"]')?.textContent"), 15)
        ran = browser.js("[window.__ran === undefined, document.querySelectorAll('#suggestions img, #suggestions script').length]")
        if ran != [True, 0] or hostile not in queued:
            fail(f"the queue did not show the suggestion as text (nothing ran: {ran[0]}, elements made: {ran[1]}): {queued}")
        browser.js(f"""(() => {{ document.getElementById('action-result').dataset.status = '';
            document.querySelector('#suggestions button[data-reply="{number}"]').click();
            document.getElementById('suggestion-text').value = 'Six benches in March.';
            document.querySelector('#suggestion-form button[data-suggestion="answer"]').click(); }})()""")
        answered = wait_for(f"the page's answer to {number}", lambda: browser.js(
            "(() => { const r = document.getElementById('action-result'); return r.dataset.status ? [r.dataset.status, r.textContent] : null })()"), 15)
        if answered[0] != "200" or "answered" not in answered[1]:
            fail(f"answering {number} from the page was answered {answered[0]}: {answered[1]}")
        status, body = http(base + f"/api/suggestions/{number}")
        if status != 200 or json.loads(body).get("response") != "Six benches in March.":
            fail(f"{number} after the page's answer: {status} {body.decode()}")
        say(f"{number} shown as text in the queue and answered from the page: {answered[1]}")

        time.sleep(2)  # a few frames more for the heat layer
        os.makedirs(os.path.dirname(SCREENSHOT) or ".", exist_ok=True)
        browser.screenshot(SCREENSHOT)
        say(f"screenshot: {SCREENSHOT}")
        # 6. A crowd of 5,000 in one frame: decoded and drawn by the page itself, timed in the
        #    browser (a synthetic frame of the protocol's layout, so that the figure does not
        #    depend on how many bots this machine can run).
        timing = browser.js("""(() => {
            const n = 5000, bytes = new Uint8Array(20 + n * 6), v = new DataView(bytes.buffer);
            v.setUint8(0, 1); v.setUint8(1, 1); v.setUint32(4, 1, true); v.setUint32(8, n, true);
            const s = chosenSpace();
            for (let i = 0; i < n; i++) {
                v.setUint16(20 + i * 6, Math.floor(Math.random() * s.widthMetres * 10), true);
                v.setUint16(22 + i * 6, Math.floor(Math.random() * s.heightMetres * 10), true);
                bytes[24 + i * 6] = 0; bytes[25 + i * 6] = i % 5;
            }
            let binary = ''; for (const b of bytes) binary += String.fromCharCode(b);
            const base64 = btoa(binary), times = [];
            if (page.stream) page.stream.close();
            for (let k = 0; k < 20; k++) {
                const t = performance.now();
                page.frame = decodeFrame(base64, k); accumulateHeat(); draw();
                times.push(performance.now() - t);
            }
            times.sort((a, b) => a - b);
            return { drawn: Number(document.getElementById('map').dataset.drawn), median: times[10], worst: times[19], bytes: base64.length };
        })()""")
        if timing["drawn"] != 5000:
            fail(f"a frame of 5,000 avatars drew {timing['drawn']} dots")
        say(f"5,000 avatars in one frame ({timing['bytes']} bytes of base64): decoded and drawn in {timing['median']:.1f} ms "
            f"(median of 20; slowest {timing['worst']:.1f} ms)")
        if KEEP_SECONDS > 0:
            say(f"holding the page open for {KEEP_SECONDS:.0f} s")
            time.sleep(KEEP_SECONDS)
        # The bots, then the server, stopped as an operator stops them: each must end by itself
        # and exit 0 (the bots exit 2 if they saw two avatars touch; the server 0 after closing
        # every visit and committing what was queued).
        for name, child in (("bots", bots), ("server", server)):
            child.send_signal(signal.SIGINT)
            try:
                code = child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                fail(f"the {name} did not stop within 30 s of SIGINT")
            if code != 0:
                fail(f"the {name} exited {code} after SIGINT (expected 0)")
        say("the bots and the server stopped on SIGINT and exited 0")
        say("passed")
    finally:
        if browser:
            browser.close()
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in reversed(children):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
