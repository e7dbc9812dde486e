#!/bin/sh
# Runs resnorm's norm kernels (go test -bench in internal/kernels: LayerNorm
# and RMSNorm on [8192, 768], BatchNorm training on [32,14,14,64], and a
# memory-bandwidth probe, with ordinary and with non-temporal stores) and
# PyTorch's (bench/torch_norm.py) alternately,
# in the same session, ROUNDS times, then prints each side's median, min
# and max milliseconds, the ratio of the medians (PyTorch / resnorm: > 1
# means resnorm is faster) and the paired ratio (the median of each round's
# own ratio), and resnorm's achieved bandwidth as a fraction
# of the bandwidth measured in the same rounds: "of bw" against STREAM's
# add as STREAM counts it (12 bytes per element, ordinary stores, so the
# read-for-ownership of the written lines goes uncounted), "of NT" against
# the same add with non-temporal stores, which is what the norm kernels use
# for outputs this large (the stricter yardstick).
#
# Usage: bench/norms.sh [threads] [rounds]      (defaults: 2 threads, 5 rounds)
set -eu
threads=${1:-2}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS="$threads"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go test -c -o "$tmp/kernels.test" ./internal/kernels)

bench='^Benchmark(LayerNormForward|LayerNormFwdBwd|RMSNormForward|RMSNormFwdBwd|BatchNormTrain|MemBandwidth|MemBandwidthNT)$'
for r in $(seq "$rounds"); do
	echo "round $r/$rounds" >&2
	# go lines: name ns/op MB/s  ->  "go name ms MB/s" (only the [8192, 768] rows)
	"$tmp/kernels.test" -test.run '^$' -test.bench "$bench" -test.cpu "$threads" -test.benchtime 1s |
		awk '/MB\/s/ && ($1 !~ /\// || $1 ~ /8192x768/) { n = $1; sub(/^Benchmark/, "", n); sub(/\/.*$/, "", n); sub(/-[0-9]+$/, "", n); print "go", n, $3 / 1e6, $5 }' >>"$tmp/results"
	ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY-avx512} "$py" "$root/bench/torch_norm.py" --threads "$threads" --iters 20 2>>"$tmp/torch.log" |
		awk '{ print "torch", $2, $3, 0 }' >>"$tmp/results"
done
sort -u "$tmp/torch.log" >&2

"$py" - "$tmp/results" "$threads" <<'PY'
import statistics, sys
res = {}
for line in open(sys.argv[1]):
    side, name, ms, mbs = line.split()
    res.setdefault(name, {}).setdefault(side, []).append((float(ms), float(mbs)))
bw = statistics.median(m for _, m in res.pop("MemBandwidth", {}).get("go", [(0, float("nan"))]))
bwnt = statistics.median(m for _, m in res.pop("MemBandwidthNT", {}).get("go", [(0, float("nan"))]))
print(f"Norms, {sys.argv[2]} thread(s): ms per call, median [min, max] over {max(len(s) for d in res.values() for s in d.values())} rounds")
print(f"memory bandwidth (STREAM add, same rounds): {bw / 1e3:.1f} GB/s; with non-temporal stores: {bwnt / 1e3:.1f} GB/s")
print(f"{'workload':<18} {'resnorm':>22} {'PyTorch':>22} {'ratio':>6} {'paired':>6} {'resnorm GB/s':>13} {'of bw':>6} {'of NT':>6}")
for name, d in res.items():
    cell = lambda xs: f"{statistics.median(xs):6.3f} [{min(xs):6.3f}, {max(xs):6.3f}]" if xs else "-"
    g, t = [ms for ms, _ in d.get("go", [])], [ms for ms, _ in d.get("torch", [])]
    ratio = statistics.median(t) / statistics.median(g) if g and t else float("nan")
    paired = statistics.median(b / a for a, b in zip(g, t)) if g and t else float("nan")
    gbs = statistics.median(m for _, m in d["go"]) / 1e3 if g else float("nan")
    # BatchNorm's [32,14,14,64] (1.6 MB) lives in cache: no bandwidth bound.
    frac = "cache" if name == "BatchNormTrain" else f"{gbs * 1e3 / bw:.0%}"
    fracnt = "" if name == "BatchNormTrain" else f"{gbs * 1e3 / bwnt:.0%}"
    print(f"{name:<18} {cell(g):>22} {cell(t):>22} {ratio:6.2f} {paired:6.2f} {gbs:13.1f} {frac:>6} {fracnt:>6}")
PY
