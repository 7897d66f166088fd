package output

import "testing"

func TestArtifactURIAndPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"deploy/app.yaml":      "deploy/app.yaml",
		"my dir/a#1?.yaml":     "my%20dir/a%231%3F.yaml",
		"x/\x1b[2Jevil\n.yaml": "x/%1B%5B2Jevil%0A.yaml",
		"100%/r.yaml":          "100%25/r.yaml",
		"<stdin>":              "%3Cstdin%3E",
	} {
		if got := artifactURI(in); got != want {
			t.Errorf("artifactURI(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Printable("a\x1b[2Jb\n"); got != `a\x1b[2Jb\n` {
		t.Errorf("Printable: %q", got)
	}
	if got := Printable("déploiement/ok.yaml"); got != "déploiement/ok.yaml" {
		t.Errorf("Printable changed a printable name: %q", got)
	}
}
