package main

import (
	"testing"
	"time"

	"github.com/augurhq/augur/collector"
)

// The tool's own cost per replicate of a 10-vs-10-pod class: drawing the
// data, the reference methods, and the series to write.
func BenchmarkReplicate(b *testing.B) {
	g := generator{c: mustClassB(b, "independent"), bounds: collector.DefaultDurationBuckets(), seed: 1}
	start := time.Now().Add(-time.Hour)
	b.Run("generate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			g.generate(i)
		}
	})
	r := g.generate(0)
	b.Run("references", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			references(r, g.bounds)
		}
	})
	b.Run("series", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			series(r, g.bounds, start)
		}
	})
}

func mustClassB(b *testing.B, name string) class {
	cs, err := selectClasses(name)
	if err != nil {
		b.Fatal(err)
	}
	return cs[0]
}
