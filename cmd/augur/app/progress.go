package app

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/augurhq/augur/analysis"
)

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress reports augur analyze's intervals: a bar redrawn every second on
// a terminal, one plain line per interval otherwise.
type progress struct {
	w     io.Writer
	bar   bool
	total int

	mu     sync.Mutex
	done   int
	last   string
	next   time.Time
	quit   chan struct{}
	closed bool
	wg     sync.WaitGroup
}

func newProgress(w io.Writer, spec analysis.Spec, bar bool) *progress {
	p := &progress{w: w, bar: bar, total: spec.IntervalCount(), quit: make(chan struct{})}
	_, _, p.next = spec.Schedule(time.Now()).Window(0)
	if bar {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				p.draw()
				select {
				case <-p.quit:
					return
				case <-t.C:
				}
			}
		}()
	} else {
		fmt.Fprintf(w, "%s: %d interval(s); the first is due at %s\n", spec.Name, p.total, p.next.Format(time.RFC3339))
	}
	return p
}

func (p *progress) interval(v analysis.Verdict, next time.Time) {
	p.mu.Lock()
	p.done, p.next = v.Interval, next
	p.last = fmt.Sprintf("%s (%s)", v.Verdict, analysis.ScoreText(v.Score))
	p.mu.Unlock()
	if !p.bar {
		fmt.Fprintf(p.w, "interval %d/%d [%s .. %s]: %s, score %s: %s\n", v.Interval, v.Intervals,
			v.Window.Start.Format(time.RFC3339), v.Window.End.Format(time.RFC3339), v.Verdict, analysis.ScoreText(v.Score), oneLine(v.Reason))
		return
	}
	p.draw()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	const width = 30
	filled := width * p.done / max(1, p.total)
	line := fmt.Sprintf("[%s%s] %d/%d intervals", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, p.total)
	if p.last != "" {
		line += " | last: " + p.last
	}
	if !p.next.IsZero() && p.done < p.total {
		line += " | next in " + time.Until(p.next).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

// stop ends the bar (idempotent), leaving its last state on its own line.
func (p *progress) stop() {
	if !p.bar {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	close(p.quit)
	p.wg.Wait()
	p.draw()
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	fmt.Fprintln(p.w)
}
