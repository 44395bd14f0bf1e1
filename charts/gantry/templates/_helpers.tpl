{{/*
Named templates of the gantry chart. Keep them within what scripts/check-chart.py's renderer
supports (see its SUPPORTED_FUNCTIONS); helm lint and ct lint run the real engine in CI.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "gantry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified app name: "<release>-<chart>", or the release name alone when it already
contains the chart name. Truncated to 63 characters (DNS label) and trimmed of a trailing "-".
*/}}
{{- define "gantry.fullname" -}}
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

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "gantry.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "gantry.labels" -}}
helm.sh/chart: {{ include "gantry.chart" . }}
{{ include "gantry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gantry
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The labels selectors use; they must never change between releases. */}}
{{- define "gantry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* gantryd (the server) */}}
{{- define "gantry.server.selectorLabels" -}}
{{ include "gantry.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "gantry.server.labels" -}}
{{ include "gantry.labels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/* gantry-agent */}}
{{- define "gantry.agent.selectorLabels" -}}
{{ include "gantry.selectorLabels" . }}
app.kubernetes.io/component: agent
{{- end }}

{{- define "gantry.agent.labels" -}}
{{ include "gantry.labels" . }}
app.kubernetes.io/component: agent
{{- end }}

{{/*
The StatefulSet's name: at most 52 characters, because its pods carry the label
controller-revision-hash=<name>-<hash of up to 10 characters>, which must fit 63.
*/}}
{{- define "gantry.serverName" -}}
{{- include "gantry.fullname" . | trunc 52 | trimSuffix "-" }}
{{- end }}

{{/* Names of the other objects; a suffix is never truncated away. */}}
{{- define "gantry.agent.fullname" -}}
{{- printf "%s-agent" (include "gantry.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "gantry.headlessServiceName" -}}
{{- printf "%s-headless" (include "gantry.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{- define "gantry.agent.serviceAccountName" -}}
{{- if .Values.agent.serviceAccount.create }}
{{- default (include "gantry.agent.fullname" .) .Values.agent.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.agent.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* ClusterRole and ClusterRoleBinding are cluster-wide: the namespace keeps them apart. */}}
{{- define "gantry.agent.clusterRoleName" -}}
{{- printf "%s-%s-nodes" .Release.Namespace (include "gantry.agent.fullname" .) }}
{{- end }}

{{/* The Secret holding the tokens: existing, or rendered by secret.yaml. */}}
{{- define "gantry.authSecretName" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else }}
{{- printf "%s-auth" (include "gantry.fullname" . | trunc 58 | trimSuffix "-") }}
{{- end }}
{{- end }}

{{/* The TLS Secret; required when tls.enabled. */}}
{{- define "gantry.tlsSecretName" -}}
{{- required "tls.existingSecret is required when tls.enabled (a kubernetes.io/tls Secret)" .Values.tls.existingSecret }}
{{- end }}

{{- define "gantry.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* gantryd's address for in-cluster clients: the Service's DNS name and gRPC port. */}}
{{- define "gantry.grpcAddress" -}}
{{- printf "%s.%s.svc:%d" (include "gantry.fullname" .) .Release.Namespace (int .Values.service.grpcPort) }}
{{- end }}

{{/* "HTTPS" or "HTTP", for probes. */}}
{{- define "gantry.scheme" -}}
{{- if .Values.tls.enabled }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/* The token file rendered from auth.tokens, auth.agentToken and auth.metricsToken. */}}
{{- define "gantry.tokenFile" -}}
# token,user,role (rendered by the gantry chart)
{{- range .Values.auth.tokens }}
{{ printf "%s,%s,%s" .token .user .role }}
{{- end }}
{{- with .Values.auth.agentToken }}
{{ printf "%s,%s,agent" . $.Values.auth.agentUser }}
{{- end }}
{{- with .Values.auth.metricsToken }}
{{ printf "%s,%s,viewer" . $.Values.auth.metricsUser }}
{{- end }}
{{ end }}
