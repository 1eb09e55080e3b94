#!/bin/sh
# Prepares the workspace on first start (home of `dev`), then runs sshd in the foreground.
set -eu
mkdir -p /workspace/.ssh
chmod 700 /workspace/.ssh
touch /workspace/.ssh/authorized_keys
chmod 600 /workspace/.ssh/authorized_keys
exec /usr/sbin/sshd -D -e -f /etc/terrarium/sshd_config
