package kernels

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

// gemmCase is one operand set: op(A) m×k, op(B) k×n, C m×n, each stored
// with a row stride larger than needed and NaN in the gaps, so a kernel
// that reads outside the matrices produces NaN.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	a, b, c0       []float32
	exact, absProd []float64 // op(A)op(B) in float64, and sum of |a||b|
}

func newGemmCase(rng *tensor.RNG, transA, transB bool, m, n, k int) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = ac+3, bc+5, n+2
	fill := func(rows, cols, ld int) []float32 {
		s := make([]float32, rows*ld)
		for i := range s {
			if i%ld < cols {
				s[i] = float32(rng.Normal())
			} else {
				s[i] = float32(math.NaN())
			}
		}
		return s
	}
	g.a, g.b, g.c0 = fill(ar, ac, g.lda), fill(br, bc, g.ldb), fill(m, n, g.ldc)
	g.exact = make([]float64, m*n)
	g.absProd = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				av, bv := float64(g.at(i, p)), float64(g.bt(p, j))
				s += av * bv
				sa += math.Abs(av * bv)
			}
			g.exact[i*n+j], g.absProd[i*n+j] = s, sa
		}
	}
	return g
}

func (g *gemmCase) at(i, p int) float32 {
	if g.transA {
		return g.a[p*g.lda+i]
	}
	return g.a[i*g.lda+p]
}

func (g *gemmCase) bt(p, j int) float32 {
	if g.transB {
		return g.b[j*g.ldb+p]
	}
	return g.b[p*g.ldb+j]
}

