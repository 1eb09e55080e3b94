#!/bin/sh
# Prepares the workspace on first start (home of `dev`), then runs sshd in the foreground.
#
# The sandbox's SSH host key lives with its workspace (the PVC), in a folder only `dev` can read:
# made on the first start of a new workspace, kept across pod restarts (clients that pinned it keep
# connecting), and new for a new workspace (a released sandbox is recycled with a new PVC, so the
# next holder gets a new key). Nothing else has it: no Secret, no other sandbox. Terrarium's clients
# read the .pub over the Kubernetes API (exec, which only the holder may) and pin it under an alias
# naming the sandbox and its PVC's uid.
set -eu
umask 077
mkdir -p /workspace/.ssh /workspace/.terrarium
chmod 700 /workspace/.ssh /workspace/.terrarium
touch /workspace/.ssh/authorized_keys
chmod 600 /workspace/.ssh/authorized_keys
key=/workspace/.terrarium/ssh_host_ed25519_key
if [ ! -s "$key" ]; then
  # Made beside and renamed, so a start cut short never leaves half a key to be used later.
  rm -f "$key.new" "$key.new.pub"
  ssh-keygen -q -t ed25519 -N '' -C terrarium-sandbox -f "$key.new" </dev/null >/dev/null
  mv -f "$key.new" "$key"
  rm -f "$key.new.pub"
fi
chmod 600 "$key"
# The public half is derived on every start, so it always matches the key sshd presents.
ssh-keygen -y -f "$key" > "$key.pub.new"
mv -f "$key.pub.new" "$key.pub"
exec /usr/sbin/sshd -D -e -f /etc/terrarium/sshd_config
