//go:build tools

// Package k8sbins pins the kube-apiserver used by the e2e tests.
// Build it with hack/e2e-bins.sh; nothing here is compiled into meshaudit.
package k8sbins

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