// check runs f on a fresh copy of C (NaN-filled when beta == 0) and checks
// every element against the float64 product within the worst-case float32
// rounding bound (k+3)·u·(|alpha|·Σ|a||b| + |beta·c|), and that the gaps of
// C are untouched.
func (g *gemmCase) check(t *testing.T, what string, alpha, beta float32, f func(c []float32)) {
	t.Helper()
	c := append([]float32(nil), g.c0...)
	if beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	f(c)
	const u = 1.0 / (1 << 24)
	bad := 0
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.ldc; j++ {
			got := c[i*g.ldc+j]
			if j >= g.n {
				if !math.IsNaN(float64(got)) { // the gaps hold NaN
					t.Fatalf("%s: C[%d][%d] outside the matrix was written: %v", what, i, j, got)
				}
				continue
			}
			c0 := 0.0
			if beta != 0 {
				c0 = float64(beta) * float64(g.c0[i*g.ldc+j])
			}
			want := float64(alpha)*g.exact[i*g.n+j] + c0
			tol := float64(g.k+3)*u*(math.Abs(float64(alpha))*g.absProd[i*g.n+j]+math.Abs(c0)) + 1e-30
			if d := math.Abs(float64(got) - want); !(d <= tol) {
				if bad++; bad <= 3 {
					t.Errorf("%s: C[%d][%d] = %v, want %v (tol %.3g)", what, i, j, got, want, tol)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d bad elements", what, bad)
	}
}

var gemmShapes = [][3]int{
	{1, 1, 1}, {3, 3, 3}, {17, 17, 17}, {1, 255, 17}, {255, 1, 17}, {1000, 3, 17},
	{3, 1000, 17}, {17, 3, 1000}, {255, 255, 255}, {100, 70, 300}, {33, 129, 1000}, {20, 300, 40},
}

var gemmAlphaBeta = [][2]float32{{1, 0}, {1, 1}, {-0.75, 0.5}}

// testArchs are the kernels to test: those the CPU runs, and the Go kernel
// in every tile shape (so it is checked against the assembly ones).
func testArchs() []*gemmArch {
	as := gemmArchs()
	return append(as,
		&gemmArch{name: "go-14x32", mr: 14, nr: 32, kind: kernGo, speed: 1},
		&gemmArch{name: "go-6x16", mr: 6, nr: 16, kind: kernGo, speed: 1})
}

// withBlocking runs f with the blocking parameters replaced (tiny values
// exercise many K blocks, row chunks and column blocks on small shapes).
func withBlocking(kc, mc, bpack, directN int, f func()) {
	o := [4]int{gemmKC, gemmMC, gemmBPackMax, gemmDirectN}
	gemmKC, gemmMC, gemmBPackMax, gemmDirectN = kc, mc, bpack, directN
	defer func() { gemmKC, gemmMC, gemmBPackMax, gemmDirectN = o[0], o[1], o[2], o[3] }()
	f()
}

func TestSgemmKernels(t *testing.T) {
	rng := tensor.NewRNG(1)
	blockings := [][4]int{{384, 504, 1 << 21, 128}, {37, 30, 2000, 0}}
	for _, s := range gemmShapes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			g := newGemmCase(rng, tr[0], tr[1], s[0], s[1], s[2])
			for _, ab := range gemmAlphaBeta {
				alpha, beta := ab[0], ab[1]
				name := fmt.Sprintf("m=%d,n=%d,k=%d,tA=%v,tB=%v,alpha=%v,beta=%v", s[0], s[1], s[2], tr[0], tr[1], alpha, beta)
				g.check(t, "Sgemm "+name, alpha, beta, func(c []float32) {
					Sgemm(g.transA, g.transB, g.m, g.n, g.k, alpha, g.a, g.lda, g.b, g.ldb, beta, c, g.ldc)
				})
				g.check(t, "sgemmRef "+name, alpha, beta, func(c []float32) {
					sgemmRef(g.transA, g.transB, g.m, g.n, g.k, alpha, g.a, g.lda, g.b, g.ldb, beta, c, g.ldc)
				})
				g.check(t, "sgemmSmall "+name, alpha, beta, func(c []float32) {
					sgemmSmall(g.transA, g.transB, g.m, g.n, g.k, alpha, g.a, g.lda, g.b, g.ldb, beta, c, g.ldc)
				})
				for _, ar := range testArchs() {
					for _, bl := range blockings {
						withBlocking(bl[0], bl[1], bl[2], bl[3], func() {
							g.check(t, fmt.Sprintf("%s blocking %v %s", ar.name, bl, name), alpha, beta, func(c []float32) {
								sgemmBlocked(ar, g.transA, g.transB, g.m, g.n, g.k, alpha, g.a, g.lda, g.b, g.ldb, beta, c, g.ldc)
							})
							g.check(t, fmt.Sprintf("%s rows blocking %v %s", ar.name, bl, name), alpha, beta, func(c []float32) {
								sgemmRun(ar, matrixRows{g.a, g.lda, g.transA}, false, g.transB, g.m, g.n, g.k, alpha, nil, 0, g.b, g.ldb, beta, c, g.ldc)
							})
						})
					}
				}
			}
		}
	}
}

// TestSgemmSpecial covers k == 0 and alpha == 0 (C = beta*C, A and B not
// used) and m == 0 / n == 0 (nothing to do).
func TestSgemmSpecial(t *testing.T) {
	nan := float32(math.NaN())
	c := []float32{1, 2, 3, 4}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, c, 2)
	if c[0] != 0.5 || c[3] != 2 {
		t.Fatalf("k=0, beta=0.5: C = %v, want [0.5 1 1.5 2]", c)
	}
	c = []float32{nan, nan, nan, nan}
	a := []float32{nan, nan, nan, nan}
	Sgemm(false, false, 2, 2, 2, 0, a, 2, a, 2, 0, c, 2)
	for _, v := range c {
		if v != 0 {
			t.Fatalf("alpha=0, beta=0: C = %v, want zeros", c)
		}
	}
	Sgemm(false, false, 0, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2)
	Sgemm(false, false, 2, 0, 2, 1, nil, 2, nil, 2, 0, nil, 2)
}

