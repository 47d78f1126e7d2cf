"""jieba's dictionary (60 MiB, a second of CPU) loads only for Chinese text, off the event loop.

Run in a fresh interpreter: other tests in this process may have loaded it already.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import asyncio, threading
import domain.catalog.search_text as st
from domain.catalog.service import Localized
from storage.catalog.sql import segmented_documents

loaded_on = []
original = st.warm_up
def recording_warm_up():
    if not st._jieba_ready:  # the call that loads (later ones return at once)
        loaded_on.append(threading.current_thread() is threading.main_thread())
    original()
st.warm_up = recording_warm_up

async def main():
    await segmented_documents(Localized("Mug", "Mug"), Localized("", ""), "Acme", "M1", ["tea"],
                              [("Size", "L")], [(1, Localized("Kitchen", "Kitchen"))])
    await st.load_segmenter_for("phone case", "")
    print("english", st._jieba_ready, loaded_on)
    await segmented_documents(Localized("Mug", "Mug"), Localized("", ""), "Acme", "M1", ["tea"],
                              [("Size", "L")], [(1, Localized("Kitchen", "厨房"))])
    print("chinese", st._jieba_ready, loaded_on)

asyncio.run(main())
"""


def test_only_chinese_text_loads_the_dictionary_and_never_on_the_event_loop() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "english False []"  # an English-only shop never pays for it
    assert lines[1] == "chinese True [False]"  # loaded once, in a worker thread
