"""What each student's upload of the same dataset costs the server, this tree against a baseline.

    python bench/upload_memory.py                        # 4 sessions; baseline: the commit before this change
    python bench/upload_memory.py --sessions 6 --baseline-ref 3c13337

A real ``streamlit run`` server (offline: the bundled sample), not AppTest: what is measured is
what Streamlit itself keeps per session (its UploadedFileManager holds an uploaded file's bytes
until the browser deletes it or the session ends), and AppTest makes a fresh manager for every
run. N students (websocket clients speaking Streamlit's protocol, bench/load_test.py's ``Tab``)
open the Dataset page and stay connected; one after another each uploads the same Fashion-MNIST
``.npz`` (``--data``, 30 MB, 70,000 images: 53 MiB once parsed) as the browser does, and reruns
the page a few times. The server's VmRSS is read before the uploads, after each, and at the
end; the baseline is the same run on ``--baseline-ref`` (exported with ``git archive`` to a
temporary folder), one server after the other so they do not compete. Both should pay the one
shared parsed copy with the first upload; what differs is each further student's share.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from load_test import FASHION, ROOT, Tab, connect, proc_kib

from tools.running_app import free_port, start_app

RERUNS = 3  # the uploading student keeps using the page: each rerun draws it from the upload
SETTLE_S = 6.0  # past ui.server's collection interval (at most one gc.collect every 5 s)


def rss_mib(pid: int) -> float:
    return proc_kib(pid, "VmRSS") / 1024


async def measure(root: Path, sessions: int, data: bytes) -> dict[str, Any]:
    """RSS (MiB) of a server in ``root`` before, after each of ``sessions`` uploads, and settled."""
    port = free_port()
    server = start_app(port, root=root)
    try:
        async with contextlib.AsyncExitStack() as stack:
            tabs = []
            for _ in range(sessions):
                tab = Tab(await stack.enter_async_context(connect(port)), port)
                await tab.open("dataset")
                tabs.append(tab)
            await asyncio.sleep(SETTLE_S)
            for tab in tabs:  # every page drawn once more, the router's collection done
                await tab.run()
            before, after_each, accepted = rss_mib(server.pid), [], 0
            for tab in tabs:
                await tab.upload("fashion.npz", data, key="dataset_page_upload")
                accepted += tab.metric("Training images") == "60,000" and not tab.error
                shown = {
                    getattr(e, e.WhichOneof("type")).id
                    for e in tab.elements.values()
                    if hasattr(getattr(e, e.WhichOneof("type")), "id")
                }
                tab.widgets = {
                    k: v for k, v in tab.widgets.items() if k in shown
                }  # as a browser: no unmounted widgets
                for _ in range(RERUNS):
                    await tab.run()
                after_each.append(rss_mib(server.pid))
            await asyncio.sleep(SETTLE_S)
            for tab in tabs:
                await tab.run()
            settled = rss_mib(server.pid)
            errors = [t.error for t in tabs if t.error]
            return {
                "before_mib": round(before, 1),
                "after_each_mib": [round(x, 1) for x in after_each],
                "settled_mib": round(settled, 1),
                "peak_mib": round(proc_kib(server.pid, "VmHWM") / 1024, 1),
                "accepted": accepted,
                "errors": errors,
                "first_upload_mib": round(after_each[0] - before, 1),
                "per_further_session_mib": round((settled - after_each[0]) / max(sessions - 1, 1), 1),
                "per_session_mib": round((settled - before) / sessions, 1),
            }
    finally:
        server.terminate()
        server.wait(timeout=30)


def export(ref: str, into: Path) -> Path:
    """The tree of ``ref`` (a commit of this repository) written under ``into``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def before_this_change() -> str:
    """The commit before the one that brought this benchmark (and the upload box it measures);
    HEAD while neither is committed yet."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "bench/upload_memory.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return f"{added[-1]}~1" if added else "HEAD"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--data", type=Path, default=FASHION)
    parser.add_argument(
        "--baseline-ref",
        default="",
        help="commit to compare with (default: the one before this benchmark came in)",
    )
    args = parser.parse_args()
    data = args.data.read_bytes()
    ref = subprocess.run(
        ["git", "rev-parse", args.baseline_ref or before_this_change()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(
        f"{args.sessions} sessions each upload {args.data.name} ({len(data) / 2**20:.1f} MiB); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="upload-memory-") as tmp:
        base = asyncio.run(measure(export(ref, Path(tmp)), args.sessions, data))
    new = asyncio.run(measure(ROOT, args.sessions, data))
    for name, r in ((f"baseline {ref[:10]}", base), ("this tree", new)):
        print(
            f"{name:>20}: before {r['before_mib']:.0f} MiB, after each upload {r['after_each_mib']}, "
            f"settled {r['settled_mib']:.0f}, peak {r['peak_mib']:.0f}; first upload "
            f"+{r['first_upload_mib']:.0f} MiB, "
            f"each further session +{r['per_further_session_mib']:.1f} MiB; accepted "
            f"{r['accepted']}/{args.sessions}" + (f"; errors: {r['errors']}" if r["errors"] else "")
        )
    ratio = new["per_session_mib"] / base["per_session_mib"] if base["per_session_mib"] > 0 else float("nan")
    further = (
        new["per_further_session_mib"] / base["per_further_session_mib"]
        if base["per_further_session_mib"] > 0
        else float("nan")
    )
    print(
        f"RSS growth per session, the shared parse included: {new['per_session_mib']:.1f} MiB vs "
        f"{base['per_session_mib']:.1f} MiB (ratio {ratio:.2f}); per further session: "
        f"{new['per_further_session_mib']:.1f} vs {base['per_further_session_mib']:.1f} MiB (ratio "
        f"{further:.2f}); "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    print(
        json.dumps(
            {
                "sessions": args.sessions,
                "baseline_ref": ref,
                "baseline": base,
                "new": new,
                "per_session_ratio": round(ratio, 3),
                "per_further_session_ratio": round(further, 3),
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
