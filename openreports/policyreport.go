package openreports

import (
	orv1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Policy Working Group's wgpolicyk8s.io/v1alpha2 PolicyReport, mirrored
// field for field (json names and omitempty) from
// sigs.k8s.io/wg-policy-prototypes policy-report/apis/wgpolicyk8s.io/v1alpha2,
// which is not published as a Go module. It differs from OpenReports'
// Report only in having no report-level source; a result's fields are the
// same, so policyReportResult converts from orv1.ReportResult directly and
// the compiler keeps the two in step.

type policyReport struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Scope         *corev1.ObjectReference `json:"scope,omitempty"`
	ScopeSelector *metav1.LabelSelector   `json:"scopeSelector,omitempty"`
	Summary       policyReportSummary     `json:"summary,omitempty"`
	Results       []policyReportResult    `json:"results,omitempty"`
}

type policyReportSummary struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Skip  int `json:"skip"`
}

type policyReportResult struct {
	Source           string                   `json:"source"`
	Policy           string                   `json:"policy"`
	Rule             string                   `json:"rule,omitempty"`
	Category         string                   `json:"category,omitempty"`
	Severity         orv1.ResultSeverity      `json:"severity,omitempty"`
	Timestamp        metav1.Timestamp         `json:"timestamp,omitempty"`
	Result           orv1.Result              `json:"result,omitempty"`
	Scored           bool                     `json:"scored,omitempty"`
	Subjects         []corev1.ObjectReference `json:"resources,omitempty"`
	ResourceSelector *metav1.LabelSelector    `json:"resourceSelector,omitempty"`
	Description      string                   `json:"message,omitempty"`
	Properties       map[string]string        `json:"properties,omitempty"`
}
