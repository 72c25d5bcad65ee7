package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/augurhq/augur/analysis"
)

const templateColumns = "name, body, created_at, updated_at, version"

func scanTemplate(sc scanner) (analysis.TemplateRecord, error) {
	var (
		rec              analysis.TemplateRecord
		name             string
		body             []byte
		created, updated dbTime
	)
	if err := sc.Scan(&name, &body, &created, &updated, &rec.Version); err != nil {
		return rec, err
	}
	if err := json.Unmarshal(body, &rec.Template); err != nil {
		return rec, fmt.Errorf("template %s: decode: %w", name, err)
	}
	rec.Name, rec.CreatedAt, rec.UpdatedAt = name, created.Time, updated.Time
	return rec, nil
}

// PutTemplate creates or replaces the template named t.Name; with
// ifVersion > 0 only that stored version is replaced.
func (s *Store) PutTemplate(ctx context.Context, t analysis.Template, ifVersion int64) (analysis.TemplateRecord, bool, error) {
	if t.Name == "" {
		return analysis.TemplateRecord{}, false, errors.New("state: put template: empty name")
	}
	body, err := jsonArg("template", t)
	if err != nil {
		return analysis.TemplateRecord{}, false, err
	}
	var (
		out     analysis.TemplateRecord
		created bool
	)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.t(s.clock())
		var stored int64
		switch err := tx.QueryRowContext(ctx, `SELECT version FROM templates WHERE name = $1`, t.Name).Scan(&stored); {
		case errors.Is(err, sql.ErrNoRows):
			if ifVersion > 0 {
				return fmt.Errorf("state: template %s: %w", t.Name, analysis.ErrNotFound)
			}
			created = true
			out, err = scanTemplate(tx.QueryRowContext(ctx, `INSERT INTO templates (`+templateColumns+`)
				VALUES ($1, $2, $3, $3, 1) RETURNING `+templateColumns, t.Name, body, now))
			if err != nil {
				return s.dbErr("create template "+t.Name, err)
			}
			return nil
		case err != nil:
			return fmt.Errorf("state: put template %s: %w", t.Name, err)
		}
		if ifVersion > 0 && stored != ifVersion {
			return fmt.Errorf("state: put template %s: version %d is stale, stored is %d: %w", t.Name, ifVersion, stored, analysis.ErrConflict)
		}
		out, err = scanTemplate(tx.QueryRowContext(ctx, `UPDATE templates SET body = $2, updated_at = $3, version = version + 1
			WHERE name = $1 RETURNING `+templateColumns, t.Name, body, now))
		if err != nil {
			return fmt.Errorf("state: put template %s: %w", t.Name, err)
		}
		return nil
	})
	return out, created, err
}

// GetTemplate returns a template or ErrNotFound.
func (s *Store) GetTemplate(ctx context.Context, name string) (analysis.TemplateRecord, error) {
	rec, err := scanTemplate(s.read.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM templates WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("state: template %s: %w", name, analysis.ErrNotFound)
	}
	if err != nil {
		return rec, fmt.Errorf("state: get template %s: %w", name, err)
	}
	return rec, nil
}

// ListTemplates returns the templates ordered by name.
func (s *Store) ListTemplates(ctx context.Context) ([]analysis.TemplateRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+templateColumns+` FROM templates ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("state: list templates: %w", err)
	}
	defer rows.Close()
	var out []analysis.TemplateRecord
	for rows.Next() {
		rec, err := scanTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("state: list templates: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: list templates: %w", err)
	}
	return out, nil
}

// DeleteTemplate removes a template; ErrNotFound if none is stored.
func (s *Store) DeleteTemplate(ctx context.Context, name string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM templates WHERE name = $1`, name)
		if err != nil {
			return fmt.Errorf("state: delete template %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("state: delete template %s: %w", name, err)
		} else if n == 0 {
			return fmt.Errorf("state: template %s: %w", name, analysis.ErrNotFound)
		}
		return nil
	})
}