// TestSgemmDeterministic checks that GOMAXPROCS does not change a single
// bit of the result, for every kernel and transpose.
func TestSgemmDeterministic(t *testing.T) {
	rng := tensor.NewRNG(2)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, s := range [][3]int{{300, 200, 700}, {50, 1000, 300}, {1000, 40, 64}} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			g := newGemmCase(rng, tr[0], tr[1], s[0], s[1], s[2])
			for _, ar := range gemmArchs() {
				var first []float32
				for _, procs := range []int{1, 2, 3} {
					runtime.GOMAXPROCS(procs)
					c := append([]float32(nil), g.c0...)
					sgemmBlocked(ar, g.transA, g.transB, g.m, g.n, g.k, 1.5, g.a, g.lda, g.b, g.ldb, 0.5, c, g.ldc)
					if first == nil {
						first = c
						continue
					}
					for i := range c {
						if math.Float32bits(c[i]) != math.Float32bits(first[i]) && !(math.IsNaN(float64(c[i])) && math.IsNaN(float64(first[i]))) {
							t.Fatalf("%s %v tA=%v tB=%v: GOMAXPROCS=%d differs from 1 at %d: %v vs %v", ar.name, s, tr[0], tr[1], procs, i, c[i], first[i])
						}
					}
				}
			}
		}
	}
}

func TestDetectX86(t *testing.T) {
	const ecx1 = 1<<12 | 1<<27 | 1<<28 // FMA, OSXSAVE, AVX
	const ebx7 = 1<<5 | 1<<16          // AVX2, AVX512F
	for _, tc := range []struct {
		maxLeaf, ecx1, ebx7 uint32
		xcr0                uint64
		want                cpuFeatures
	}{
		{7, ecx1, ebx7, 0xe7, cpuFeatures{AVX2: true, FMA: true, AVX512F: true}},
		{7, ecx1, ebx7, 0x7, cpuFeatures{AVX2: true, FMA: true}},    // OS does not save ZMM state
		{7, ecx1, ebx7, 0x3, cpuFeatures{}},                         // nor YMM state
		{7, ecx1 &^ (1 << 27), ebx7, 0xe7, cpuFeatures{}},           // no OSXSAVE
		{6, ecx1, ebx7, 0xe7, cpuFeatures{}},                        // no leaf 7
		{7, ecx1, 1 << 5, 0xe7, cpuFeatures{AVX2: true, FMA: true}}, // no AVX-512
	} {
		if got := detectX86(tc.maxLeaf, tc.ecx1, tc.ebx7, tc.xcr0); got != tc.want {
			t.Errorf("detectX86(%d, %#x, %#x, %#x) = %+v, want %+v", tc.maxLeaf, tc.ecx1, tc.ebx7, tc.xcr0, got, tc.want)
		}
	}
	t.Logf("this CPU: %+v; GEMM kernel %s", cpu, gemmBest.name)
}

func TestHalfWidthAVX512(t *testing.T) {
	for _, tc := range []struct {
		vendor string
		eax1   uint32
		want   bool
	}{
		{"AuthenticAMD", 0x00a10f11, true},  // Zen 4 (Genoa): family 0xf + 0x0a = 0x19
		{"AuthenticAMD", 0x00b00f20, false}, // Zen 5: family 0x1a
		{"AuthenticAMD", 0x00800f12, false}, // Zen 1: family 0x17
		{"GenuineIntel", 0x000806f8, false}, // Sapphire Rapids: family 6
	} {
		if got := halfWidthAVX512(tc.vendor, tc.eax1); got != tc.want {
			t.Errorf("halfWidthAVX512(%q, %#x) = %v, want %v", tc.vendor, tc.eax1, got, tc.want)
		}
	}
}

