#!/usr/bin/env bash
# Quick start: install what Berth needs, build it, start berthd on its default
# socket and show a first result through berth and, if present, the docker CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "quickstart: run as root (berthd manages mounts and containers)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq busybox-static runc crun tini iptables nftables zstd >/dev/null

mkdir -p bin
go build -o bin ./cmd/...
sock=/run/berth.sock
if ! bin/berth -H "unix://$sock" version >/dev/null 2>&1; then
  nohup bin/berthd >/var/log/berthd.log 2>&1 &
  echo "berthd started (pid $!), log in /var/log/berthd.log"
  for _ in $(seq 50); do bin/berth version >/dev/null 2>&1 && break; sleep 0.1; done
fi

# A first image: busybox from Debian's busybox-static, imported as a rootfs.
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
cp /bin/busybox "$rootfs/bin/busybox"
for app in sh ls cat echo; do ln -sf busybox "$rootfs/bin/$app"; done
tar -C "$rootfs" -c . | bin/berth import -c 'CMD ["/bin/sh"]' - busybox:latest
bin/berth images
# A first container, through berth and, when installed, the real docker CLI.
bin/berth run --rm busybox echo "hello from a Berth container"
if command -v docker >/dev/null; then
  docker -H "unix://$sock" run --rm busybox sh -c 'echo "hello from docker on Berth: $(uname -sr)"'
fi
