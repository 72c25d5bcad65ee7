package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/augurhq/augur/collector/store"
)

// RepairArgs are the flags of augur store repair.
type RepairArgs struct {
	// ConfigFile is the server's YAML configuration (optional): its store
	// section gives the data directory and the defaults below.
	ConfigFile string
	// DataDir overrides store.dir.
	DataDir string
	// DropBefore and DropAfter bound the samples kept: RFC 3339 times or
	// now±duration ("now+10m", "now-360h"). "" is now - store.retention and
	// now + store.max_future.
	DropBefore, DropAfter string
	// BackupDir receives the replaced files ("" = a store-backup-<time>
	// directory in the data directory).
	BackupDir string
	// DryRun only reports what would be dropped.
	DryRun bool
}

// StoreRepair runs augur store repair: it rewrites the store in the data
// directory without the samples outside [drop-before, drop-after] (see
// store.Repair), with the server stopped, and reports what it did on out.
// Errors in the arguments wrap ErrBadInput.
func StoreRepair(ctx context.Context, out io.Writer, logger *slog.Logger, args RepairArgs) error {
	cfg := DefaultConfig()
	if args.ConfigFile != "" {
		var err error
		if cfg, err = LoadConfig(args.ConfigFile); err != nil {
			return fmt.Errorf("%w: %v", ErrBadInput, err)
		}
	}
	if args.DataDir != "" {
		cfg.Store.Dir = args.DataDir
	}
	if err := cfg.Store.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	now := time.Now()
	keep := cfg.Store.Window(now)
	keep.Min = now.Add(-cfg.Store.Retention).UnixMilli()
	for _, b := range []struct {
		flag, arg string
		bound     *int64
	}{{"--drop-before", args.DropBefore, &keep.Min}, {"--drop-after", args.DropAfter, &keep.Max}} {
		if b.arg == "" {
			continue
		}
		t, err := parseTimeArg(b.arg, now)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBadInput, b.flag, err)
		}
		*b.bound = t.UnixMilli()
	}
	if keep.Min > keep.Max {
		return fmt.Errorf("%w: --drop-before (%s) is after --drop-after (%s)", ErrBadInput,
			time.UnixMilli(keep.Min).UTC().Format(time.RFC3339), time.UnixMilli(keep.Max).UTC().Format(time.RFC3339))
	}
	rep, err := store.Repair(ctx, cfg.Store.Dir, store.RepairOptions{Keep: keep, BackupDir: args.BackupDir, DryRun: args.DryRun}, logger)
	if err != nil {
		return err
	}
	span := func(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }
	fmt.Fprintf(out, "store %s: keeping samples from %s to %s\n", cfg.Store.Dir, span(keep.Min), span(keep.Max))
	if rep.Newest.IsZero() {
		fmt.Fprintln(out, "the store is empty: nothing to repair")
		return nil
	}
	fmt.Fprintf(out, "it holds samples from %s to %s\n", rep.Oldest.Format(time.RFC3339), rep.Newest.Format(time.RFC3339))
	fmt.Fprintf(out, "outside the window: %d samples before, %d after\n", rep.DroppedBefore, rep.DroppedAfter)
	switch {
	case rep.DroppedBefore+rep.DroppedAfter == 0:
		fmt.Fprintln(out, "nothing to repair: the store is left as it is")
	case args.DryRun:
		fmt.Fprintln(out, "dry run: nothing changed")
	default:
		fmt.Fprintf(out, "rewritten: %d samples kept in %d blocks (exemplars are not kept); the replaced files are in %s\n",
			rep.Kept, rep.Blocks, rep.BackupDir)
		fmt.Fprintln(out, "start augur serve, check the data, then delete the backup directory")
	}
	return nil
}

// parseTimeArg reads an RFC 3339 time, "now", or now plus or minus a Go
// duration ("now+10m", "now-360h").
func parseTimeArg(s string, now time.Time) (time.Time, error) {
	rest, ok := strings.CutPrefix(s, "now")
	if !ok {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time or now±duration (now+10m)", s)
		}
		return t, nil
	}
	if rest == "" {
		return now, nil
	}
	if rest[0] != '+' && rest[0] != '-' {
		return time.Time{}, fmt.Errorf("%q: want now+duration or now-duration", s)
	}
	d, err := time.ParseDuration(rest[1:])
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %v", s, err)
	}
	if rest[0] == '-' {
		d = -d
	}
	return now.Add(d), nil
}

// warnFutureSamples says at start when the store already holds samples
// further ahead of the clock than the time window allows (written by an
// older augur): until they leave the head, every current sample is refused
// as too old. Only an offline repair mends that.
func warnFutureSamples(logger *slog.Logger, st *store.Store, cfg store.Config) {
	_, maxt, ok := st.StoredRange()
	now := time.Now()
	if !ok || maxt <= now.Add(cfg.MaxFuture).UnixMilli() {
		return
	}
	logger.Warn("the store holds samples in the future: samples older than the newest one minus store.out_of_order_window are refused as too old; "+
		"stop augur and run: augur store repair --data-dir "+cfg.Dir+" (with --config as augur serve has it)",
		"newest_sample", time.UnixMilli(maxt).UTC().Format(time.RFC3339), "ahead_of_clock", time.UnixMilli(maxt).Sub(now).Round(time.Second).String())
}
