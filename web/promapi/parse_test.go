package promapi_test

import (
	"testing"
	"time"

	"github.com/augurhq/augur/web/promapi"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "1700000000", want: time.Unix(1700000000, 0)},
		{in: "0", want: time.Unix(0, 0)},
		{in: "1700000000.5", want: time.UnixMilli(1700000000500)},
		// Fractions are milliseconds, as in Prometheus, despite float64
		// rounding (1700000000.001 is 1700000000.000999928... as a float).
		{in: "1700000000.001", want: time.UnixMilli(1700000000001)},
		{in: "1700000000.123", want: time.UnixMilli(1700000000123)},
		{in: "1712345678.999", want: time.UnixMilli(1712345678999)},
		{in: "-1.5", want: time.UnixMilli(-1500)},
		{in: "1.7e9", want: time.Unix(1700000000, 0)},
		{in: "2023-11-14T22:13:20Z", want: time.Unix(1700000000, 0)},
		{in: "2023-11-14T23:13:20.25+01:00", want: time.UnixMilli(1700000000250)},
		{in: "", wantErr: true},
		{in: "yesterday", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "Inf", wantErr: true},
		{in: "-Inf", wantErr: true},
		{in: "2023-11-14", wantErr: true},
		{in: "2023-11-14 22:13:20", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := promapi.ParseTime(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Errorf("ParseTime(%q) = %s, want an error", tc.in, got)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("ParseTime(%q) = %s (%d ns), %v; want %s", tc.in, got, got.UnixNano(), err, tc.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "15", want: 15 * time.Second},
		{in: "0", want: 0},
		{in: "1.5", want: 1500 * time.Millisecond},
		{in: "0.001", want: time.Millisecond},
		{in: "-1", want: -time.Second},
		{in: "1m30s", want: 90 * time.Second},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "2h", want: 2 * time.Hour},
		{in: "1d", want: 24 * time.Hour},
		{in: "1w", want: 7 * 24 * time.Hour},
		{in: "", wantErr: true},
		{in: "soon", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "Inf", wantErr: true},
		{in: "1e20", wantErr: true}, // overflows int64 nanoseconds
		{in: "1.5m", wantErr: true},
		{in: "-15s", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := promapi.ParseDuration(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Errorf("ParseDuration(%q) = %s, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseDuration(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
}
