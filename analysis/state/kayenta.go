package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/augurhq/augur/analysis"
)

// KayentaConfig is a stored Kayenta canary config: the JSON its client sent
// (Body), with the name and applications copied out for listing.
type KayentaConfig struct {
	ID           string
	Name         string
	Applications []string
	Body         json.RawMessage
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Execution kinds: a single judgement (POST /canary) or Kayenta's
// standalone multi-interval analysis.
const (
	KayentaCanary     = "canary"
	KayentaStandalone = "standalone"
)

// KayentaExecution is a Kayenta execution: the augur experiment with the
// same ID, and the config and request that created it.
type KayentaExecution struct {
	ID   string
	Kind string
	// ConfigID is the stored config's ID, "" for a config sent inline.
	ConfigID    string
	Application string
	Config      json.RawMessage
	Request     json.RawMessage
	Warnings    []string
	CreatedAt   time.Time
}

const kayentaConfigColumns = `id, name, applications, body, created_at, updated_at`

// CreateKayentaConfig stores a new config: ErrConflict if its ID exists.
func (s *Store) CreateKayentaConfig(ctx context.Context, c KayentaConfig) error {
	if c.ID == "" {
		return errors.New("state: create kayenta config: empty ID")
	}
	apps, err := jsonArg("applications", nonNil(c.Applications))
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO kayenta_configs (`+kayentaConfigColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			c.ID, c.Name, apps, string(c.Body), s.t(c.CreatedAt), s.t(c.UpdatedAt))
		if err != nil {
			return s.dbErr("create kayenta config "+c.ID, err)
		}
		return nil
	})
}

// UpdateKayentaConfig replaces a stored config (all but CreatedAt):
// ErrNotFound for an unknown ID.
func (s *Store) UpdateKayentaConfig(ctx context.Context, c KayentaConfig) error {
	apps, err := jsonArg("applications", nonNil(c.Applications))
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE kayenta_configs SET name = $1, applications = $2, body = $3, updated_at = $4 WHERE id = $5`,
			c.Name, apps, string(c.Body), s.t(c.UpdatedAt), c.ID)
		if err != nil {
			return s.dbErr("update kayenta config "+c.ID, err)
		}
		return affected(res, "kayenta config "+c.ID)
	})
}

// GetKayentaConfig returns one config or ErrNotFound.
func (s *Store) GetKayentaConfig(ctx context.Context, id string) (KayentaConfig, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+kayentaConfigColumns+` FROM kayenta_configs WHERE id = $1`, id)
	c, err := scanKayentaConfig(row)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("state: kayenta config %s: %w", id, analysis.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("state: get kayenta config %s: %w", id, err)
	}
	return c, nil
}

// ListKayentaConfigs returns the configs, by name then ID; with
// applications given, only those that name one of them.
func (s *Store) ListKayentaConfigs(ctx context.Context, applications []string) ([]KayentaConfig, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+kayentaConfigColumns+` FROM kayenta_configs ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("state: list kayenta configs: %w", err)
	}
	defer rows.Close()
	out := []KayentaConfig{}
	for rows.Next() {
		c, err := scanKayentaConfig(rows)
		if err != nil {
			return nil, fmt.Errorf("state: list kayenta configs: %w", err)
		}
		if len(applications) == 0 || slices.ContainsFunc(c.Applications, func(a string) bool { return slices.Contains(applications, a) }) {
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: list kayenta configs: %w", err)
	}
	return out, nil
}

// DeleteKayentaConfig removes a config: ErrNotFound for an unknown ID.
// Executions started from it keep their copy of it.
func (s *Store) DeleteKayentaConfig(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM kayenta_configs WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("state: delete kayenta config %s: %w", id, err)
		}
		return affected(res, "kayenta config "+id)
	})
}

const kayentaExecutionColumns = `id, kind, config_id, application, config, request, warnings, created_at`

// CreateKayentaExecution records an execution of the experiment with the
// same ID: ErrNotFound if there is no such experiment, ErrConflict if the
// execution exists.
func (s *Store) CreateKayentaExecution(ctx context.Context, x KayentaExecution) error {
	warnings, err := jsonArg("warnings", nonNil(x.Warnings))
	if err != nil {
		return err
	}
	if x.CreatedAt.IsZero() {
		x.CreatedAt = s.clock()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO kayenta_executions (`+kayentaExecutionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			x.ID, x.Kind, x.ConfigID, x.Application, string(x.Config), string(x.Request), warnings, s.t(x.CreatedAt))
		if err != nil {
			return s.dbErr("create kayenta execution "+x.ID, err)
		}
		return nil
	})
}

// GetKayentaExecution returns one execution or ErrNotFound.
func (s *Store) GetKayentaExecution(ctx context.Context, id string) (KayentaExecution, error) {
	var (
		x                 KayentaExecution
		cfg, req, warning string
		created           dbTime
	)
	err := s.read.QueryRowContext(ctx, `SELECT `+kayentaExecutionColumns+` FROM kayenta_executions WHERE id = $1`, id).
		Scan(&x.ID, &x.Kind, &x.ConfigID, &x.Application, &cfg, &req, &warning, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return x, fmt.Errorf("state: kayenta execution %s: %w", id, analysis.ErrNotFound)
	}
	if err != nil {
		return x, fmt.Errorf("state: get kayenta execution %s: %w", id, err)
	}
	x.Config, x.Request, x.CreatedAt = json.RawMessage(cfg), json.RawMessage(req), created.Time
	if err := json.Unmarshal([]byte(warning), &x.Warnings); err != nil {
		return x, fmt.Errorf("state: kayenta execution %s: warnings: %w", id, err)
	}
	return x, nil
}

func scanKayentaConfig(sc scanner) (KayentaConfig, error) {
	var (
		c                KayentaConfig
		apps, body       string
		created, updated dbTime
	)
	if err := sc.Scan(&c.ID, &c.Name, &apps, &body, &created, &updated); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(apps), &c.Applications); err != nil {
		return c, fmt.Errorf("applications: %w", err)
	}
	c.Body, c.CreatedAt, c.UpdatedAt = json.RawMessage(body), created.Time, updated.Time
	return c, nil
}

// affected turns an update or delete of no row into ErrNotFound.
func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("state: %s: %w", what, analysis.ErrNotFound)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
