package collector

import "testing"

func TestNormalizeSpanName(t *testing.T) {
	tests := []struct{ in, want string }{
		// Names that must not change.
		{"GET /v2/health", "GET /v2/health"},
		{"SELECT orders", "SELECT orders"},
		{"SELECT shop.orders", "SELECT shop.orders"},
		{"grpc.health.v1.Health/Check", "grpc.health.v1.Health/Check"},
		{"oteldemo.ProductCatalogService/GetProduct", "oteldemo.ProductCatalogService/GetProduct"},
		{"HTTP GET", "HTTP GET"},
		{"HTTP/1.1 GET", "HTTP/1.1 GET"},
		{"GET /api/v1/users/{id}", "GET /api/v1/users/{id}"},
		{"GET /users/:id", "GET /users/:id"},
		{"redis GET", "redis GET"},
		{"kafka.produce orders-v2", "kafka.produce orders-v2"},
		{"process_payment", "process_payment"},
		{"s3.PutObject", "s3.PutObject"},
		{"/oauth2/callback", "/oauth2/callback"},
		{"GET /feed/decade", "GET /feed/decade"},
		{"", ""},
		// Identifiers.
		{"GET /users/12345/orders/9f1c3a7b2e", "GET /users/{id}/orders/{id}"},
		{"GET /users/12345", "GET /users/{id}"},
		{"GET /orders/3fa85f64-5717-4562-b3fc-2c963f66afa6", "GET /orders/{id}"},
		{"GET /orders/3FA85F64-5717-4562-B3FC-2C963F66AFA6/items", "GET /orders/{id}/items"},
		{"GET /blobs/sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4", "GET /blobs/sha256:{id}"},
		{"GET /sessions/aB3dE5fG7hJ9kL1m", "GET /sessions/{id}"},
		{"GET /charges/ch_3MmlLrLkdIwHu7ix0snN0B15", "GET /charges/{id}"},
		{"UsersController#show", "UsersController#show"},
		{"GET /reports/2024-01-15", "GET /reports/{id}"},
		{"GET /u/V1StGXR8_Z5jdHi6B-myT", "GET /u/{id}"},
		{"GET /orders/order-12345", "GET /orders/order-{id}"},
		{"process order 12345", "process order {id}"},
		{"GET /search?q=shoes&page=2", "GET /search"},
		{"GET https://shop.example/cart/77?x=1", "GET https://shop.example/cart/{id}"},
		{"SELECT * FROM orders WHERE id = ?", "SELECT * FROM orders WHERE id = ?"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := normalizeSpanName(tc.in); got != tc.want {
				t.Errorf("normalizeSpanName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func BenchmarkNormalizeSpanName(b *testing.B) {
	for _, name := range []string{"GET /api/v1/cart", "GET /users/12345/orders/9f1c3a7b2e"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				normalizeSpanName(name)
			}
		})
	}
}
