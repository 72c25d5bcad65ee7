package analysis

import (
	"context"
	"time"
)

// Progress is told about each judged interval: its verdict and when the
// next interval comes due (zero after the last).
type Progress func(v Verdict, next time.Time)

// RunLocal runs one experiment in this process, without a store or
// scheduler (augur analyze): it waits for each interval to come due,
// judges it, applies the limits, and returns the final verdict and the
// interval verdicts. It returns early with ctx's error if ctx ends.
func RunLocal(ctx context.Context, spec Spec, sources Sources, progress Progress) (Verdict, []Verdict, error) {
	start := time.Now().UTC()
	sch := spec.Schedule(start)
	var st RunState
	var intervals []Verdict
	for i := 0; i < sch.Count; i++ {
		_, _, due := sch.Window(i)
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return Verdict{}, intervals, ctx.Err()
			case <-t.C:
			}
		}
		v := EvaluateInterval(ctx, spec, sch, i, &st, sources)
		if err := ctx.Err(); err != nil {
			return Verdict{}, intervals, err
		}
		intervals = append(intervals, v)
		d := Decide(spec, &st, i, v)
		var next time.Time
		if !d.Done && i+1 < sch.Count {
			_, _, next = sch.Window(i + 1)
		}
		if progress != nil {
			progress(v, next)
		}
		if d.Done {
			d.Final.CompletedAt = time.Now().UTC()
			return d.Final, intervals, nil
		}
	}
	// Unreachable: Decide ends the run at the last interval.
	return intervals[len(intervals)-1], intervals, nil
}
