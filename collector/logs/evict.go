package logs

import "time"

// evictIdle drops the counter state of series without records for
// IdleTimeout, under l.mu, looking at most once a minute (or a quarter of
// the timeout). Without it the state of every series ever seen (one per
// labels, severity and pattern) would stay in memory.
func (l *Logs) evictIdle(now time.Time) {
	idle := l.cfg.IdleTimeout
	if idle <= 0 || now.Sub(l.swept) < min(idle/4, time.Minute) {
		return
	}
	l.swept = now
	for k, st := range l.series {
		if now.Sub(st.seen) > idle {
			delete(l.series, k)
		}
	}
}
