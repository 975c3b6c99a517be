"""``--pdf``: the review printed by a headless Chromium (the browser the report is checked in).

relcalc draws no PDF itself: Chromium's print of report.html is the page a
reader sees. Without a Chromium the run refuses before any work, naming the
browsers it looked for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from ..errors import InputError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Printing a report takes a few seconds; a browser that hangs is stopped after this.
TIMEOUT_SECONDS = 120


def find_browser() -> str:
    """The path of a headless-capable Chromium (``RELCALC_CHROMIUM`` first), or InputError naming what is missing."""
    given = os.environ.get("RELCALC_CHROMIUM")
    if given:
        path = shutil.which(given)
        if path is None:
            raise InputError(f"--pdf: RELCALC_CHROMIUM={given[:200]!r} is not an executable browser")
        return path
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise InputError(f"--pdf needs a headless Chromium and none was found on PATH (looked for "
                     f"{', '.join(BROWSERS)}); install chromium (Debian: apt-get install chromium) or set "
                     "RELCALC_CHROMIUM, or leave out --pdf")


def print_pdf(browser: str, html: bytes) -> bytes:
    """``html`` (self-contained) printed to PDF by ``browser``, offline."""
    with tempfile.TemporaryDirectory(prefix="relcalc-pdf-") as work:
        page = os.path.join(work, "report.html")
        out = os.path.join(work, "report.pdf")
        with open(page, "wb") as handle:
            handle.write(html)
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                   # the page needs nothing from the network: refuse every fetch
                   "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                   f"--user-data-dir={os.path.join(work, 'profile')}", f"--print-to-pdf={out}",
                   "file://" + page]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise InputError(f"--pdf: {browser} did not finish printing within {TIMEOUT_SECONDS} s") from None
        except OSError as exc:
            raise InputError(f"--pdf: cannot run {browser}: {exc.strerror}") from None
        if not os.path.exists(out) or os.path.getsize(out) == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1][:200]
            raise InputError(f"--pdf: {browser} printed no PDF (exit {done.returncode}: {last})")
        with open(out, "rb") as handle:
            return handle.read()
