"""A real headless browser for the pages chatlake writes: Debian's `chromium`, installed with apt-get
where it is missing (tests skip, saying why, only when that cannot be done)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

_tried: list[str | None] = []

# Put before every other script of a copy of the page: it records console messages, uncaught
# errors and every resource the page loads (Performance API) into the DOM, which --dump-dom prints.
_PROBE = """<script>
(() => {
  const log = [];
  for (const level of ['error', 'warn']) {
    const original = console[level];
    console[level] = (...args) => { log.push(level + ': ' + args.join(' ')); original.apply(console, args); };
  }
  window.addEventListener('error', e => log.push('uncaught: ' + e.message));
  window.addEventListener('unhandledrejection', e => log.push('unhandled: ' + e.reason));
  window.addEventListener('load', () => setTimeout(() => {
    const pre = document.createElement('pre');
    pre.id = 'chatlake-probe';
    pre.textContent = JSON.stringify({log, resources: performance.getEntriesByType('resource').map(r => r.name)});
    document.body.appendChild(pre);
  }, 1500));
})();
</script>"""

# The browser's own background traffic off, and no name resolves: the page gets no network.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--no-default-browser-check", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--proxy-server=127.0.0.1:9", "--virtual-time-budget=10000"]


def chromium() -> str:
    """The chromium binary, installing Debian's package if need be; else the test is skipped with the reason."""
    if not _tried:
        _tried.append(shutil.which("chromium") or _install())
    if _tried[0] is None:
        pytest.skip("chromium is not installed and `apt-get install -y chromium` could not install it")
    return _tried[0]


def _install() -> str | None:
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "-q", "chromium"],
                    ["sh", "-c", "apt-get update -q && apt-get install -y -q chromium"]):
        try:
            subprocess.run(command, env=env, check=True, capture_output=True, timeout=900)
        except (subprocess.SubprocessError, OSError):
            continue
        if shutil.which("chromium"):
            return shutil.which("chromium")
    return None


@dataclass
class Loaded:
    dom: str
    console: list[str]
    resources: list[str]


def load(page: Path, work: Path, width: int = 1280, height: int = 2400) -> Loaded:
    """The page as the browser drew it: its DOM after the scripts ran, what it logged, what it loaded."""
    html = page.read_text(encoding="utf-8")
    probed = work / f"probed-{page.name}"
    probed.write_text(re.sub(r"<head>", "<head>" + _PROBE, html, count=1), encoding="utf-8")
    result = subprocess.run([chromium(), *FLAGS, f"--window-size={width},{height}", "--dump-dom", probed.as_uri()],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r'<pre id="chatlake-probe">(.*?)</pre>', result.stdout, re.S)
    assert match, "the page never finished loading"
    import html as htmllib

    probe = json.loads(htmllib.unescape(match.group(1)))
    return Loaded(result.stdout, probe["log"], probe["resources"])


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2400) -> Path:
    """A PNG of the page as a person would see it (a test artifact: look at it)."""
    result = subprocess.run([chromium(), *FLAGS, f"--window-size={width},{height}", f"--screenshot={png}",
                             page.as_uri()], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0 and png.stat().st_size > 10_000, result.stderr[-2000:]
    return png
