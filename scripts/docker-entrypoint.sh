#!/bin/sh
# The image's entrypoint (under tini): make the mounted config, auth and data directories
# usable by the process, then run the command without root. docs/containers.md explains it.
#
# Started as root (the default):
#   - directories owned by root (made by `mkdir` as root, or by Docker for a missing bind-mount
#     source) are handed to the image's `node` user (uid 1000), and the process runs as `node`;
#   - directories owned by someone else (your own uid on the host) stay theirs: the process runs
#     with that uid and gid, so you can keep editing config.yaml.
# Started as another user (`user:` in compose, `--user`): nothing can be changed; a directory the
# process cannot write is reported in one line that names the fix, and the container exits.
set -eu

config_dir=$(dirname "${CONFIG_PATH:-/app/config/config.yaml}")
auth_dir=${AUTH_DIR:-/app/auths}
data_dir=${DATA_DIR:-/app/data}

# 78 (EX_CONFIG): the same exit as a config.yaml the process refuses.
refuse() {
  echo "switchboard: $1" >&2
  exit 78
}

if [ "$(id -u)" != 0 ]; then
  for d in "$config_dir" "$auth_dir" "$data_dir"; do
    [ -d "$d" ] || continue
    [ -w "$d" ] || refuse "$d is not writable by uid $(id -u) (it belongs to uid $(stat -c %u "$d")): run \`sudo chown -R $(id -u):$(id -g)\` on that directory on the host, or start the container as root (the image's default) and it fixes the ownership itself"
  done
  exec "$@"
fi

mkdir -p "$config_dir" "$auth_dir" "$data_dir"
owner=$(stat -c %u "$config_dir")
if [ "$owner" = 0 ]; then
  uid=$(id -u node)
  gid=$(id -g node)
  home=/home/node
else
  uid=$owner
  gid=$(stat -c %g "$config_dir")
  home=$data_dir
fi

for d in "$config_dir" "$auth_dir" "$data_dir"; do
  # Only entries the process could not write: on later starts this touches nothing.
  if ! find "$d" ! -user "$uid" -exec chown -h "$uid:$gid" {} + 2>/dev/null; then
    # A filesystem that refuses chown (NFS with root squash, some rootless setups).
    setpriv --reuid="$uid" --regid="$gid" --clear-groups test -w "$d" ||
      refuse "cannot give $d to uid $uid (chown refused): run \`sudo chown -R $uid:$gid\` on that directory on the host"
  fi
done

exec setpriv --reuid="$uid" --regid="$gid" --clear-groups env HOME="$home" "$@"
