#!/bin/sh
# Nightly PostgreSQL backup with retention: keep the newest 7 daily and 4 weekly dumps.
#
# Environment:
#   XINFANG_DATABASE_URL  the service's URL (postgresql+asyncpg://… is accepted and converted for libpq)
#   BACKUP_DIR            where dumps go (default /var/backups/xinfang); daily/ and weekly/ below it
#   KEEP_DAILY, KEEP_WEEKLY  how many to keep (default 7 and 4)
#   BACKUP_DATE           the date to file this dump under (YYYY-MM-DD; default today; for drills/tests)
#   BACKUP_AT             with --nightly: the local time to run at (default 02:00)
#
# Usage: xinfang-backup.sh            one backup now (systemd: xinfang-backup.timer runs it nightly)
#        xinfang-backup.sh --nightly  run forever, one backup a night at BACKUP_AT (the compose service)
#
# The dump is pg_dump's custom format (pg_restore can restore it in parallel). It is written to a
# temporary name and renamed, so a half-written dump never counts as a backup. The Sunday dump (or
# the first of an ISO week that has none) is also linked into weekly/. pg_dump's major version must
# be the server's or newer: the compose service uses the same postgres image as the database.
set -eu

if [ "${1:-}" = "--nightly" ]; then
  while true; do
    next="$(date -d "tomorrow ${BACKUP_AT:-02:00}" +%s)"
    today_at="$(date -d "today ${BACKUP_AT:-02:00}" +%s)"
    now="$(date +%s)"
    [ "$today_at" -gt "$now" ] && next="$today_at"
    sleep $((next - now))
    "$0" || echo "xinfang backup FAILED at $(date)" >&2
  done
fi

url="${XINFANG_DATABASE_URL:?XINFANG_DATABASE_URL is not set}"
url="$(printf '%s' "$url" | sed -e 's#^postgresql+[a-z0-9]*://#postgresql://#' -e 's#^postgres+[a-z0-9]*://#postgresql://#')"
dir="${BACKUP_DIR:-/var/backups/xinfang}"
keep_daily="${KEEP_DAILY:-7}"
keep_weekly="${KEEP_WEEKLY:-4}"
day="${BACKUP_DATE:-$(date +%F)}"
week="$(date -d "$day" +%G-W%V)"
weekday="$(date -d "$day" +%u)"

mkdir -p "$dir/daily" "$dir/weekly"
daily="$dir/daily/xinfang-$day.dump"
tmp="$daily.part"
pg_dump --format=custom --no-owner --file="$tmp" "$url"
mv -f "$tmp" "$daily"

weekly="$dir/weekly/xinfang-$week.dump"
if [ "$weekday" = 7 ] || [ ! -e "$weekly" ]; then
  ln -f "$daily" "$weekly" 2>/dev/null || cp -f "$daily" "$weekly"
fi

# Retention: file names sort by date, newest last.
prune() {
  # shellcheck disable=SC2012
  ls -1 "$1" | grep -E '^xinfang-.*\.dump$' | sort | head -n "-$2" | while read -r old; do
    rm -f "$1/$old"
  done
}
prune "$dir/daily" "$keep_daily"
prune "$dir/weekly" "$keep_weekly"
echo "xinfang backup: $daily ($(wc -c < "$daily") bytes); kept $keep_daily daily, $keep_weekly weekly"
