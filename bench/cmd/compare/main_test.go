package main

import (
	"slices"
	"testing"
)

func TestParseGo(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkE2E/cnn_train_b32-2         	     100	  17733883 ns/op	      1804 samples/s	39568264 B/op	     561 allocs/op
BenchmarkE2E/bert_train-2            	       3	 209561185 ns/op	       209.6 ms/iter	176241712 B/op	     749 allocs/op
BenchmarkE2E/bert_forward            	       3	 209561185 ns/op	       76.95 ms/iter
PASS
`)
	res := results{}
	if err := parseGo(out, res); err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{"cnn_train_b32": {1804}, "bert_train": {209.6}, "bert_forward": {76.95}}
	for k, v := range want {
		if !slices.Equal(res["resnorm"][k], v) {
			t.Errorf("%s: got %v, want %v", k, res["resnorm"][k], v)
		}
	}
	if got := res[allocsSide]["bert_train"]; !slices.Equal(got, []float64{749}) {
		t.Errorf("bert_train allocs/op: got %v, want [749]", got)
	}
	if len(res["resnorm"]) != len(want) {
		t.Errorf("got workloads %v, want %v", res["resnorm"], want)
	}
	if err := parseGo([]byte("PASS\n"), results{}); err == nil {
		t.Error("output without results parsed without error")
	}
}

func TestStats(t *testing.T) {
	for _, c := range []struct {
		xs          []float64
		med, lo, hi float64
	}{
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 3, 1, 5},
		{[]float64{4, 1, 2, 3}, 2.5, 1, 4},
	} {
		med, lo, hi := stats(c.xs)
		if med != c.med || lo != c.lo || hi != c.hi {
			t.Errorf("stats(%v) = %g, %g, %g; want %g, %g, %g", c.xs, med, lo, hi, c.med, c.lo, c.hi)
		}
	}
}

func TestPairedRatio(t *testing.T) {
	// Round 2 ran on a loaded machine: both sides halved, its ratio holds.
	g, tv := []float64{400, 200, 410}, []float64{200, 100, 250}
	if got := pairedRatio(g, tv, true); got != 2 {
		t.Errorf("throughput paired ratio = %g, want 2 (the median of 2, 2, 1.64)", got)
	}
	if got := pairedRatio([]float64{10, 20}, []float64{30, 40}, false); got != 2.5 {
		t.Errorf("time paired ratio = %g, want 2.5 (the median of 3 and 2)", got)
	}
	if got := pairedRatio([]float64{1, 2}, []float64{1}, true); got != 0 {
		t.Errorf("rounds that do not pair: %g, want 0", got)
	}
}
