// Command abuse replays, against a running augur on loopback, the requests
// one hostile or buggy client can send, and prints per attack what the
// server answered, whether a well-behaved sender kept working, and the
// server's resident memory before and after. scripts/abuse.sh starts a
// fresh server and runs it; docs/hardening.md records its output.
//
// It only targets loopback addresses, bounds every attack in time and
// size, and exits by itself: 0 when every attack was answered as it should
// be and the well-behaved sender never failed, 1 otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080", "augur's base URL (loopback only)")
	pid := flag.Int("pid", 0, "the server's process id, to read its resident memory (0: not shown)")
	only := flag.String("only", "", "comma-separated attack names to run (default all)")
	markdown := flag.Bool("markdown", false, "print a Markdown table (for docs/hardening.md)")
	flag.Parse()
	if err := loopbackOnly(*target); err != nil {
		fmt.Fprintln(os.Stderr, "abuse:", err)
		os.Exit(2)
	}
	h := &harness{base: strings.TrimRight(*target, "/"), pid: *pid, client: &http.Client{Timeout: 30 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := h.probe(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "abuse: the well-behaved sender fails before any attack:", err)
		os.Exit(2)
	}
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	if *markdown {
		fmt.Println("| attack | ok | server answered | well-behaved sender | RSS before → after (peak) |")
		fmt.Println("|---|---|---|---|---|")
	} else {
		fmt.Printf("%-22s %-6s %-58s %-34s %s\n", "attack", "ok", "server answered", "well-behaved sender", "RSS before → after (peak)")
	}
	bad := 0
	for _, a := range attacks() {
		if len(want) > 0 && !want[a.name] {
			continue
		}
		before := h.rss()
		res := a.run(ctx, h)
		after := h.rss() + " (" + h.peak() + ")"
		ok := res.answerOK && res.senderOK
		if !ok {
			bad++
		}
		if *markdown {
			fmt.Printf("| %s | %s | %s | %s | %s → %s |\n", a.name, yesNo(ok), cell(clip(res.answer, 160)), cell(res.sender), before, after)
		} else {
			fmt.Printf("%-22s %-6s %-58s %-34s %s → %s\n", a.name, yesNo(ok), clip(res.answer, 58), clip(res.sender, 34), before, after)
		}
	}
	if bad > 0 {
		fmt.Printf("\n%d attack(s) did lasting damage or were answered wrongly\n", bad)
		os.Exit(1)
	}
	fmt.Println("\nevery attack was refused or contained; the well-behaved sender kept working")
}

// loopbackOnly refuses any target that is not a loopback address.
func loopbackOnly(target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q: only loopback targets are allowed", target)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// cell escapes a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// rss reads the server's resident memory from /proc.
func (h *harness) rss() string { return h.status("VmRSS:") }

// peak reads the server's peak resident memory since it started.
func (h *harness) peak() string { return h.status("VmHWM:") }

// status reads one memory field of /proc/PID/status, in MB.
func (h *harness) status(field string) string {
	if h.pid == 0 {
		return "-"
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.pid))
	if err != nil {
		return "gone"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			var kb float64
			fmt.Sscan(f[1], &kb)
			return fmt.Sprintf("%.0f MB", kb/1024)
		}
	}
	return "?"
}
