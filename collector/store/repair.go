package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/fileutil"
)

// RepairOptions says which samples Repair keeps: those in [Keep.Min,
// Keep.Max] (milliseconds, inclusive).
type RepairOptions struct {
	Keep TimeWindow
	// BackupDir receives the TSDB files the repair replaces; "" is
	// store-backup-<UTC time> in the data directory.
	BackupDir string
	// DryRun only counts what would be dropped and changes nothing.
	DryRun bool
}

// RepairReport says what Repair found and did.
type RepairReport struct {
	// Oldest and Newest are the times of the samples the store held.
	Oldest, Newest time.Time
	// DroppedBefore and DroppedAfter count the samples outside the window;
	// Kept those in it (counted only when the store was rewritten).
	DroppedBefore, DroppedAfter, Kept int64
	// Blocks is the number of blocks written.
	Blocks int
	// BackupDir holds the replaced files when Changed.
	BackupDir string
	// Changed says whether the store was rewritten.
	Changed bool
}

// repairBlockRange is the span of one written block: the TSDB's head block
// range, so that memory stays bounded by what a head holds anyway.
const repairBlockRange = tsdb.DefaultBlockDuration

// Repair rewrites the TSDB in dir without the samples outside
// opts.Keep and keeps everything else: float samples and native histograms
// (exemplars, which live in memory only, and series metadata are not kept).
// It is for a store poisoned by samples far ahead of or behind the clock,
// which no deletion can mend: tombstones do not lower the head's max time,
// and a snapshot keeps the head's range. Run it with the server stopped (the
// TSDB's lock refuses a store in use).
//
// The kept samples are read range by range (two hours at a time, as
// promtool's backfill writes them) into new blocks in a temporary directory
// inside dir; only when all are written are the TSDB's files (blocks,
// write-ahead logs, head chunks) moved to the backup directory and the new
// blocks moved in. Other files in dir, such as the experiment state
// (augur.db), are never touched. When nothing lies outside the window the
// store is left as it is.
func Repair(ctx context.Context, dir string, opts RepairOptions, logger *slog.Logger) (RepairReport, error) {
	var rep RepairReport
	if opts.Keep.Min > opts.Keep.Max {
		return rep, fmt.Errorf("repair: nothing to keep: the window ends (%s) before it starts (%s)", formatMillis(opts.Keep.Max), formatMillis(opts.Keep.Min))
	}
	if ok, err := holdsTSDB(dir); err != nil || !ok {
		return rep, errors.Join(fmt.Errorf("repair: no store in %s (no wal directory or blocks)", dir), err)
	}
	tsdbOpts := tsdb.DefaultOptions()
	tsdbOpts.RetentionDuration, tsdbOpts.MaxBytes = 0, 0 // a poisoned newest block must not expire the rest
	tsdbOpts.OutOfOrderTimeWindow = DefaultConfig().OutOfOrderWindow.Milliseconds()
	tsdbOpts.BlockReloadInterval = 24 * time.Hour
	db, err := tsdb.Open(dir, logger.With("component", "tsdb"), nil, tsdbOpts, nil)
	if err != nil {
		return rep, fmt.Errorf("repair: open the store in %s (is augur serve still running? stop it first): %w", dir, err)
	}
	// A poisoned head is "compactable" forever: never let compaction start.
	db.DisableCompactions()
	defer func() {
		if db != nil {
			_ = db.Close()
		}
	}()
	mint, maxt, ok := storedRange(db)
	if !ok {
		return rep, nil
	}
	rep.Oldest, rep.Newest = time.UnixMilli(mint).UTC(), time.UnixMilli(maxt).UTC()
	if mint < opts.Keep.Min {
		if rep.DroppedBefore, err = countSamples(ctx, db, mint, opts.Keep.Min-1); err != nil {
			return rep, err
		}
	}
	if maxt > opts.Keep.Max {
		if rep.DroppedAfter, err = countSamples(ctx, db, opts.Keep.Max+1, maxt); err != nil {
			return rep, err
		}
	}
	if opts.DryRun || rep.DroppedBefore+rep.DroppedAfter == 0 {
		return rep, nil
	}

	stamp := time.Now().UTC().Format("20060102T150405Z")
	tmp := filepath.Join(dir, "repair-"+stamp+".tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return rep, fmt.Errorf("repair: %w", err)
	}
	keepMin, keepMax := max(mint, opts.Keep.Min), min(maxt, opts.Keep.Max)
	for t0 := floorDiv(keepMin, repairBlockRange) * repairBlockRange; t0 <= keepMax; t0 += repairBlockRange {
		n, err := writeRange(ctx, db, tmp, max(t0, keepMin), min(t0+repairBlockRange-1, keepMax), logger)
		if err != nil {
			_ = os.RemoveAll(tmp)
			return rep, fmt.Errorf("repair: rewrite %s to %s: %w", formatMillis(t0), formatMillis(t0+repairBlockRange), err)
		}
		if n > 0 {
			rep.Kept += n
			rep.Blocks++
		}
	}
	if err := db.Close(); err != nil {
		_ = os.RemoveAll(tmp)
		return rep, fmt.Errorf("repair: close the store: %w", err)
	}
	db = nil

	rep.BackupDir = opts.BackupDir
	if rep.BackupDir == "" {
		rep.BackupDir = filepath.Join(dir, "store-backup-"+stamp)
	}
	if err := swapIn(dir, tmp, rep.BackupDir); err != nil {
		return rep, err
	}
	rep.Changed = true
	return rep, nil
}

