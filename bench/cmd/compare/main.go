// Command compare runs resnorm's end-to-end benchmarks (bench/e2e_test.go)
// and their PyTorch peer (bench/torch_e2e.py) alternately in the same
// session, R rounds, and prints per workload each side's median, min and
// max and the ratio of the medians, oriented so that > 1 always means
// resnorm is better: resnorm/PyTorch for throughput, PyTorch/resnorm for
// times and for peak memory.
//
// Alternating (and swapping which side goes first each round) makes both
// sides share whatever else the machine is doing; the medians over rounds
// damp the rest. Two more columns read the rounds differently: "best", the
// ratio of each side's best round, and "paired", the median of the rounds'
// own ratios (each pairs two runs made close together in time).
//
// Peak RSS is measured with /usr/bin/time -v on a fixed-length seed-CNN
// training run of each side (bench/cmd/cnnrun and torch_e2e.py
// --rss-steps), once per round.
//
// The peer runs as REFERENCE.md prescribes for a fair comparison: Debian's
// python3-torch on OpenBLAS (libopenblas0-openmp), torch.set_num_threads and
// OMP_NUM_THREADS equal to -threads, OPENBLAS_CORETYPE unset (so OpenBLAS
// picks its AVX-512 kernels; -peer-coretype overrides) and
// ATEN_CPU_CAPABILITY=avx512 (-torch-capability "" leaves torch's default).
// The torch version, capability and loaded BLAS are printed.
//
// Usage, from the repository root:
//
//	go run ./bench/cmd/compare [-rounds 3] [-seconds 2] [-threads 2] [-rss-steps 300]
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// workload is one row of the table; name is shared by the Go benchmark
// (BenchmarkE2E/<name>) and torch_e2e.py.
type workload struct {
	name, unit string
	higher     bool // higher is better (throughput)
}

var workloads = []workload{
	{"cnn_train_b32", "samples/s", true},
	{"cnn_train_b128", "samples/s", true},
	{"cnn_infer_b1000", "samples/s", true},
	{"bert_train", "ms/iter", false},
	{"bert_forward", "ms/iter", false},
}

const rssRow = "cnn_peak_rss"

// allocsSide keys the resnorm benchmarks' allocs/op in results.
const allocsSide = "resnorm allocs"

type config struct {
	rounds, threads, rssSteps int
	seconds                   float64
	python, capability, core  string
	layout                    string
	only                      []workload
}

func main() {
	var c config
	var names string
	flag.IntVar(&c.rounds, "rounds", 3, "rounds; each runs every workload once per side")
	flag.Float64Var(&c.seconds, "seconds", 2, "minimum timed seconds per workload per side per round")
	flag.IntVar(&c.threads, "threads", 2, "threads for each side (GOMAXPROCS; torch threads and OMP_NUM_THREADS)")
	flag.IntVar(&c.rssSteps, "rss-steps", 300, "training steps (batch 32) of the peak-RSS runs; 0 skips them")
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "Python with torch on OpenBLAS")
	flag.StringVar(&c.capability, "torch-capability", "avx512", `ATEN_CPU_CAPABILITY for the peer ("" leaves torch's default)`)
	flag.StringVar(&c.core, "peer-coretype", "", `OPENBLAS_CORETYPE for the peer ("" unsets it: OpenBLAS detects the CPU)`)
	flag.StringVar(&c.layout, "torch-layout", "channels_last", "memory layout of the peer's CNN: channels_last or nchw")
	flag.StringVar(&names, "workloads", "", "comma-separated subset of workloads (default all)")
	flag.Parse()
	if c.rounds < 1 || c.threads < 1 || c.seconds <= 0 || c.rssSteps < 0 {
		fatalf("-rounds, -threads and -seconds must be positive, -rss-steps not negative")
	}
	c.only = workloads
	if names != "" {
		c.only = nil
		for _, n := range strings.Split(names, ",") {
			i := slices.IndexFunc(workloads, func(w workload) bool { return w.name == n })
			if i < 0 {
				fatalf("unknown workload %q", n)
			}
			c.only = append(c.only, workloads[i])
		}
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "compare: "+format+"\n", args...)
	os.Exit(1)
}

// results[side][workload] holds one value per round.
type results map[string]map[string][]float64

func (r results) add(side, name string, v float64) {
	if r[side] == nil {
		r[side] = map[string][]float64{}
	}
	r[side][name] = append(r[side][name], v)
}

