package snapshot

import "testing"

func TestRedactKeepsOnlyIstioSettings(t *testing.T) {
	obj := map[string]any{"kind": "Deployment", "metadata": map[string]any{"name": "istiod"}, "spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
		map[string]any{"name": "discovery", "env": []any{
			map[string]any{"name": "ENABLE_DEBUG_ON_HTTP", "value": "false"},
			map[string]any{"name": "PASSWORD", "value": "hunter2"},
			map[string]any{"name": "TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": "k"}}},
		}},
	}}}}}
	Redact("Deployment", obj, "istio-system")
	env := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["env"].([]any)
	if env[0].(map[string]any)["value"] != "false" {
		t.Error("Istio setting redacted")
	}
	if env[1].(map[string]any)["value"] != Redacted {
		t.Error("secret env value kept")
	}
	if env[2].(map[string]any)["valueFrom"] == nil {
		t.Error("valueFrom dropped")
	}
}