// holdsTSDB says whether dir looks like a TSDB: a write-ahead log or a block.
func holdsTSDB(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if isTSDBEntry(dir, e) {
			return true, nil
		}
	}
	return false, nil
}

// isTSDBEntry says whether an entry of the data directory belongs to the
// TSDB: a block (a ULID-named directory with meta.json), the write-ahead
// logs, the head's chunks and chunk snapshots.
func isTSDBEntry(dir string, e os.DirEntry) bool {
	name := e.Name()
	switch {
	case !e.IsDir():
		return false
	case name == "wal" || name == "wbl" || name == "chunks_head" || strings.HasPrefix(name, "chunk_snapshot."):
		return true
	case len(name) == 26 && strings.Trim(name, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") == "":
		_, err := os.Stat(filepath.Join(dir, name, "meta.json"))
		return err == nil
	}
	return false
}

// storedRange is Store.StoredRange over a TSDB.
func storedRange(db *tsdb.DB) (mint, maxt int64, ok bool) {
	mint, maxt = math.MaxInt64, math.MinInt64
	for _, b := range db.Blocks() {
		m := b.Meta()
		mint, maxt = min(mint, m.MinTime), max(maxt, m.MaxTime-1) // blocks are [MinTime, MaxTime)
	}
	h := db.Head()
	if h.NumSeries() > 0 {
		mint, maxt = min(mint, h.MinTime(), h.MinOOOTime()), max(maxt, h.MaxTime(), h.MaxOOOTime())
	}
	return mint, maxt, mint <= maxt
}

var allSeries = labels.MustNewMatcher(labels.MatchRegexp, model.MetricNameLabel, ".*")

// countSamples counts the samples in [mint, maxt].
func countSamples(ctx context.Context, db *tsdb.DB, mint, maxt int64) (int64, error) {
	q, err := db.Querier(mint, maxt)
	if err != nil {
		return 0, fmt.Errorf("repair: query %s to %s: %w", formatMillis(mint), formatMillis(maxt), err)
	}
	defer q.Close()
	var n int64
	var it chunkenc.Iterator
	ss := q.Select(ctx, false, nil, allSeries)
	for ss.Next() {
		it = ss.At().Iterator(it)
		for it.Next() != chunkenc.ValNone {
			n++
		}
		if err := it.Err(); err != nil {
			return n, fmt.Errorf("repair: read %s: %w", ss.At().Labels(), err)
		}
	}
	if err := ss.Err(); err != nil {
		return n, fmt.Errorf("repair: read: %w", err)
	}
	return n, nil
}

// writeRange copies the samples in [mint, maxt] into one new block in dir
// and returns how many it copied (no block when none).
func writeRange(ctx context.Context, db *tsdb.DB, dir string, mint, maxt int64, logger *slog.Logger) (n int64, err error) {
	q, err := db.Querier(mint, maxt)
	if err != nil {
		return 0, err
	}
	defer q.Close()
	var (
		w   *tsdb.BlockWriter
		app storage.Appender
		it  chunkenc.Iterator
	)
	defer func() {
		if w != nil {
			err = errors.Join(err, w.Close())
		}
	}()
	ss := q.Select(ctx, false, nil, allSeries)
	for ss.Next() {
		ls := ss.At().Labels()
		it = ss.At().Iterator(it)
		var ref storage.SeriesRef
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			if w == nil {
				// The block writer's head accepts samples half its range
				// behind the newest one; twice the block range lets series
				// be written one after the other over the whole range.
				if w, err = tsdb.NewBlockWriter(logger, dir, 2*repairBlockRange); err != nil {
					return 0, err
				}
				app = w.Appender(ctx)
			}
			switch vt {
			case chunkenc.ValFloat:
				t, v := it.At()
				ref, err = app.Append(ref, ls, t, v)
			case chunkenc.ValHistogram:
				t, h := it.AtHistogram(nil)
				ref, err = app.AppendHistogram(ref, ls, t, h, nil)
			case chunkenc.ValFloatHistogram:
				t, fh := it.AtFloatHistogram(nil)
				ref, err = app.AppendHistogram(ref, ls, t, nil, fh)
			}
			if err != nil {
				_ = app.Rollback()
				return 0, fmt.Errorf("%s: %w", ls, err)
			}
			if n++; n%100_000 == 0 {
				if err := app.Commit(); err != nil {
					return 0, err
				}
				app = w.Appender(ctx)
			}
		}
		if err := it.Err(); err != nil {
			if app != nil {
				_ = app.Rollback()
			}
			return 0, fmt.Errorf("%s: %w", ls, err)
		}
	}
	if w == nil {
		return 0, ss.Err()
	}
	if err := ss.Err(); err != nil {
		_ = app.Rollback()
		return 0, err
	}
	if err := app.Commit(); err != nil {
		return 0, err
	}
	if _, err := w.Flush(ctx); err != nil {
		return 0, err
	}
	return n, nil
}

