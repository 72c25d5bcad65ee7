package logs

import (
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

func FuzzDecodeOTLPLogs(f *testing.F) {
	req := plogotlp.NewExportRequestFromLogs(otlpLogs("v1", "user 1 logged in", "boom"))
	pb, _ := req.MarshalProto()
	js, _ := req.MarshalJSON()
	f.Add(pb, false)
	f.Add(js, true)
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]}]}`), true)
	f.Add([]byte{0x0a, 0xff}, false)
	attrs, _ := resourceLabels(DefaultConfig().ResourceAttributes)
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		recs, err := decodeOTLPLogs(body, json, attrs, base)
		if err != nil && recs != nil {
			t.Fatal("records with an error")
		}
		for _, r := range recs {
			Tokenize(r.Body)
		}
	})
}

func FuzzDecodeLokiProto(f *testing.F) {
	b, _ := (&push.PushRequest{Streams: []push.Stream{{Labels: `{app="a"}`, Entries: []push.Entry{{Timestamp: base, Line: "x 1"}}}}}).Marshal()
	f.Add(snappy.Encode(nil, b))
	f.Add(b)
	f.Add([]byte("plain"))
	mapping := DefaultConfig().LokiLabels
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodeLokiProto(body, 1<<20, mapping)
		if err != nil && d != nil {
			t.Fatal("records with an error")
		}
	})
}

func FuzzDecodeLokiJSON(f *testing.F) {
	f.Add([]byte(`{"streams":[{"stream":{"app":"a"},"values":[["1767225600000000000","x",{"trace_id":"ab"}]]}]}`))
	f.Add([]byte(`{"streams":[{"labels":"{app=\"a\"}","values":[["1","x"]]}]}`))
	f.Add([]byte(`{"streams":[{"stream":null,"values":[[]]}]}`))
	f.Add([]byte(`{"streams":[{"labels":"{app=\"a\"}","entries":[{"ts":"2026-01-01T00:00:00Z","line":"x"}]}]}`))
	mapping := DefaultConfig().LokiLabels
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodeLokiJSON(body, mapping)
		if err != nil && d != nil {
			t.Fatal("records with an error")
		}
		if err == nil && d.rejected < 0 {
			t.Fatal("negative rejections")
		}
	})
}

func FuzzParseLabels(f *testing.F) {
	f.Add(`{app="a", version="v\"2"}`)
	f.Add(`{}`)
	f.Add(`{a=~"x"}`)
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := ParseLabels(s)
		if err == nil && !strings.HasPrefix(strings.TrimSpace(s), "{") {
			t.Fatalf("accepted %q as %v", s, ls)
		}
	})
}

func FuzzDrain(f *testing.F) {
	f.Add("user 123 logged in from 10.0.0.1", "user 7 logged in from [::1]:80")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := NewDrain(DrainConfig{SimilarityThreshold: 0.4, Depth: 4, MaxClusters: 2, MaxChildren: 3}, 2)
		for _, l := range []string{a, b, a + " " + b, b} {
			d.Add("s", "v", time.Unix(1, 0), l, "")
		}
		if d.Len() > 2 {
			t.Fatalf("%d clusters over the bound", d.Len())
		}
	})
}
