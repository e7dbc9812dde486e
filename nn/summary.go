package nn

import (
	"fmt"
	"strings"
)

// Summary returns the model as Keras prints it: one row per layer with its
// name and type, output shape (None for the batch) and parameter count, a
// "Connected to" column for functional models, and the parameter totals
// with their size in memory (float32). A residual block is one row; its
// parameter count includes all its sublayers.
func (m *Model) Summary() string {
	functional := m.kind == "Functional"
	header := []string{"Layer (type)", "Output Shape", "Param #"}
	widths := []int{29, 26, 10} // Keras's 65-column layout
	if functional {
		header = append(header, "Connected to")
		widths = []int{32, 22, 11, 33} // and its 98-column one
	}
	var rows [][][]string // row → cell → lines
	if functional {
		for _, n := range m.inputs {
			rows = append(rows, [][]string{{n.name + " (InputLayer)"}, {shapeStr(n.shape)}, {"0"}, {"-"}})
		}
	}
	for _, l := range m.layers {
		var first *Node
		var from []string
		for _, n := range m.nodes {
			if n.layer != l {
				continue
			}
			if first == nil {
				first = n
			}
			for _, p := range n.in {
				from = append(from, p.label())
			}
		}
		params := 0
		for _, w := range l.Weights() {
			params += w.Var.Value.Numel()
		}
		row := [][]string{{l.Name() + " (" + l.Type() + ")"}, {shapeStr(first.shape)}, {thousands(params)}}
		if functional {
			row = append(row, from)
		}
		rows = append(rows, row)
	}
	for _, r := range append([][][]string{toCells(header)}, rows...) {
		for i, cell := range r {
			for _, s := range cell {
				w := len(s) + 1
				if i == 0 {
					w++ // the leading space
				}
				widths[i] = max(widths[i], w)
			}
		}
	}
	total := 0
	for _, w := range widths {
		total += w
	}
	var b strings.Builder
	printRow := func(r [][]string) {
		lines := 0
		for _, c := range r {
			lines = max(lines, len(c))
		}
		for k := range lines {
			var line strings.Builder
			line.WriteByte(' ')
			for i, c := range r {
				s := ""
				if k < len(c) {
					s = c[k]
				}
				w := widths[i]
				if i == 0 {
					w--
				}
				fmt.Fprintf(&line, "%-*s", w, s)
			}
			b.WriteString(strings.TrimRight(line.String(), " "))
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "Model: %q\n", m.name)
	b.WriteString(strings.Repeat("_", total) + "\n")
	printRow(toCells(header))
	b.WriteString(strings.Repeat("=", total) + "\n")
	for _, r := range rows {
		printRow(r)
	}
	b.WriteString(strings.Repeat("=", total) + "\n")
	all, trainable, frozen := m.ParamCounts()
	fmt.Fprintf(&b, "Total params: %s (%s)\n", thousands(all), memSize(all))
	fmt.Fprintf(&b, "Trainable params: %s (%s)\n", thousands(trainable), memSize(trainable))
	fmt.Fprintf(&b, "Non-trainable params: %s (%s)\n", thousands(frozen), memSize(frozen))
	b.WriteString(strings.Repeat("_", total) + "\n")
	return b.String()
}

func toCells(h []string) [][]string {
	r := make([][]string, len(h))
	for i, s := range h {
		r[i] = []string{s}
	}
	return r
}

// thousands formats n with comma separators: 115338 → "115,338".
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// memSize is the memory n float32 values take, as Keras 3 prints it
// (1024-based units, two decimals): 450.54 KB.
func memSize(n int) string {
	v := float64(n) * 4
	units := []string{"B", "KB", "MB", "GB", "TB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.2f %s", v, units[i])
}