// swapIn moves the TSDB's files from dir into backup and the blocks written
// in tmp into dir, under the TSDB's lock so that no server opens the store
// meanwhile.
func swapIn(dir, tmp, backup string) error {
	lockPath := filepath.Join(dir, "lock")
	lock, _, err := fileutil.Flock(lockPath)
	if err != nil {
		return fmt.Errorf("repair: lock %s (is augur serve running?): %w; the new blocks are in %s", dir, err, tmp)
	}
	defer func() {
		// As the TSDB does on a clean close: a lock file left behind
		// means a crash to the next start.
		_ = lock.Release()
		_ = os.Remove(lockPath)
	}()
	if err := os.MkdirAll(backup, 0o755); err != nil {
		return fmt.Errorf("repair: create the backup directory: %w; the new blocks are in %s", err, tmp)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	for _, e := range entries {
		if !isTSDBEntry(dir, e) {
			continue
		}
		if err := os.Rename(filepath.Join(dir, e.Name()), filepath.Join(backup, e.Name())); err != nil {
			return fmt.Errorf("repair: move %s to the backup: %w; the files moved so far are in %s, the new blocks in %s", e.Name(), err, backup, tmp)
		}
	}
	blocks, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	for _, e := range blocks {
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("repair: move block %s into place: %w; the old files are in %s, the new blocks in %s", e.Name(), err, backup, tmp)
		}
	}
	return os.Remove(tmp)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
