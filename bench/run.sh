#!/bin/sh
# Runs resnorm's SGEMM (go test -bench BenchmarkSgemm in internal/kernels)
# and PyTorch's torch.mm on OpenBLAS (bench/torch_gemm.py) alternately, in
# the same session, ROUNDS times, then prints each side's median, min and
# max GFLOP/s per shape, the ratio of the medians (resnorm / PyTorch) and
# the paired ratio (the median of each round's own ratio: the two sides of
# a round run minutes apart at most, so load that drifts cancels), and
# resnorm's share of the machine's FMA peak measured in the same rounds
# (BenchmarkPeakFMA).
#
# Usage: bench/run.sh [threads] [rounds]      (defaults: 2 threads, 5 rounds)
#
# The peer must be OpenBLAS at its best. Left alone, OpenBLAS's DYNAMIC_ARCH
# build detects the CPU and picks its kernels (AVX-512 ones on an AVX-512
# machine); an inherited OPENBLAS_CORETYPE (e.g. Haswell: AVX2 kernels,
# about half the speed) would weaken it, so this script unsets it.
# PEER_CORETYPE=name forces an OpenBLAS core instead; PEER_CORETYPE=inherit
# keeps the environment's setting. The BLAS and core torch loaded are
# printed.
set -eu
threads=${1:-2}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
case "${PEER_CORETYPE:-}" in
"") unset OPENBLAS_CORETYPE ;;
inherit) ;;
*) export OPENBLAS_CORETYPE="$PEER_CORETYPE" ;;
esac
export OMP_NUM_THREADS="$threads"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go test -c -o "$tmp/kernels.test" ./internal/kernels)

for r in $(seq "$rounds"); do
	echo "round $r/$rounds" >&2
	# (the peak probe for half a second: 20 of its 0.2 ms calls are too few)
	{ "$tmp/kernels.test" -test.run '^$' -test.bench '^BenchmarkSgemm$' -test.cpu "$threads" -test.benchtime 20x
	  "$tmp/kernels.test" -test.run '^$' -test.bench '^BenchmarkPeakFMA$' -test.cpu "$threads" -test.benchtime 0.5s; } |
		awk '/GFLOP\/s/ { n = $1; sub(/^Benchmark(Sgemm\/)?/, "", n); sub(/-[0-9]+$/, "", n); print "go", n, $(NF-1) }' >>"$tmp/results"
	"$py" "$root/bench/torch_gemm.py" --threads "$threads" --iters 20 2>>"$tmp/torch.log" |
		awk '{ print "torch", $2, $3 }' >>"$tmp/results"
done
sort -u "$tmp/torch.log" >&2

"$py" - "$tmp/results" "$threads" <<'PY'
import statistics, sys
res = {}
for line in open(sys.argv[1]):
    side, name, v = line.split()
    res.setdefault(name, {}).setdefault(side, []).append(float(v))
# The peak is a property of the hardware that other load can only lower:
# the best round is the best estimate of it.
peak = max(res.pop("PeakFMA", {}).get("go", [float("nan")]))
print(f"SGEMM GFLOP/s, {sys.argv[2]} thread(s): median [min, max] over {max(len(s) for d in res.values() for s in d.values())} rounds")
print(f"machine peak (BenchmarkPeakFMA: independent FMAs on every thread, best of the same rounds): {peak:.1f} GFLOP/s")
print(f"{'shape':<18} {'resnorm':>24} {'torch (OpenBLAS)':>24} {'ratio':>6} {'paired':>6} {'of peak':>7}")
for name, d in res.items():
    cell = lambda xs: f"{statistics.median(xs):7.1f} [{min(xs):6.1f}, {max(xs):6.1f}]" if xs else "-"
    g, t = d.get("go", []), d.get("torch", [])
    ratio = statistics.median(g) / statistics.median(t) if g and t else float("nan")
    paired = statistics.median(a / b for a, b in zip(g, t)) if g and t else float("nan")
    frac = f"{statistics.median(g) / peak:.0%}" if g else "-"
    print(f"{name:<18} {cell(g):>24} {cell(t):>24} {ratio:6.2f} {paired:6.2f} {frac:>7}")
PY
