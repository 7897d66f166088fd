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

func TestRedactArgs(t *testing.T) {
	cases := map[string]string{
		"--grpcAddr=":                         "--grpcAddr=",
		"--grpcAddr=:15010":                   "--grpcAddr=:15010",
		"--password=hunter2":                  "--password=" + Redacted,
		"--audit-policy-file=/etc/audit.yaml": "--audit-policy-file=" + Redacted,
		"--log_output_level":                  "--log_output_level",
		"router":                              "router",
		"hunter2":                             Redacted,
		"until curl -fsI http://localhost:15021/healthz/ready; do sleep 3; done; /job; curl -fsI -X POST http://localhost:15020/quitquitquit": Redacted + " (mentions 15021/healthz/ready, 15020/quitquitquit, /quitquitquit)",
	}
	for in, want := range cases {
		if got := redactArg(in); got != want {
			t.Errorf("redactArg(%q) = %q, want %q", in, got, want)
		}
	}
	obj := map[string]any{"kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": map[string]any{"containers": []any{
		map[string]any{"name": "c", "image": "x:1", "command": []any{"/bin/app"}, "args": []any{"--token=s3cret", "s3cret"}},
	}}}
	Redact("Pod", obj, "istio-system")
	c := obj["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	if c["args"].([]any)[0] != "--token="+Redacted || c["args"].([]any)[1] != Redacted || c["command"].([]any)[0] != Redacted {
		t.Errorf("container not redacted: %v", c)
	}
}
