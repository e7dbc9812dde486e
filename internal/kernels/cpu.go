package kernels

// cpuFeatures records the x86 vector extensions the GEMM micro-kernels can
// use; each flag is set only when both the CPU and the OS (saved register
// state, XCR0) support it. All false on other architectures and with the
// purego build tag.
type cpuFeatures struct {
	AVX2, FMA, AVX512F bool
	// HalfAVX512: the cores execute a 512-bit multiply-add as two 256-bit
	// halves (AMD Zen 4), so AVX-512 does little more work per cycle than
	// AVX2 and the smaller AVX2 tile can win where it pads much less (see
	// gemmFor).
	HalfAVX512 bool
	// LastLevelCache is the size in bytes of the largest cache level (the
	// L3 on most x86 parts; 0 where CPUID does not say).
	LastLevelCache int
}

var cpu = detectCPU()

// detectX86 decodes CPUID/XGETBV results; maxLeaf, leaf1 ECX, leaf7 EBX and
// XCR0 come from the assembly helpers (kept separate so it is testable).
func detectX86(maxLeaf, ecx1, ebx7 uint32, xcr0 uint64) cpuFeatures {
	const (
		fmaBit     = 1 << 12 // CPUID.1:ECX
		osxsaveBit = 1 << 27 // CPUID.1:ECX
		avxBit     = 1 << 28 // CPUID.1:ECX
		avx2Bit    = 1 << 5  // CPUID.7.0:EBX
		avx512FBit = 1 << 16 // CPUID.7.0:EBX
		xcrYMM     = 0x6     // XCR0: SSE and AVX state
		xcrZMM     = 0xe6    // XCR0: plus opmask, ZMM_Hi256, Hi16_ZMM
	)
	var f cpuFeatures
	if ecx1&osxsaveBit == 0 || ecx1&avxBit == 0 || xcr0&xcrYMM != xcrYMM || maxLeaf < 7 {
		return f
	}
	f.FMA = ecx1&fmaBit != 0
	f.AVX2 = ebx7&avx2Bit != 0
	f.AVX512F = ebx7&avx512FBit != 0 && xcr0&xcrZMM == xcrZMM
	return f
}

// halfWidthAVX512 reports whether a CPU, named by its CPUID vendor string
// and leaf-1 EAX signature, runs AVX-512 on 256-bit units: AMD family 19h
// (Zen 4; its Zen 3 siblings have no AVX-512). Zen 5 (family 1Ah) and Intel
// cores run it at full width.
func halfWidthAVX512(vendor string, eax1 uint32) bool {
	family := eax1 >> 8 & 0xf
	if family == 0xf {
		family += eax1 >> 20 & 0xff
	}
	return vendor == "AuthenticAMD" && family == 0x19
}

// lastLevelCache returns the size in bytes of the largest cache level the
// CPUID deterministic cache parameters describe (leaf 4 on Intel,
// 0x8000001D on AMD; the leaf is passed in), or 0 if they describe none.
// Each subleaf is one cache: EAX[4:0] its type (0: no more), EAX[7:5] its
// level; size = ways·partitions·line·sets, each stored minus one in EBX
// and ECX.
func lastLevelCache(cpuid func(leaf, sub uint32) (eax, ebx, ecx, edx uint32), leaf uint32) int {
	level, size := uint32(0), 0
	for sub := uint32(0); sub < 16; sub++ {
		eax, ebx, ecx, _ := cpuid(leaf, sub)
		if eax&0x1f == 0 {
			break
		}
		ways, parts, line := int(ebx>>22&0x3ff)+1, int(ebx>>12&0x3ff)+1, int(ebx&0xfff)+1
		if l := eax >> 5 & 7; l >= level {
			level, size = l, ways*parts*line*(int(ecx)+1)
		}
	}
	return size
}
