//go:build tools

// Package pushgateway pins the Prometheus Pushgateway used by the metrics
// tests (github.com/prometheus/pushgateway's root package is its main).
// cmd/metrics_test.go builds it once into a cache folder; nothing here is
// compiled into meshaudit.
package pushgateway

import (
	_ "github.com/prometheus/pushgateway"
)
