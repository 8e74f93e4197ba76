#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; install it (and CJK fonts) when missing.
set -euo pipefail
# grep -c, not -q: under pipefail an early-exiting grep makes fc-list die of SIGPIPE.
have_fonts() { [ "$(fc-list 2>/dev/null | grep -ciE 'Noto Sans CJK|Noto Serif CJK|WenQuanYi')" -gt 0 ]; }
have_emoji() { [ "$(fc-list 2>/dev/null | grep -ci 'Noto Color Emoji')" -gt 0 ]; }
if [ -x /usr/bin/chromium ] && have_fonts && have_emoji; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "错误：缺少 Chromium 或中文字体。请执行：sudo apt-get install -y chromium fonts-noto-cjk fonts-noto-color-emoji" >&2
  exit 1
fi
echo "正在安装 Chromium 与中文字体（约 30 秒）…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null
