//go:build tools

// Package etcdbin pins the etcd server used by the e2e tests
// (go.etcd.io/etcd/server/v3's root package is its main).
// Build it with hack/e2e-bins.sh; nothing here is compiled into meshaudit.
package etcdbin

import (
	_ "go.etcd.io/etcd/server/v3"
)
