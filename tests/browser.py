"""A headless Chromium driven over the DevTools protocol (no extra packages): open a page,
record every request the page makes, read its text, take a screenshot."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing but loopback resolves: a request to the internet fails instead of leaving.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1400,1000",
    "--remote-debugging-port=0",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Visit:
    url: str
    requests: list[str] = field(default_factory=list)
    text: str = ""
    rows: int = 0
    values: dict[str, Any] = field(default_factory=dict)  # what the ``evaluate`` expressions gave


class Browser:
    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="trainguard-chromium-")
        self.proc = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.proc.stderr:
            if match := re.search(r"DevTools listening on (ws://\S+)", line):
                self.port = int(re.search(r":(\d+)/", match.group(1)).group(1))
                break
        else:
            raise RuntimeError("chromium did not start")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def visit(
        self,
        url: str,
        screenshot: Path | None = None,
        settle: float = 2.0,
        evaluate: dict[str, str] | None = None,
        full_page: bool = True,
    ) -> Visit:
        """Open ``url``, wait ``settle`` seconds, read the page and run ``evaluate``'s JavaScript
        expressions (JSON-serialisable results in ``Visit.values``); the screenshot is of the
        whole page, or of the window as a person first sees it (``full_page=False``)."""
        return asyncio.run(self._visit(url, screenshot, settle, evaluate or {}, full_page))

    async def _visit(
        self, url: str, screenshot: Path | None, settle: float, evaluate: dict[str, str], full_page: bool
    ) -> Visit:
        import websockets

        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as response:
            target = json.loads(response.read())
        visit = Visit(url)
        async with websockets.connect(target["webSocketDebuggerUrl"], max_size=2**26) as ws:
            ids = iter(range(1, 10**6))
            pending: dict[int, asyncio.Future] = {}
            loaded = asyncio.Event()

            async def reader() -> None:
                async for raw in ws:
                    message = json.loads(raw)
                    if message.get("method") == "Network.requestWillBeSent":
                        visit.requests.append(message["params"]["request"]["url"])
                    elif message.get("method") == "Page.loadEventFired":
                        loaded.set()
                    elif message.get("id") in pending:
                        pending.pop(message["id"]).set_result(message.get("result", {}))

            async def call(method: str, **params) -> dict:
                key = next(ids)
                pending[key] = asyncio.get_running_loop().create_future()
                await ws.send(json.dumps({"id": key, "method": method, "params": params}))
                return await asyncio.wait_for(pending[key], 30)

            task = asyncio.create_task(reader())
            await call("Network.enable")
            await call("Page.enable")
            await call("Page.navigate", url=url)
            await asyncio.wait_for(loaded.wait(), 30)
            await asyncio.sleep(settle)  # the index fills its tables from JavaScript after load
            found = await call("Runtime.evaluate", expression="document.body.innerText", returnByValue=True)
            visit.text = found["result"].get("value", "")
            rows = await call(
                "Runtime.evaluate", expression="document.querySelectorAll('tbody tr').length", returnByValue=True
            )
            visit.rows = int(rows["result"].get("value", 0))
            for name, expression in evaluate.items():
                found = await call("Runtime.evaluate", expression=expression, returnByValue=True)
                if "exceptionDetails" in found:
                    raise AssertionError(f"{name}: {found['exceptionDetails']}")
                visit.values[name] = found["result"].get("value")
            if screenshot is not None:
                shot = await call("Page.captureScreenshot", format="png", captureBeyondViewport=full_page)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
            task.cancel()
        return visit
