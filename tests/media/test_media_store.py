"""The media store: what one process downloads another reads; damaged or missing media are "附件不可用"."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import select, text, update

from bot.services import media
from bot.simulator import FakeWeChat
from storage import migrate
from storage.engine import make_engine, make_session_factory
from storage.media_store import MEDIA_UNAVAILABLE, MediaStore, MediaUnavailable
from storage.models import Attachment, MediaBlob
from tests import dbs
from tests.harness import Service
from tests.serve_process import TOKEN, process_env, run_cli, serving

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


async def _stored(db_url: str, timeout: float = 20) -> Attachment:
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            async with sessions() as session:
                att = await session.scalar(select(Attachment).order_by(Attachment.id.desc()).limit(1))
            if att is not None and (att.stored_path or att.download_error):
                return att
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    raise AssertionError("the photo was never downloaded")


async def test_photo_downloaded_by_one_process_is_read_by_another_in_another_directory(
        db_url: str, tmp_path: Path) -> None:
    host_a, host_b = tmp_path / "host-a", tmp_path / "host-b"
    host_a.mkdir()
    host_b.mkdir()
    async with FakeWeChat.running() as wx:
        # A relative media directory: each "host" would look in its own ./media if the store were local.
        env = process_env(db_url, wx, XINFANG_MEDIA_STORE="database", XINFANG_MEDIA_DIR="media")
        async with serving(env, host_a, "webhook") as served:
            user = wx.user("o-photo", f"{served.base}/wechat", TOKEN)
            await user.text("村口的桥栏杆断了，孩子上学很危险")
            reply = await user.image(PHOTO)
            assert reply.status == 200 and "附件" in (reply.reply_text or "")
            att = await _stored(db_url)
    assert att.download_error is None and att.stored_path and att.stored_path.startswith("db:")
    assert not (host_a / "media").exists()

    result = await asyncio.to_thread(run_cli, ["media", "show", str(att.id), "--out", "photo.jpg"], env, host_b)
    assert result.returncode == 0, result.stderr.decode()
    assert (host_b / "photo.jpg").read_bytes() == PHOTO
    assert "image/jpeg" in result.stderr.decode()


async def test_damaged_row_missing_file_and_escaping_reference_are_unavailable(service: Service) -> None:
    rt = service.rt
    store = MediaStore("database", rt.settings.media_dir, rt.sessions)
    ref = await store.save("20261124/MEDIA_ok.jpg", PHOTO, "image/jpeg")
    assert (await media.open_media(rt, ref)).data == PHOTO  # a db: reference reads whatever the backend
    async with rt.sessions() as session, session.begin():
        await session.execute(update(MediaBlob).values(data=PHOTO[:-7] + b"garbage"))
    for bad in (ref, "db:20261124/none.jpg", "20261124/missing.jpg", "../../etc/passwd", "/etc/passwd", None):
        try:
            await media.open_media(rt, bad)
        except MediaUnavailable as exc:
            assert str(exc).startswith(MEDIA_UNAVAILABLE), exc
        else:
            raise AssertionError(f"{bad!r} was readable")


async def test_cli_show_of_a_damaged_row_says_unavailable_without_traceback(service: Service, tmp_path: Path) -> None:
    rt = service.rt
    ref = await MediaStore("database", rt.settings.media_dir, rt.sessions).save("20261124/x.jpg", PHOTO, "image/jpeg")
    async with rt.sessions() as session, session.begin():
        att = Attachment(openid="o-x", kind="image", media_id="x", stored_path=ref, created_at=rt.now())
        session.add(att)
        await session.flush()
        await session.execute(update(MediaBlob).values(sha256="0" * 64))
    result = await asyncio.to_thread(run_cli, ["media", "show", str(att.id)],
                                     process_env(rt.settings.database_url), tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 1 and MEDIA_UNAVAILABLE in err and "Traceback" not in err, err


async def test_media_move_between_local_directory_and_database(service: Service, tmp_path: Path) -> None:
    rt = service.rt
    local = MediaStore("local", rt.settings.media_dir, rt.sessions)
    ref = await local.save("20261124/MEDIA_move.jpg", PHOTO, "image/jpeg")
    async with rt.sessions() as session, session.begin():
        session.add(Attachment(openid="o-m", kind="image", media_id="m", stored_path=ref, created_at=rt.now()))
    env = process_env(rt.settings.database_url, XINFANG_MEDIA_DIR=str(rt.settings.media_dir))
    for target, prefix in (("database", "db:"), ("local", "20261124/")):
        result = await asyncio.to_thread(run_cli, ["media", "move", "--to", target], env, tmp_path)
        assert result.returncode == 0 and "已迁移 1 个附件" in result.stdout.decode(), result.stderr.decode()
        async with rt.sessions() as session:
            att = await session.scalar(select(Attachment))
        assert att is not None and att.stored_path and att.stored_path.startswith(prefix)
        assert (await media.open_attachment(rt, att)).data == PHOTO
    async with rt.sessions() as session:
        assert await session.scalar(select(MediaBlob.id)) is None  # the moved row went with the move


async def test_migration_makes_stored_paths_relative(tmp_path: Path) -> None:
    base = dbs.postgres_base_url()
    url = await dbs.create_postgres_database(base) if base else dbs.sqlite_url(tmp_path)
    try:
        await asyncio.to_thread(migrate.upgrade, url, "0001")
        engine = make_engine(url)
        async with engine.begin() as conn:
            for i, path in enumerate(["/var/lib/xinfang/media/20261101/MEDIA_a.jpg", "media/20261102/MEDIA_b.amr",
                                      "20261103/MEDIA_c.jpg"], 1):
                await conn.execute(text("INSERT INTO attachments (id, openid, kind, stored_path, created_at) "
                                        "VALUES (:i, 'o', 'image', :p, CURRENT_TIMESTAMP)"), {"i": i, "p": path})
        await migrate.upgrade_async(url)
        async with engine.connect() as conn:
            paths = (await conn.execute(text("SELECT stored_path FROM attachments ORDER BY id"))).scalars().all()
        await engine.dispose()
        assert paths == ["20261101/MEDIA_a.jpg", "20261102/MEDIA_b.amr", "20261103/MEDIA_c.jpg"]
    finally:
        if base:
            await dbs.drop_postgres_database(base, url)
