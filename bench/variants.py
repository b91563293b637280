"""Run ``bot.cli`` with proposed changes patched in, to measure them before anyone edits the real files.

``BENCH_VARIANTS=name,name python bench/variants.py serve --only webhook ...`` (bench/run.py and
bench/profile.py pass ``--variant``). A patch here either mirrors a change proposed for a file (once
measured and merged it leaves this file; README "性能基准" keeps the figures) or is a ceiling
probe that bench/run.py measures on every run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def inline_checkpoint() -> None:
    """SQLite: checkpoint the WAL on the event loop's thread, as SQLite's automatic checkpoint
    would, instead of on a worker thread (storage.sqlite_inline.WalCheckpointer)."""
    import sqlite3

    import storage.sqlite_inline as inline

    def committed(self: inline.WalCheckpointer) -> None:
        self._commits += 1
        if self._commits >= inline.CHECKPOINT_EVERY:
            self._commits = 0
            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            conn.close()

    inline.WalCheckpointer.committed = committed  # type: ignore[method-assign]


# Merged after measuring here (README "性能基准" has the figures): lean_uow, sqlite_write_lock,
# switch_interval (dropped again with the inline SQLite driver), no_access_log, sqlite_pool1.
# ---- ceilings: not proposals, but how fast the webhook could be if a part of its work cost nothing.
# bench/run.py runs both next to the floor and the real service, so the table shows where the time goes.

def _canned_reply(inbound, text: str) -> str:  # type: ignore[no-untyped-def]
    from bot.wechat import protocol

    f = inbound.fields
    return protocol.render_text_reply(to_user=f["FromUserName"], from_user=f.get("ToUserName", ""),
                                      content=text, create_time=int(time.time()))


def no_process() -> None:
    """Everything up to and after the unit of work (HTTP, signature, parsing, reply), nothing in it."""
    import bot.webhook as webhook

    async def process(self, inbound):  # type: ignore[no-untyped-def]
        return _canned_reply(inbound, "您反映的问题已初步归类为城乡建设，承办单位：住房和城乡建设局。请发送问题发生的地点。")

    webhook.Webhook.process = process


def categorise_only() -> None:
    """As ``no_process`` plus ``categorise()`` of the text, which the first reply must show."""
    import bot.webhook as webhook

    async def process(self, inbound):  # type: ignore[no-untyped-def]
        decision = self.rt.categoriser.categorise(inbound.fields.get("Content") or "")
        return _canned_reply(inbound, f"您反映的问题已初步归类为{decision.category}，"
                                      f"承办单位：{decision.department}。请发送问题发生的地点。")

    webhook.Webhook.process = process


PATCHES = {"inline_checkpoint": inline_checkpoint, "no_process": no_process, "categorise_only": categorise_only}


def main() -> None:
    for name in filter(None, os.environ.get("BENCH_VARIANTS", "").split(",")):
        PATCHES[name]()
    from bot.cli import main as cli

    cli(prog_name="xinfang")


if __name__ == "__main__":
    main()