func run(c config) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "resnorm-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	benchBin := filepath.Join(tmp, "bench.test")
	cnnrun := filepath.Join(tmp, "cnnrun")
	for _, args := range [][]string{
		{"test", "-c", "-o", benchBin, "./bench"},
		{"build", "-o", cnnrun, "./bench/cmd/cnnrun"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
	}
	script := filepath.Join(root, "bench", "torch_e2e.py")
	peerEnv := peerEnviron(c)

	var names []string
	for _, w := range c.only {
		names = append(names, w.name)
	}
	goCmd := []string{benchBin, "-test.run", "^$",
		"-test.bench", "^BenchmarkE2E$/^(" + strings.Join(names, "|") + ")$",
		"-test.cpu", strconv.Itoa(c.threads), "-test.benchtime", fmt.Sprintf("%gs", c.seconds)}
	pyCmd := []string{c.python, script, "--threads", strconv.Itoa(c.threads),
		"--seconds", fmt.Sprint(c.seconds), "--layout", c.layout, "--workloads", strings.Join(names, ",")}
	goRSS := []string{"/usr/bin/time", "-v", cnnrun, "-steps", strconv.Itoa(c.rssSteps), "-batch", "32"}
	pyRSS := []string{"/usr/bin/time", "-v", c.python, script, "--threads", strconv.Itoa(c.threads),
		"--layout", c.layout, "--rss-steps", strconv.Itoa(c.rssSteps)}

	fmt.Printf("resnorm: %s\n", strings.Join(rel(root, goCmd), " "))
	fmt.Printf("PyTorch: %s %s\n", strings.Join(envShown(c), " "), strings.Join(rel(root, pyCmd), " "))
	if c.rssSteps > 0 {
		fmt.Printf("peak RSS: GOMAXPROCS=%d %s  vs  %s\n", c.threads, strings.Join(rel(root, goRSS), " "), strings.Join(rel(root, pyRSS), " "))
	}

	fmt.Printf("load average before: %s\n", loadAvg())
	res := results{}
	peerInfo := map[string]bool{}
	for r := range c.rounds {
		fmt.Fprintf(os.Stderr, "round %d/%d\n", r+1, c.rounds)
		sides := []string{"resnorm", "torch"}
		if r%2 == 1 { // swap who goes first, so neither always runs on a cooler machine
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			var err error
			if side == "resnorm" {
				err = runGo(goCmd, res)
			} else {
				err = runTorch(pyCmd, peerEnv, res, peerInfo)
			}
			if err != nil {
				return err
			}
		}
		if c.rssSteps > 0 {
			for _, side := range sides {
				cmd, env := goRSS, append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(c.threads))
				if side == "torch" {
					cmd, env = pyRSS, peerEnv
				}
				kb, err := peakRSS(cmd, env)
				if err != nil {
					return err
				}
				res.add(side, rssRow, float64(kb)/1024)
			}
		}
	}
	after := loadAvg()
	fmt.Printf("load average after:  %s\n", after)
	if f := strings.Fields(after); len(f) > 0 {
		if l, err := strconv.ParseFloat(f[0], 64); err == nil && l > float64(c.threads)+0.5 {
			fmt.Printf("WARNING: load average %s with %d benchmark threads: other processes shared the CPUs, and\n"+
				"OpenMP (torch) degrades far more than Go under oversubscription; rerun on a quiet machine\n", f[0], c.threads)
		}
	}
	for _, l := range sortedKeys(peerInfo) {
		fmt.Println("PyTorch peer:", l)
	}
	printTable(c, res)
	return nil
}

// repoRoot is the directory of the main module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the resnorm module (no go.mod found)")
	}
	return filepath.Dir(mod), nil
}

func peerEnviron(c config) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "OPENBLAS_CORETYPE" || k == "OMP_NUM_THREADS" || k == "ATEN_CPU_CAPABILITY" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, envShown(c)...)
}

// envShown is the part of the peer's environment that compare sets.
func envShown(c config) []string {
	env := []string{"OMP_NUM_THREADS=" + strconv.Itoa(c.threads)}
	if c.capability != "" {
		env = append(env, "ATEN_CPU_CAPABILITY="+c.capability)
	}
	if c.core != "" {
		env = append(env, "OPENBLAS_CORETYPE="+c.core)
	}
	return env
}

// rel shortens absolute paths under root and the temporary binaries for
// printing.
func rel(root string, args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case strings.HasSuffix(a, "/bench.test"):
			a = "$(go test -c ./bench)"
		case strings.HasSuffix(a, "/cnnrun"):
			a = "$(go build ./bench/cmd/cnnrun)"
		case strings.HasPrefix(a, root+"/"):
			a = strings.TrimPrefix(a, root+"/")
		case strings.ContainsAny(a, "|^$()"):
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// goLine matches a benchmark result line, e.g.
// "BenchmarkE2E/cnn_train_b32-2  100  8612345 ns/op  3715 samples/s ...".
var goLine = regexp.MustCompile(`^BenchmarkE2E/(\S+?)(-\d+)?\s+\d+\s`)

func runGo(args []string, res results) error {
	cmd := exec.Command(args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Stderr.Write(out.Bytes())
		return fmt.Errorf("resnorm benchmarks: %w", err)
	}
	if err := parseGo(out.Bytes(), res); err != nil {
		os.Stderr.Write(out.Bytes())
		return fmt.Errorf("resnorm benchmarks: %w", err)
	}
	return nil
}

// parseGo adds the samples/s and ms/iter metrics of go test -bench output
// to res.
func parseGo(out []byte, res results) error {
	got := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := goLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(sc.Text())
		for i := 1; i < len(f); i++ {
			side := "resnorm"
			switch f[i] {
			case "samples/s", "ms/iter":
				got++
			case "allocs/op":
				side = allocsSide
			default:
				continue
			}
			v, err := strconv.ParseFloat(f[i-1], 64)
			if err != nil {
				return fmt.Errorf("bad value in %q", sc.Text())
			}
			res.add(side, m[1], v)
		}
	}
	if got == 0 {
		return errors.New("no results in the output")
	}
	return nil
}

