package logs

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Wildcard stands for a variable token in a pattern's template.
const Wildcard = "<*>"

const (
	// maxTokens bounds the tokens of one line that take part in clustering;
	// the rest collapse into one trailing wildcard.
	maxTokens = 256
	// maxTokenLen: longer tokens (blobs, base64, stack frames glued
	// together) are masked.
	maxTokenLen = 128
	// maxExampleBytes bounds one stored example line.
	maxExampleBytes = 2048
	// maxVersionsPerPattern bounds the per-version statistics of one
	// pattern; the least recently seen version is dropped first.
	maxVersionsPerPattern = 32
)

// Drain is a Drain log-template clusterer (He et al., "Drain: An Online Log
// Parsing Approach with Fixed Depth Tree", ICWS 2017), one prefix tree per
// service. A line is masked and tokenized on whitespace, routed by its token
// count and its first Depth-2 tokens to a leaf, and joins the leaf's most
// similar pattern if at least SimilarityThreshold of the tokens agree; the
// pattern's template then turns the differing tokens into wildcards.
// Otherwise it starts a new pattern.
//
// Patterns are shared by the versions of a service, so one error signature
// has one pattern ID in a baseline and a canary; counts, first/last seen and
// examples are kept per version. At most MaxClusters patterns are held; the
// least recently matched is evicted. Given the same lines in the same order
// the result is the same. Drain is safe for concurrent use.
type Drain struct {
	cfg      DrainConfig
	examples int

	mu    sync.Mutex
	trees map[string]*node // by service
	lru   *list.List       // of *cluster, most recently matched first
}

type node struct {
	children map[string]*node
	clusters []*cluster
}

type cluster struct {
	service  string
	id       string
	tokens   []string
	path     []string // keys from the service root to the leaf
	elem     *list.Element
	versions map[string]*versionStats
	evicted  bool
}

type versionStats struct {
	count       int64
	first, last time.Time
	examples    []Example // ring
	next        int
}

// Example is one recent line of a pattern.
type Example struct {
	Time    time.Time `json:"time"`
	Line    string    `json:"line"`
	TraceID string    `json:"trace_id,omitempty"`
}

