package app

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoKeep: the demo prints the report's URL and, with Keep, serves
// after the verdict until its context ends.
func TestDemoKeep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		_, err := Demo(ctx, &out, DemoOptions{Healthy: true, Duration: 20 * time.Minute, Keep: true})
		done <- err
	}()
	serving := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+) until interrupted \(Ctrl-C\): open the report at (http://127\.0\.0\.1:\d+/experiments/(\S+))\n`)
	var m []string
	for deadline := time.Now().Add(2 * time.Minute); m == nil; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("the demo ended without being interrupted: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo does not say it keeps serving:\n%s", out.String())
		}
		m = serving.FindStringSubmatch(out.String())
	}
	base, report, id := m[1], m[2], m[3]
	if !strings.Contains(out.String(), "report: "+report+"\n") {
		t.Errorf("the report's URL is not printed when the experiment is created:\n%s", out.String())
	}
	// After the verdict, the server still answers: the experiment, and its
	// report to a browser.
	var x struct{ Status string }
	getJSON(t, "GET", base+"/api/v1/experiments/"+id, "", http.StatusOK, &x)
	if x.Status != "completed" {
		t.Errorf("status %s, want completed", x.Status)
	}
	req, _ := http.NewRequest(http.MethodGet, report, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("the report answers %s", resp.Header.Get("Content-Type"))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("interrupted demo: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo does not stop when interrupted")
	}
	if !strings.Contains(out.String(), "interrupted: stopping the server") {
		t.Errorf("output:\n%s", out.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after the demo ended")
	}
}
