package collectors

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshaudit/meshaudit/snapshot"
)

// TestPaginateRestartsOnExpiredToken: a 410 on a continue token restarts the
// list; nothing of the abandoned pass is kept.
func TestPaginateRestartsOnExpiredToken(t *testing.T) {
	calls := 0
	gone := apierrors.NewResourceExpired("continue token expired")
	page := func(cont string) ([]snapshot.Object, string, error) {
		calls++
		switch {
		case cont == "":
			return []snapshot.Object{{Name: "a"}}, "t1", nil
		case cont == "t1" && calls < 4:
			return nil, "", gone
		default:
			return []snapshot.Object{{Name: "b"}}, "", nil
		}
	}
	opts := LiveOptions{}
	opts.defaults()
	out, err := paginate(context.Background(), opts, "", page)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Name != "a" || out[1].Name != "b" {
		t.Fatalf("got %+v", out)
	}
	// Always expired: bounded restarts, then an error.
	_, err = paginate(context.Background(), opts, "", func(cont string) ([]snapshot.Object, string, error) {
		if cont == "" {
			return nil, "t", nil
		}
		return nil, "", gone
	})
	if err == nil || !apierrors.IsResourceExpired(errors.Unwrap(err)) {
		t.Fatalf("want expiry error, got %v", err)
	}
	// Forbidden is not retried.
	n := 0
	_, err = paginate(context.Background(), opts, "", func(string) ([]snapshot.Object, string, error) {
		n++
		return nil, "", apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	})
	if n != 1 || !apierrors.IsForbidden(err) {
		t.Fatalf("forbidden retried %d times: %v", n, err)
	}
}