// Pattern is what Patterns reports of one cluster for one version (or for
// all versions of the service).
type Pattern struct {
	ID        string    `json:"pattern_id"`
	Template  string    `json:"template"`
	Count     int64     `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Examples are the most recent lines, oldest first.
	Examples []Example `json:"examples"`
}

// Match is a line's pattern, returned by Drain.Match and handed back to
// Drain.Observe.
type Match struct {
	ID string
	c  *cluster
}

// NewDrain returns an empty clusterer. examples bounds the example ring per
// pattern and version. cfg must be valid (see Config.Validate).
func NewDrain(cfg DrainConfig, examples int) *Drain {
	return &Drain{cfg: cfg, examples: examples, trees: map[string]*node{}, lru: list.New()}
}

// Add clusters one line and records it as seen at t under version; it is
// Match followed by Observe.
func (d *Drain) Add(service, version string, t time.Time, line, traceID string) string {
	m := d.Match(service, line)
	d.Observe(m, version, t, line, traceID)
	return m.ID
}

// Match finds or creates the pattern of line, updating its template, but
// does not count the line: Observe does, once the line's samples are
// stored.
func (d *Drain) Match(service, line string) Match {
	tokens := Tokenize(line)
	d.mu.Lock()
	defer d.mu.Unlock()
	root := d.trees[service]
	if root == nil {
		root = &node{children: map[string]*node{}}
		d.trees[service] = root
	}
	if c := d.search(root, tokens); c != nil {
		for i, t := range tokens {
			if c.tokens[i] != t {
				c.tokens[i] = Wildcard
			}
		}
		d.lru.MoveToFront(c.elem)
		return Match{ID: c.id, c: c}
	}
	c := &cluster{service: service, id: PatternID(strings.Join(tokens, " ")), tokens: tokens, versions: map[string]*versionStats{}}
	d.insert(root, c)
	c.elem = d.lru.PushFront(c)
	for d.lru.Len() > d.cfg.MaxClusters {
		d.evict(d.lru.Back().Value.(*cluster))
	}
	return Match{ID: c.id, c: c}
}

// Observe counts a line matched by Match. A pattern evicted since is not
// counted.
func (d *Drain) Observe(m Match, version string, t time.Time, line, traceID string) {
	if m.c == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := m.c
	if c.evicted {
		return
	}
	vs := c.versions[version]
	if vs == nil {
		if len(c.versions) >= maxVersionsPerPattern {
			var oldest string
			for v, s := range c.versions {
				if oldest == "" || s.last.Before(c.versions[oldest].last) || (s.last.Equal(c.versions[oldest].last) && v < oldest) {
					oldest = v
				}
			}
			delete(c.versions, oldest)
		}
		vs = &versionStats{first: t, last: t}
		c.versions[version] = vs
	}
	vs.count++
	if t.Before(vs.first) {
		vs.first = t
	}
	if t.After(vs.last) {
		vs.last = t
	}
	if d.examples > 0 {
		ex := Example{Time: t, Line: truncate(line, maxExampleBytes), TraceID: traceID}
		if len(vs.examples) < d.examples {
			vs.examples = append(vs.examples, ex)
		} else {
			vs.examples[vs.next] = ex
		}
		vs.next = (vs.next + 1) % d.examples
	}
}

// Patterns returns the patterns of service seen under version (under any
// version when version is ""), most frequent first.
func (d *Drain) Patterns(service, version string) []Pattern {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Pattern
	for e := d.lru.Front(); e != nil; e = e.Next() {
		c := e.Value.(*cluster)
		if c.service != service {
			continue
		}
		p, n := d.merge(c, func(_, v string) bool { return version == "" || v == version })
		if n == 0 {
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Lookup returns the pattern with id, its counts, first and last seen and
// examples merged over the services and versions that keep accepts (none
// accepted: the template alone). A pattern ID is a hash of a template, so
// two services may share one; their statistics are merged too, under the
// template of the most recently matched. found is false when no pattern
// has id (never seen, or evicted).
func (d *Drain) Lookup(id string, keep func(service, version string) bool) (p Pattern, found bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var exs []Example
	for e := d.lru.Front(); e != nil; e = e.Next() {
		c := e.Value.(*cluster)
		if c.id != id {
			continue
		}
		q, _ := d.merge(c, keep)
		if !found {
			p.ID, p.Template = q.ID, q.Template
		}
		found = true
		p.Count += q.Count
		if !q.FirstSeen.IsZero() && (p.FirstSeen.IsZero() || q.FirstSeen.Before(p.FirstSeen)) {
			p.FirstSeen = q.FirstSeen
		}
		if q.LastSeen.After(p.LastSeen) {
			p.LastSeen = q.LastSeen
		}
		exs = append(exs, q.Examples...)
	}
	p.Examples = d.recent(exs)
	return p, found
}

// merge sums the statistics of c's versions that keep accepts; n is how
// many it accepted. d.mu is held.
func (d *Drain) merge(c *cluster, keep func(service, version string) bool) (p Pattern, n int) {
	p = Pattern{ID: c.id, Template: strings.Join(c.tokens, " ")}
	var exs []Example
	for v, vs := range c.versions {
		if !keep(c.service, v) {
			continue
		}
		n++
		p.Count += vs.count
		if p.FirstSeen.IsZero() || vs.first.Before(p.FirstSeen) {
			p.FirstSeen = vs.first
		}
		if vs.last.After(p.LastSeen) {
			p.LastSeen = vs.last
		}
		// The ring in age order.
		exs = append(exs, vs.examples[vs.next%max(len(vs.examples), 1):]...)
		exs = append(exs, vs.examples[:vs.next%max(len(vs.examples), 1)]...)
	}
	p.Examples = d.recent(exs)
	return p, n
}

// recent sorts examples oldest first and keeps the most recent d.examples.
func (d *Drain) recent(exs []Example) []Example {
	sort.SliceStable(exs, func(i, j int) bool {
		if !exs[i].Time.Equal(exs[j].Time) {
			return exs[i].Time.Before(exs[j].Time)
		}
		return exs[i].Line < exs[j].Line
	})
	if len(exs) > d.examples {
		exs = exs[len(exs)-d.examples:]
	}
	return exs
}

// Len returns how many patterns are held.
func (d *Drain) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lru.Len()
}

// search walks the tree as insert would and returns the most similar
// cluster of the leaf, or nil.
func (d *Drain) search(root *node, tokens []string) *cluster {
	n := root.children[strconv.Itoa(len(tokens))]
	for i := 0; n != nil && i < len(tokens) && i < d.cfg.Depth-2; i++ {
		next := n.children[tokens[i]]
		if next == nil {
			next = n.children[Wildcard]
		}
		n = next
	}
	if n == nil {
		return nil
	}
	var best *cluster
	bestSim, bestParams := -1.0, -1
	for _, c := range n.clusters {
		sim, params := similarity(c.tokens, tokens)
		if sim > bestSim || (sim == bestSim && params > bestParams) {
			best, bestSim, bestParams = c, sim, params
		}
	}
	if best == nil || bestSim < d.cfg.SimilarityThreshold {
		return nil
	}
	return best
}

// similarity is Drain's seqDist: the fraction of positions where template
// and line agree, and how many template positions are wildcards. An empty
// line is identical to the empty template.
func similarity(template, tokens []string) (float64, int) {
	if len(tokens) == 0 {
		return 1, 0
	}
	same, params := 0, 0
	for i, t := range template {
		switch {
		case t == tokens[i]:
			same++
		case t == Wildcard:
			params++
		}
	}
	return float64(same) / float64(len(tokens)), params
}

// insert adds c to the leaf its tokens lead to, creating nodes as Drain
// does: a token with digits, or one that would exceed MaxChildren, goes
// under the wildcard child.
func (d *Drain) insert(root *node, c *cluster) {
	key := strconv.Itoa(len(c.tokens))
	c.path = append(c.path, key)
	n := child(root, key)
	for i := 0; i < len(c.tokens) && i < d.cfg.Depth-2; i++ {
		tok := c.tokens[i]
		if _, ok := n.children[tok]; !ok {
			_, hasWild := n.children[Wildcard]
			switch {
			case hasDigit(tok):
				tok = Wildcard
			case hasWild && len(n.children) >= d.cfg.MaxChildren:
				tok = Wildcard
			case !hasWild && len(n.children)+1 >= d.cfg.MaxChildren:
				tok = Wildcard
			}
		}
		c.path = append(c.path, tok)
		n = child(n, tok)
	}
	n.clusters = append(n.clusters, c)
}

func child(n *node, key string) *node {
	c := n.children[key]
	if c == nil {
		c = &node{children: map[string]*node{}}
		n.children[key] = c
	}
	return c
}

// evict drops c from its leaf and prunes the nodes left empty.
func (d *Drain) evict(c *cluster) {
	c.evicted = true
	d.lru.Remove(c.elem)
	root := d.trees[c.service]
	nodes := []*node{root}
	n := root
	for _, k := range c.path {
		n = n.children[k]
		if n == nil {
			return
		}
		nodes = append(nodes, n)
	}
	for i, x := range n.clusters {
		if x == c {
			n.clusters = append(n.clusters[:i], n.clusters[i+1:]...)
			break
		}
	}
	for i := len(nodes) - 1; i > 0; i-- {
		if len(nodes[i].children) > 0 || len(nodes[i].clusters) > 0 {
			break
		}
		delete(nodes[i-1].children, c.path[i-1])
	}
	if len(root.children) == 0 {
		delete(d.trees, c.service)
	}
}

// PatternID is a short stable hash of a template: the first 12 hex digits
// of its SHA-256. A pattern keeps the ID of the template it was created
// with while later lines turn more of its tokens into wildcards, so its
// series are not split.
func PatternID(template string) string {
	h := sha256.Sum256([]byte(template))
	return hex.EncodeToString(h[:6])
}

// Tokenize splits a line on whitespace and masks variable tokens.
func Tokenize(line string) []string {
	fields := strings.Fields(line)
	if len(fields) > maxTokens {
		fields = append(fields[:maxTokens-1:maxTokens-1], Wildcard)
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = maskToken(f)
	}
	return out
}

var variableRE = regexp.MustCompile(`^(?:` +
	// UUID
	`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}` +
	// 0x-prefixed hex
	`|0[xX][0-9a-fA-F]+` +
	// IPv4, optionally with a port
	`|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?` +
	// durations (Go style, possibly compound) and sizes: 250ms, 1m30s, 1.5s, 10KiB, 42%
	`|[-+]?\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))*` +
	`|[-+]?\d+(?:\.\d+)?(?:[kKMGT]i?[bB]|[bB]|%)` +
	// numbers
	`|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?` +
	// dates and times: 2026-01-01, 12:00:00.123, 2026-01-01T12:00:00Z
	`|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[-+]\d{2}:?\d{2})?)?` +
	`|\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?` +
	// long hex strings with at least one digit (hashes, trace and span IDs)
	`|[0-9a-fA-F]*\d[0-9a-fA-F]*` +
	`)$`)

// maskToken turns a variable token into a wildcard, keeping surrounding
// punctuation and a key= or key: prefix: "id=42," → "id=<*>,".
func maskToken(tok string) string {
	if len(tok) > maxTokenLen {
		return Wildcard
	}
	if !utf8.ValidString(tok) {
		tok = strings.ToValidUTF8(tok, "\uFFFD")
	}
	// IP:port, also [IPv6]:port.
	if h, _, err := net.SplitHostPort(strings.TrimRight(tok, ",;.")); err == nil && net.ParseIP(h) != nil {
		return Wildcard
	}
	// key=value: mask the value only.
	if i := strings.IndexByte(tok, '='); i > 0 && i < len(tok)-1 {
		return tok[:i+1] + maskToken(tok[i+1:])
	}
	// key:value with a plain key (not a time or an IPv6 address).
	if i := strings.IndexByte(tok, ':'); i > 0 && i < len(tok)-1 && !hasDigit(tok[:i]) && !strings.ContainsRune(tok[:i], '/') && strings.Count(tok, ":") == 1 {
		return tok[:i+1] + maskToken(tok[i+1:])
	}
	lo := strings.IndexFunc(tok, func(r rune) bool { return !isWrapper(r) })
	if lo < 0 {
		return tok
	}
	hi := strings.LastIndexFunc(tok, func(r rune) bool { return !isWrapper(r) })
	_, size := utf8.DecodeRuneInString(tok[hi:])
	core := tok[lo : hi+size]
	if isVariable(core) {
		return tok[:lo] + Wildcard + tok[hi+size:]
	}
	return tok
}

func isWrapper(r rune) bool {
	switch r {
	case '"', '\'', '`', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';', '.', '!', '?', ':':
		return true
	}
	return false
}

func isVariable(s string) bool {
	if s == Wildcard {
		return true
	}
	if !hasDigit(s) {
		return false
	}
	if hexLike(s) && len(s) >= 8 {
		return true
	}
	if strings.Count(s, ":") >= 2 && net.ParseIP(strings.Trim(s, "[]")) != nil {
		return true // IPv6
	}
	return variableRE.MatchString(s)
}

func hexLike(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.ASCII_Hex_Digit, r) {
			return false
		}
	}
	return true
}

func hasDigit(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
