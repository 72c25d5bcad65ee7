package queryapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/augurhq/augur/analysis"
)

// envelope is the answer of /api/v1/query[_range] and of Loki's
// /loki/api/v1/query[_range] (which adds data.stats, ignored here).
type envelope struct {
	Status    string   `json:"status"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Infos     []string `json:"infos"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// ResultTypeError reports a result the engine cannot use: Loki's log
// streams, Prometheus' string, or none at all.
type ResultTypeError struct{ Type string }

func (e *ResultTypeError) Error() string {
	if e.Type == "" {
		return "the answer has no data.resultType"
	}
	return fmt.Sprintf("result type %q carries no numbers (want matrix, vector or scalar)", e.Type)
}

// readError is a failure to read the answer (the connection broke or the
// attempt timed out), as opposed to an answer that is not an envelope.
type readError struct{ err error }

func (e readError) Error() string { return "reading the answer: " + e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// recorder passes reads through, keeping the first read error and the
// beginning of the body for messages about undecodable answers.
type recorder struct {
	r    io.Reader
	err  error
	head []byte
}

const headLen = 200

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if room := headLen - len(r.head); room > 0 {
		r.head = append(r.head, p[:min(n, room)]...)
	}
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// decode reads a 2xx answer's envelope.
func decode(resp *http.Response) (*envelope, error) {
	rec := &recorder{r: resp.Body}
	var env envelope
	err := json.NewDecoder(rec).Decode(&env)
	if rec.err != nil {
		return nil, readError{rec.err}
	}
	if err != nil || (env.Status != "success" && env.Status != "error") {
		if err == nil {
			err = fmt.Errorf("status %q, want success or error", env.Status)
		}
		return nil, fmt.Errorf("the answer (Content-Type %q, beginning %q) is not a query API envelope; is the url the API's base, such as http://prometheus:9090 or https://mimir/prometheus? %w",
			resp.Header.Get("Content-Type"), text(rec.head), err)
	}
	return &env, nil
}

// series converts a matrix, vector or scalar result.
func (env *envelope) series() ([]analysis.Series, error) {
	switch t := env.Data.ResultType; t {
	case "matrix":
		var m []struct {
			Metric     map[string]string `json:"metric"`
			Values     []sample          `json:"values"`
			Histograms json.RawMessage   `json:"histograms"`
		}
		if err := json.Unmarshal(env.Data.Result, &m); err != nil {
			return nil, fmt.Errorf("matrix result: %w", err)
		}
		out := make([]analysis.Series, len(m))
		for i, s := range m {
			pts := make([]analysis.Point, len(s.Values))
			for j, v := range s.Values {
				pts[j] = analysis.Point(v)
			}
			out[i] = analysis.Series{Labels: labels(s.Metric), Points: pts}
			if present(s.Histograms) {
				var hs []histSample
				if err := json.Unmarshal(s.Histograms, &hs); err != nil {
					return nil, fmt.Errorf("matrix result: series %v: histograms: %w", s.Metric, err)
				}
				for _, h := range hs {
					out[i].Histograms = append(out[i].Histograms, analysis.HistogramPoint(h))
				}
			}
		}
		return out, nil
	case "vector":
		var v []struct {
			Metric    map[string]string `json:"metric"`
			Value     *sample           `json:"value"`
			Histogram json.RawMessage   `json:"histogram"`
		}
		if err := json.Unmarshal(env.Data.Result, &v); err != nil {
			return nil, fmt.Errorf("vector result: %w", err)
		}
		out := make([]analysis.Series, len(v))
		for i, s := range v {
			if present(s.Histogram) {
				var h histSample
				if err := json.Unmarshal(s.Histogram, &h); err != nil {
					return nil, fmt.Errorf("vector result: series %v: histogram: %w", s.Metric, err)
				}
				out[i] = analysis.Series{Labels: labels(s.Metric), Histograms: []analysis.HistogramPoint{analysis.HistogramPoint(h)}}
				continue
			}
			if s.Value == nil {
				return nil, fmt.Errorf("vector result: element %d has no value", i)
			}
			out[i] = analysis.Series{Labels: labels(s.Metric), Points: []analysis.Point{analysis.Point(*s.Value)}}
		}
		return out, nil
	case "scalar":
		var s sample
		if err := json.Unmarshal(env.Data.Result, &s); err != nil {
			return nil, fmt.Errorf("scalar result: %w", err)
		}
		return []analysis.Series{{Labels: map[string]string{}, Points: []analysis.Point{analysis.Point(s)}}}, nil
	default:
		return nil, &ResultTypeError{Type: t}
	}
}

func present(raw json.RawMessage) bool { return len(raw) > 0 && !bytes.Equal(raw, []byte("null")) }

func labels(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// histSample is one [<unix seconds>, {"count", "sum", "buckets"}] native
// histogram; a bucket is [<boundary rule>, "<lower>", "<upper>", "<count>"]
// (the rule says which bounds are inclusive; buckets never overlap, so it
// is not needed to order them).
type histSample analysis.HistogramPoint

func (h *histSample) UnmarshalJSON(b []byte) error {
	var pair [2]json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil || pair[0] == nil || pair[1] == nil {
		return fmt.Errorf("histogram %s: want [<unix seconds>, {count, sum, buckets}]", text(b))
	}
	t, err := unixMillis(bytes.TrimSpace(pair[0]))
	if err != nil {
		return fmt.Errorf("histogram %s: time: %w", text(b), err)
	}
	var body struct {
		Count   string              `json:"count"`
		Sum     string              `json:"sum"`
		Buckets [][]json.RawMessage `json:"buckets"`
	}
	if err := json.Unmarshal(pair[1], &body); err != nil {
		return fmt.Errorf("histogram %s: %w", text(b), err)
	}
	out := analysis.HistogramPoint{T: t}
	if out.Count, err = number(body.Count); err != nil {
		return fmt.Errorf("histogram %s: count: %w", text(b), err)
	}
	if out.Sum, err = number(body.Sum); err != nil {
		return fmt.Errorf("histogram %s: sum: %w", text(b), err)
	}
	for _, bk := range body.Buckets {
		if len(bk) != 4 {
			return fmt.Errorf("histogram %s: a bucket is [rule, lower, upper, count]", text(b))
		}
		var f [3]float64
		for k := range 3 {
			var s string
			if err := json.Unmarshal(bk[k+1], &s); err != nil {
				return fmt.Errorf("histogram %s: bucket bound or count must be a string", text(b))
			}
			if f[k], err = number(s); err != nil {
				return fmt.Errorf("histogram %s: bucket: %w", text(b), err)
			}
		}
		out.Buckets = append(out.Buckets, analysis.HistogramBucket{Lower: f[0], Upper: f[1], Count: f[2]})
	}
	*h = histSample(out)
	return nil
}

// number reads a Prometheus float string ("" is 0).
func number(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseFloat(s, 64)
}

// sample is one [<unix seconds>, "<value>"] pair.
type sample analysis.Point

func (s *sample) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return fmt.Errorf("sample %s: want [<unix seconds>, \"<value>\"]", text(b))
	}
	ts, val, ok := bytes.Cut(b[1:len(b)-1], []byte(","))
	if !ok {
		return fmt.Errorf("sample %s: want [<unix seconds>, \"<value>\"]", text(b))
	}
	t, err := unixMillis(bytes.TrimSpace(ts))
	if err != nil {
		return fmt.Errorf("sample %s: time: %w", text(b), err)
	}
	var vs string
	if err := json.Unmarshal(val, &vs); err != nil {
		return fmt.Errorf("sample %s: value must be a string: %w", text(b), err)
	}
	// ParseFloat reads "NaN", "+Inf" and "-Inf" as Prometheus writes them.
	v, err := strconv.ParseFloat(vs, 64)
	if err != nil {
		return fmt.Errorf("sample %s: value: %w", text(b), err)
	}
	*s = sample{T: t, V: v}
	return nil
}

// unixMillis reads a JSON number of seconds ("1700000000.123") as
// milliseconds, exactly when it is a plain decimal.
func unixMillis(b []byte) (int64, error) {
	sec, frac, _ := bytes.Cut(b, []byte("."))
	if plainDigits(sec) && plainDigits(frac) && len(sec) > 0 && len(sec) < 16 {
		s, _ := strconv.ParseInt(string(sec), 10, 64)
		var ms int64
		for i := range 3 {
			ms *= 10
			if i < len(frac) {
				ms += int64(frac[i] - '0')
			}
		}
		if len(frac) > 3 && frac[3] >= '5' {
			ms++
		}
		return s*1000 + ms, nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number of seconds", b)
	}
	return int64(math.Round(f * 1000)), nil
}

func plainDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
