package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Progress prints a Keras-like progress line per epoch:
//
//	Epoch 1/3
//	1250/1875 [===================>..........] - 12s 9ms/step - ETA: 5s - loss: 0.2113 - accuracy: 0.9362
//
// On a terminal the line is redrawn in place (carriage return) at most ten
// times a second; when the output is not a terminal (CI logs, files) it prints
// a plain line every Every steps and at the end of the epoch, so logs stay short.
type Progress struct {
	W     io.Writer
	TTY   bool
	Every int // steps between plain lines when !TTY; 0 means a tenth of the epoch

	epochs, total int
	start, last   time.Time
	lastStep      int
	now           func() time.Time
}

// NewProgress writes to w, detecting whether w is a terminal.
func NewProgress(w io.Writer) *Progress {
	return &Progress{W: w, TTY: isTerminal(w), now: time.Now}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// BeginEpoch prints the epoch header and resets the clock.
func (p *Progress) BeginEpoch(epoch, epochs, stepsPerEpoch, startStep int) {
	if p.now == nil {
		p.now = time.Now
	}
	p.epochs, p.total = epochs, stepsPerEpoch
	p.start = p.now()
	p.last = time.Time{}
	p.lastStep = startStep
	fmt.Fprintf(p.W, "Epoch %d/%d\n", epoch+1, epochs)
}

// Step reports that `step` of the epoch's steps are done, with running metrics.
func (p *Progress) Step(step int, metrics []Metric) {
	now := p.now()
	final := step == p.total
	if p.TTY {
		if !final && now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last = now
		fmt.Fprintf(p.W, "\r%s\x1b[K", p.line(step, metrics, now))
		if final {
			fmt.Fprintln(p.W)
		}
		return
	}
	every := p.Every
	if every <= 0 {
		every = max(p.total/10, 1)
	}
	if final || step%every == 0 {
		fmt.Fprintln(p.W, p.line(step, metrics, now))
	}
}

// EndEpoch prints extra end-of-epoch metrics (validation) on their own line.
func (p *Progress) EndEpoch(metrics []Metric) {
	if len(metrics) > 0 {
		fmt.Fprintf(p.W, "  %s\n", formatMetrics(metrics))
	}
}

func (p *Progress) line(step int, metrics []Metric, now time.Time) string {
	const width = 30
	done := 0
	if p.total > 0 {
		done = width * step / p.total
	}
	bar := strings.Repeat("=", done)
	if done < width {
		bar += ">" + strings.Repeat(".", width-done-1)
	}
	el := now.Sub(p.start)
	ran := step - p.lastStep
	per := time.Duration(0)
	if ran > 0 {
		per = el / time.Duration(ran)
	}
	digits := len(fmt.Sprint(p.total))
	s := fmt.Sprintf("%*d/%d [%s] - %s %s/step", digits, step, p.total, bar, roundDur(el), roundDur(per))
	if step < p.total && ran > 0 {
		s += " - ETA: " + roundDur(per*time.Duration(p.total-step)).String()
	}
	if len(metrics) > 0 {
		s += " - " + formatMetrics(metrics)
	}
	return s
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

// Metric is a named value shown in progress lines and logs.
type Metric struct {
	Name  string
	Value float64
}

func formatMetrics(ms []Metric) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%s: %.4f", m.Name, m.Value)
	}
	return strings.Join(parts, " - ")
}