// TestGemmFor checks the kernel choice: padded tiles weighed by speed, the
// first kernel on a tie.
func TestGemmFor(t *testing.T) {
	defer func(saved []*gemmArch) { gemmAll = saved }(gemmAll)
	wide := &gemmArch{name: "wide", mr: 14, nr: 32, speed: 32}
	split := &gemmArch{name: "split", mr: 14, nr: 32, speed: 18}
	even := &gemmArch{name: "even", mr: 14, nr: 32, speed: 16}
	narrow := &gemmArch{name: "narrow", mr: 6, nr: 16, speed: 16}
	for _, tc := range []struct {
		archs []*gemmArch
		m, n  int
		want  *gemmArch
	}{
		{[]*gemmArch{wide, narrow}, 1568, 64, wide},
		{[]*gemmArch{wide, narrow}, 1568, 10, wide}, // 1568·32/32 < 1572·16/16
		{[]*gemmArch{wide, narrow}, 32, 10, narrow}, // 42·32/32 > 36·16/16
		{[]*gemmArch{split, narrow}, 1568, 64, split},
		{[]*gemmArch{split, narrow}, 1024, 1024, split}, // 1036·1024/18 < 1026·1024/16
		{[]*gemmArch{split, narrow}, 1568, 10, narrow},
		{[]*gemmArch{split, narrow}, 32, 10, narrow},
		{[]*gemmArch{split, narrow}, 3136, 10, narrow},
		{[]*gemmArch{even, narrow}, 42, 32, even}, // a tie: the first
		{[]*gemmArch{narrow}, 1024, 1024, narrow},
	} {
		gemmAll = tc.archs
		if got := gemmFor(tc.m, tc.n); got != tc.want {
			t.Errorf("gemmFor(%d, %d) among %d kernels = %s, want %s", tc.m, tc.n, len(tc.archs), got.name, tc.want.name)
		}
	}
	// On this machine the shapes of issue 5's targets take the widest kernel.
	gemmAll = gemmArchs()
	for _, s := range gemmBenchShapes {
		if got := gemmFor(s.m, s.n); got != gemmAll[0] {
			t.Errorf("gemmFor(%d, %d) = %s, want %s", s.m, s.n, got.name, gemmAll[0].name)
		}
	}
}

// TestSgemmAllocs checks that a warmed-up Sgemm call allocates nothing.
func TestSgemmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	m, n, k := 200, 150, 500
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
	if allocs := testing.AllocsPerRun(20, func() {
		Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
	}); allocs != 0 {
		t.Errorf("Sgemm allocates %v times per call, want 0", allocs)
	}
}

// TestSgemmBadArgs checks that operands too short for their shape panic in
// Go (the assembly kernels would otherwise read or write past them).
func TestSgemmBadArgs(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 12), make([]float32, 8)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short C", func() { Sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c[:7], 4) }},
		{"short A", func() { Sgemm(false, false, 2, 4, 3, 1, a[:5], 3, b, 4, 0, c, 4) }},
		{"short B^T", func() { Sgemm(false, true, 2, 4, 3, 1, a, 3, b[:11], 3, 0, c, 4) }},
		{"lda < k", func() { Sgemm(false, false, 2, 4, 3, 1, a, 2, b, 4, 0, c, 4) }},
		{"ldc < n", func() { Sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c, 3) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Sgemm did not panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
	Sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c, 4) // exact sizes are fine
}

// TestSgemmRandomBlocking checks random shapes, transposes and blocking
// parameters (tiny K blocks, chunks, B budgets, thread counts) against the
// float64 product, to reach the driver's corner cases.
func TestSgemmRandomBlocking(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := tensor.NewRNG(3)
	for it := 0; it < 150; it++ {
		m, n, k := 1+rng.Intn(70), 1+rng.Intn(90), 1+rng.Intn(120)
		g := newGemmCase(rng, rng.Intn(2) == 1, rng.Intn(2) == 1, m, n, k)
		kc, mc, bpack, dn := 1+rng.Intn(50), 1+rng.Intn(60), 1+rng.Intn(3000), rng.Intn(2)*1000
		runtime.GOMAXPROCS(1 + rng.Intn(3))
		beta := []float32{0, 1, 0.5}[rng.Intn(3)]
		for _, ar := range testArchs() {
			withBlocking(kc, mc, bpack, dn, func() {
				what := fmt.Sprintf("%s m=%d n=%d k=%d tA=%v tB=%v blocking=%d,%d,%d,%d", ar.name, m, n, k, g.transA, g.transB, kc, mc, bpack, dn)
				g.check(t, what, 1.25, beta, func(c []float32) {
					sgemmBlocked(ar, g.transA, g.transB, g.m, g.n, g.k, 1.25, g.a, g.lda, g.b, g.ldb, beta, c, g.ldc)
				})
			})
		}
	}
}