func runTorch(args, env []string, res results, info map[string]bool) error {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		os.Stderr.Write(errb.Bytes())
		return fmt.Errorf("PyTorch peer: %w", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if l != "" {
			info[l] = true
		}
	}
	got := 0
	for _, l := range strings.Split(out.String(), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || f[0] != "e2e" {
			continue
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return fmt.Errorf("PyTorch peer: bad value in %q", l)
		}
		res.add("torch", f[1], v)
		got++
	}
	if got == 0 {
		return fmt.Errorf("PyTorch peer: no results in the output %q", out.String())
	}
	return nil
}

var maxRSS = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

// peakRSS runs args (a /usr/bin/time -v command line) and returns the
// child's peak resident set size in kB.
func peakRSS(args, env []string) (int, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		os.Stderr.Write(errb.Bytes())
		return 0, fmt.Errorf("%s: %w", args[2], err)
	}
	m := maxRSS.FindSubmatch(errb.Bytes())
	if m == nil {
		return 0, fmt.Errorf("%s: no peak RSS in /usr/bin/time -v output", args[2])
	}
	return strconv.Atoi(string(m[1]))
}

// loadAvg is the first three fields of /proc/loadavg, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func stats(xs []float64) (med, lo, hi float64) {
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

// pairedRatio is the median over rounds of each round's ratio (higher:
// g/t, else t/g), pairing the two sides' runs of the same round, which ran
// minutes apart at most: a slow drift in the machine's other load moves
// both values of a pair and cancels in its ratio. 0 when the sides have
// different numbers of rounds.
func pairedRatio(g, t []float64, higher bool) float64 {
	if len(g) != len(t) || len(g) == 0 {
		return 0
	}
	rs := make([]float64, len(g))
	for i := range g {
		rs[i] = t[i] / g[i]
		if higher {
			rs[i] = g[i] / t[i]
		}
	}
	m, _, _ := stats(rs)
	return m
}

func printTable(c config, res results) {
	rows := slices.Clone(c.only)
	if c.rssSteps > 0 {
		rows = append(rows, workload{rssRow, "MB", false})
	}
	fmt.Printf("\n%d round(s), %d thread(s) each side; median [min, max]; ratio > 1 means resnorm is better\n", c.rounds, c.threads)
	fmt.Printf("(throughput: resnorm/PyTorch; time and memory: PyTorch/resnorm)\n")
	fmt.Printf("(best: the ratio of each side's best round, the least disturbed by other load)\n")
	fmt.Printf("(paired: the median of the rounds' own ratios, each round's two runs side by side)\n")
	fmt.Printf("%-16s %-10s %28s %28s %7s %7s %7s\n", "workload", "unit", "resnorm", "PyTorch", "ratio", "best", "paired")
	for _, w := range rows {
		g, t := res["resnorm"][w.name], res["torch"][w.name]
		if len(g) == 0 || len(t) == 0 {
			fmt.Printf("%-16s %-10s %28s %28s %7s %7s %7s\n", w.name, w.unit, cell(g), cell(t), "-", "-", "-")
			continue
		}
		gm, glo, ghi := stats(g)
		tm, tlo, thi := stats(t)
		ratio, best := tm/gm, tlo/glo
		if w.higher {
			ratio, best = gm/tm, ghi/thi
		}
		paired := "-"
		if p := pairedRatio(g, t, w.higher); p > 0 {
			paired = fmt.Sprintf("%6.2fx", p)
		}
		fmt.Printf("%-16s %-10s %28s %28s %6.2fx %6.2fx %7s\n", w.name, w.unit, cell(g), cell(t), ratio, best, paired)
	}
	var allocs []string
	for _, w := range c.only {
		if a := res[allocsSide][w.name]; len(a) > 0 {
			m, _, _ := stats(a)
			allocs = append(allocs, fmt.Sprintf("%s %.0f", w.name, m))
		}
	}
	if len(allocs) > 0 {
		fmt.Printf("(resnorm heap allocations per iteration, median: %s)\n", strings.Join(allocs, ", "))
	}
	if c.rssSteps > 0 {
		fmt.Printf("(%s: peak resident set of a %d-step seed-CNN training run at batch 32)\n", rssRow, c.rssSteps)
	}
}

func cell(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	m, lo, hi := stats(xs)
	return fmt.Sprintf("%s [%s, %s]", num(m), num(lo), num(hi))
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}
