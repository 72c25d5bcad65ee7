package state

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

func kayentaCases() []suiteCase {
	return []suiteCase{
		{"KayentaConfigCRUD", testKayentaConfigCRUD},
		{"KayentaExecution", testKayentaExecution},
	}
}

func kayentaConfig(id, name string, apps ...string) KayentaConfig {
	body := `{"id":"` + id + `","name":"` + name + `","metrics":[{"name":"latency","query":{"type":"prometheus"}}],"note":"kept \u00e9 as sent"}`
	return KayentaConfig{ID: id, Name: name, Applications: apps, Body: json.RawMessage(body),
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
}

func testKayentaConfigCRUD(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	for _, c := range []KayentaConfig{kayentaConfig("c2", "checkout", "shop", "payments"), kayentaConfig("c1", "api", "api"), kayentaConfig("c3", "checkout", "shop")} {
		if err := s.CreateKayentaConfig(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateKayentaConfig(ctx, kayentaConfig("c1", "other", "x")); !errors.Is(err, analysis.ErrConflict) {
		t.Fatalf("create with an existing ID: %v, want ErrConflict", err)
	}
	got, err := s.GetKayentaConfig(ctx, "c2")
	if err != nil {
		t.Fatal(err)
	}
	want := kayentaConfig("c2", "checkout", "shop", "payments")
	want.CreatedAt, want.UpdatedAt = stored(want.CreatedAt), stored(want.UpdatedAt)
	mustEqual(t, "config", got, want)

	ids := func(apps ...string) []string {
		list, err := s.ListKayentaConfigs(ctx, apps)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range list {
			out = append(out, c.ID)
		}
		return out
	}
	mustEqual(t, "all, by name then ID", ids(), []string{"c1", "c2", "c3"})
	mustEqual(t, "application shop", ids("shop"), []string{"c2", "c3"})
	mustEqual(t, "applications payments or api", ids("payments", "api"), []string{"c1", "c2"})
	mustEqual(t, "unknown application", ids("nope"), []string{})

	upd := kayentaConfig("c3", "checkout-v2", "payments")
	upd.CreatedAt, upd.UpdatedAt = t0.Add(time.Hour), t0.Add(time.Minute)
	if err := s.UpdateKayentaConfig(ctx, upd); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetKayentaConfig(ctx, "c3")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "checkout-v2" || !got.CreatedAt.Equal(stored(t0)) || !got.UpdatedAt.Equal(stored(t0.Add(time.Minute))) {
		t.Errorf("after update: name %q created %s updated %s (created must not change)", got.Name, got.CreatedAt, got.UpdatedAt)
	}
	mustEqual(t, "application payments after update", ids("payments"), []string{"c2", "c3"})
	if err := s.UpdateKayentaConfig(ctx, kayentaConfig("c9", "x", "y")); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("update unknown: %v, want ErrNotFound", err)
	}

	if err := s.DeleteKayentaConfig(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetKayentaConfig(ctx, "c2"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("get deleted: %v, want ErrNotFound", err)
	}
	if err := s.DeleteKayentaConfig(ctx, "c2"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("delete twice: %v, want ErrNotFound", err)
	}
	mustEqual(t, "after delete", ids(), []string{"c1", "c3"})
}

func testKayentaExecution(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	x := KayentaExecution{ID: "e0", Kind: KayentaCanary, ConfigID: "c1", Application: "shop",
		Config: json.RawMessage(`{"name":"checkout"}`), Request: json.RawMessage(`{"scopes":{}}`),
		Warnings: []string{"judge.name x: not y"}, CreatedAt: t0}
	if err := s.CreateKayentaExecution(ctx, x); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("execution of a missing experiment: %v, want ErrNotFound", err)
	}
	createExperiments(t, s, 1)
	if err := s.CreateKayentaExecution(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKayentaExecution(ctx, x); !errors.Is(err, analysis.ErrConflict) {
		t.Fatalf("second execution with one ID: %v, want ErrConflict", err)
	}
	got, err := s.GetKayentaExecution(ctx, "e0")
	if err != nil {
		t.Fatal(err)
	}
	x.CreatedAt = stored(x.CreatedAt)
	mustEqual(t, "execution", got, x)
	if _, err := s.GetKayentaExecution(ctx, "nope"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("unknown execution: %v, want ErrNotFound", err)
	}
	if err := s.DeleteExperiment(ctx, "e0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetKayentaExecution(ctx, "e0"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("execution of a deleted experiment: %v, want ErrNotFound", err)
	}
}
