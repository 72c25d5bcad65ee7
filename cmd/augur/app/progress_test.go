package app

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgress(t *testing.T) {
	spec := analysis.Spec{Name: "x", Timing: analysis.Timing{Lifetime: analysis.Duration(time.Hour), Interval: analysis.Duration(15 * time.Minute)}}
	v := analysis.Verdict{Interval: 1, Intervals: 4, Verdict: judges.OutcomePass, Score: new(100.0), Reason: "fine"}
	t.Run("bar on a terminal", func(t *testing.T) {
		var out lockedBuffer
		p := newProgress(&out, spec, true)
		p.interval(v, time.Now().Add(15*time.Minute))
		p.stop()
		p.stop() // idempotent
		s := out.String()
		for _, want := range []string{"\r\033[K[", "[#######.......................] 1/4 intervals | last: pass (100.0) | next in 1"} {
			if !strings.Contains(s, want) {
				t.Errorf("bar output lacks %q: %q", want, s)
			}
		}
		if !strings.HasSuffix(s, "\n") {
			t.Errorf("the bar must end its line: %q", s)
		}
	})
	t.Run("plain lines otherwise", func(t *testing.T) {
		var out lockedBuffer
		p := newProgress(&out, spec, false)
		p.interval(v, time.Time{})
		p.stop()
		s := out.String()
		if strings.Contains(s, "\r") || !strings.Contains(s, "x: 4 interval(s)") || !strings.Contains(s, "interval 1/4 [") || !strings.Contains(s, "pass, score 100.0: fine") {
			t.Errorf("plain output: %q", s)
		}
	})
}
