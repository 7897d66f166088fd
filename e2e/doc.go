// Package e2e holds meshaudit's end-to-end tests against a real control
// plane: kube-apiserver and etcd started by controller-runtime's envtest,
// with Istio's CRDs installed. The binaries come from hack/e2e-bins.sh
// (KUBEBUILDER_ASSETS, else its version-keyed cache folder); without them
// the tests skip locally and fail in CI (CI set).
//
// The tests are in the _test.go files: live/file parity over the scenario
// fixtures, the shipped read-only RBAC, a user without Istio's security
// kinds, a cluster without Istio, and the redaction canaries.
package e2e
