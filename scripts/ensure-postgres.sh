#!/usr/bin/env bash
# Make sure the PostgreSQL test server answers on 127.0.0.1:5432; start the local cluster if it is down.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ready; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -n "$version" ]; then
    echo "PostgreSQL 未运行，正在启动 $version/main …" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start || true
  fi
fi
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "错误：PostgreSQL 在 127.0.0.1:5432 不可用（测试需要它）。请先启动：pg_ctlcluster 15 main start" >&2
exit 1
