#!/usr/bin/env bash
# Benchmarks of Berth, side by side with Debian's dockerd when it is installed
# (apt-get install docker.io; BERTH_BENCH_DOCKERD=0 skips it). Run as root.
# Timings are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
echo "== end to end, through the docker CLI (berthd vs dockerd)"
go test -run '^$' -bench 'BenchmarkDocker|BenchmarkContainers|BenchmarkRuntimeFloor' -benchtime "${count}x" ./test/e2e/
echo "== service level"
go test -run '^$' -bench . -benchtime "${count}x" ./image/ ./layer/
