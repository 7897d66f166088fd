package meshaudit.custom.rules.team_01_test

import data.meshaudit.custom.rules.team_01
import rego.v1

deploy(labels) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "labels": labels}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}}}

test_missing_label_fires if {
	team_01.deny == {{"msg": "Deployment has no example.com/team label", "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"}}} with input as {"cluster": "c", "source": "manifests", "objects": {"Deployment": [deploy({})]}}
}

test_label_present_passes if {
	count(team_01.deny) == 0 with input as {"cluster": "c", "source": "manifests", "objects": {"Deployment": [deploy({"example.com/team": "payments"})]}}
}
