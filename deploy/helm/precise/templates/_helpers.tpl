{{/* The release's name, the prefix of every object. */}}
{{- define "precise.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* A service's Deployment and Service name; takes (dict "root" $ "name" <service>). */}}
{{- define "precise.serviceName" -}}
{{- printf "%s-%s" (include "precise.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "precise.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "precise.labels" -}}
{{ include "precise.selectorLabels" . }}
app.kubernetes.io/part-of: precise
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* A service's image: <registry>/<repository>:<tag>, the tag defaulting to the chart's appVersion. */}}
{{- define "precise.image" -}}
{{- $registry := .root.Values.image.registry -}}
{{- $tag := .service.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if $registry }}{{ $registry }}/{{ end }}{{ .service.image.repository }}:{{ $tag }}
{{- end -}}
