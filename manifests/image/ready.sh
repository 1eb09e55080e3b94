#!/bin/bash
# Readiness probe of a sandbox (the StatefulSet's exec readinessProbe): Ready means sshd answers,
# i.e. it sends its identification string "SSH-2.0-..." (RFC 4253 section 4.2), not merely that
# something accepts TCP on 2222 (a wedged sshd, or one at MaxStartups, accepts and says nothing).
# bash, for /dev/tcp: the image has no nc, and sh (dash) has no /dev/tcp.
set -u
port="${1:-2222}"
if ! { exec 3<>"/dev/tcp/127.0.0.1/${port}"; } 2>/dev/null; then
  echo "nothing accepts connections on 127.0.0.1:${port}" >&2
  exit 1
fi
# A server may send other lines before its version (RFC 4253 4.2); OpenSSH sends none.
for _ in 1 2 3 4 5; do
  IFS= read -r -t 2 line <&3 || break
  case "$line" in
    SSH-2.0-*) exec 3>&-; exit 0 ;;
  esac
done
exec 3>&-
echo "no SSH banner from 127.0.0.1:${port} within 2 s" >&2
exit 1
