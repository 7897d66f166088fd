{{/* Name of the chart, overridable. */}}
{{- define "meshaudit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name: the release name when it already contains the chart name. */}}
{{- define "meshaudit.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "meshaudit.serviceAccountName" -}}
{{- default (include "meshaudit.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{- define "meshaudit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshaudit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "meshaudit.labels" -}}
{{ include "meshaudit.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: scanner
app.kubernetes.io/part-of: meshaudit
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* The image: repository[:tag][@digest]; the tag defaults to the appVersion. */}}
{{- define "meshaudit.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The restricted container security context (Pod Security "restricted"). */}}
{{- define "meshaudit.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The namespace everything runs in: namespace.name, else the release's. */}}
{{- define "meshaudit.namespace" -}}
{{- default .Release.Namespace .Values.namespace.name }}
{{- end }}

{{/* Evidence goes to the claim (not to object storage). */}}
{{- define "meshaudit.evidencePVC" -}}
{{- if and .Values.evidence.enabled (not .Values.evidence.s3.bucket) }}true{{ end }}
{{- end }}

{{/* scan --evidence-dir for object storage: s3://bucket[/prefix]. */}}
{{- define "meshaudit.evidenceS3URL" -}}
{{- $p := trimAll "/" .Values.evidence.s3.prefix -}}
s3://{{ .Values.evidence.s3.bucket }}{{ if $p }}/{{ $p }}{{ end }}
{{- end }}