// matrixRows is a stored op(A) served as a RowSource, to test SgemmRows.
type matrixRows struct {
	a      []float32
	lda    int
	transA bool
}

func (s matrixRows) Rows(dst []float32, lds, i0, rows, pc, kb int) {
	for r := range rows {
		for p := range kb {
			if s.transA {
				dst[r*lds+p] = s.a[(pc+p)*s.lda+i0+r]
			} else {
				dst[r*lds+p] = s.a[(i0+r)*s.lda+pc+p]
			}
		}
	}
}

// TestSgemmRows checks the exported entry point, including K blocks of
// 512 (whose rows are padded apart in the work buffer) and GOMAXPROCS
// independence.
func TestSgemmRows(t *testing.T) {
	rng := tensor.NewRNG(7)
	for _, s := range [][3]int{{1, 1, 1}, {30, 50, 1024}, {100, 64, 576}} {
		g := newGemmCase(rng, false, true, s[0], s[1], s[2])
		withBlocking(512, 504, 1<<21, 128, func() {
			g.check(t, fmt.Sprint("SgemmRows ", s), 1, 0.5, func(c []float32) {
				SgemmRows(matrixRows{g.a, g.lda, false}, true, g.m, g.n, g.k, 1, g.b, g.ldb, 0.5, c, g.ldc)
			})
		})
		var first []float32
		for _, procs := range []int{1, 2, 3} {
			func() {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				c := make([]float32, g.m*g.ldc)
				SgemmRows(matrixRows{g.a, g.lda, false}, true, g.m, g.n, g.k, 1, g.b, g.ldb, 0, c, g.ldc)
				if first == nil {
					first = c
					return
				}
				for i := range c {
					if c[i] != first[i] {
						t.Fatalf("%v: C[%d] = %g with GOMAXPROCS %d, %g with 1", s, i, c[i], procs, first[i])
					}
				}
			}()
		}
	}
}

// TestLastLevelCache decodes CPUID cache descriptions: the largest level
// wins, and the list ends at the first null subleaf.
func TestLastLevelCache(t *testing.T) {
	// One cache per subleaf: type, level, ways, partitions, line, sets.
	type cache struct{ typ, level, ways, parts, line, sets uint32 }
	desc := func(cs ...cache) func(leaf, sub uint32) (eax, ebx, ecx, edx uint32) {
		return func(_, sub uint32) (eax, ebx, ecx, edx uint32) {
			if int(sub) >= len(cs) {
				return 0, 0, 0, 0
			}
			c := cs[sub]
			return c.typ | c.level<<5, (c.ways-1)<<22 | (c.parts-1)<<12 | (c.line - 1), c.sets - 1, 0
		}
	}
	zen4 := desc( // L1d 32 KiB, L1i 32 KiB, L2 1 MiB, L3 32 MiB
		cache{1, 1, 8, 1, 64, 64}, cache{2, 1, 8, 1, 64, 64},
		cache{3, 2, 8, 1, 64, 2048}, cache{3, 3, 16, 1, 64, 32768})
	if got := lastLevelCache(zen4, 0x8000001d); got != 32<<20 {
		t.Errorf("Zen 4-like caches: %d bytes, want %d", got, 32<<20)
	}
	if got := lastLevelCache(desc(), 4); got != 0 {
		t.Errorf("no caches described: %d bytes, want 0", got)
	}
	if got := streamThreshold(32 << 20); got != 4<<20 {
		t.Errorf("streamThreshold(32 MiB) = %d floats, want %d", got, 4<<20)
	}
	if got := streamThreshold(0); got != 4<<20 {
		t.Errorf("streamThreshold(unknown) = %d floats, want %d", got, 4<<20)
	}
}
