"""Headless Chromium (Debian's ``chromium`` package) for the tests that look at pages as a
browser does: the training report and the documentation."""

import shutil
import subprocess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--allow-file-access-from-files"]
# Added before </body>: the page's title reports how many of its images decoded.
CHECK = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const drawn = images.filter(i => i.complete && i.naturalWidth > 0).length;
  document.title = `images ${drawn}/${images.length}`;
});
</script>"""


def chromium(*args, profile, timeout=180):
    """Run Chromium with the test flags and a profile folder of its own."""
    assert CHROMIUM, "Debian's chromium is needed: apt-get install chromium"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=timeout)
