{{/* Names and labels, in the shape `helm create` gives them. */}}
{{- define "tiphys.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tiphys.fullname" -}}
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

{{- define "tiphys.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tiphys.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tiphys.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tiphys.labels" -}}
helm.sh/chart: {{ include "tiphys.chart" . }}
{{ include "tiphys.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "tiphys.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tiphys.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tiphys.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
A number as an integer string. Numbers in values files arrive as float64, and Go prints 1234567 as
1.234567e+06: App IDs have seven digits.
*/}}
{{- define "tiphys.int" -}}
{{- if kindIs "string" . }}{{ . }}{{ else if not (kindIs "invalid" .) }}{{ printf "%d" (int64 .) }}{{ end }}
{{- end }}

{{/* "true" when PostgreSQL is configured (several replicas allowed), else "". */}}
{{- define "tiphys.usesDatabase" -}}
{{- if or .Values.database.url .Values.database.existingSecret }}true{{ end }}
{{- end }}

{{/* "true" when any of the App's credentials is given inline. */}}
{{- define "tiphys.appInline" -}}
{{- if or (include "tiphys.int" .Values.app.id) .Values.app.webhookSecret .Values.app.privateKey }}true{{ end }}
{{- end }}

{{/* "true" when the chart renders its own Secret (inline credentials or an inline database URL). */}}
{{- define "tiphys.ownSecret" -}}
{{- if or (include "tiphys.appInline" .) .Values.database.url }}true{{ end }}
{{- end }}

{{/* The Secret holding APP_ID, WEBHOOK_SECRET and the private key. */}}
{{- define "tiphys.appSecretName" -}}
{{- default (include "tiphys.fullname" .) .Values.app.existingSecret }}
{{- end }}

{{/*
The claim mounted at the data folder, or "" for an emptyDir. Embedded store: the chart's claim or
persistence.existingClaim (unless persistence is off). PostgreSQL: persistence.existingClaim only.
*/}}
{{- define "tiphys.dataClaim" -}}
{{- if include "tiphys.usesDatabase" . }}
{{- .Values.persistence.existingClaim }}
{{- else if .Values.persistence.enabled }}
{{- default (printf "%s-data" (include "tiphys.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}
{{- end }}

{{/* "true" when the chart creates the data PersistentVolumeClaim. */}}
{{- define "tiphys.createClaim" -}}
{{- if and (not (include "tiphys.usesDatabase" .)) .Values.persistence.enabled (not .Values.persistence.existingClaim) }}true{{ end }}
{{- end }}

{{/*
Combinations of values that would deploy something broken. values.schema.json checks each value's
type; these need several values at once. Rendered (as nothing) by deployment.yaml.
*/}}
{{- define "tiphys.validate" -}}
{{- $db := include "tiphys.usesDatabase" . }}
{{- if and (gt (int64 .Values.replicaCount) 1) (not $db) }}
{{- fail (printf "replicaCount is %d, but the embedded store (SQLite on one volume) allows only one replica. Set database.url or database.existingSecret (PostgreSQL) to run several, or set replicaCount to 1." (int64 .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.database.url .Values.database.existingSecret }}
{{- fail "database.url and database.existingSecret are both set: set one of them." }}
{{- end }}
{{- $inline := include "tiphys.appInline" . }}
{{- if and $inline .Values.app.existingSecret }}
{{- fail "app.existingSecret is set together with app.id, app.webhookSecret or app.privateKey: give the credentials one way, inline or in your Secret." }}
{{- end }}
{{- if $inline }}
{{- $missing := list }}
{{- if not (include "tiphys.int" .Values.app.id) }}{{ $missing = append $missing "app.id" }}{{ end }}
{{- if not .Values.app.webhookSecret }}{{ $missing = append $missing "app.webhookSecret" }}{{ end }}
{{- if not .Values.app.privateKey }}{{ $missing = append $missing "app.privateKey" }}{{ end }}
{{- if $missing }}
{{- fail (printf "the GitHub App credentials are incomplete: %s missing. Set app.id, app.webhookSecret and app.privateKey together, or use app.existingSecret." (join ", " $missing)) }}
{{- end }}
{{- if not (regexMatch "-----BEGIN [A-Z ]*PRIVATE KEY-----" .Values.app.privateKey) }}
{{- fail "app.privateKey is not a PEM private key (-----BEGIN RSA PRIVATE KEY----- ...). Pass the file GitHub gave you: --set-file app.privateKey=path/to/key.pem" }}
{{- end }}
{{- end }}
{{- if and .Values.database.url (not $inline) (not .Values.app.existingSecret) }}
{{- fail "database.url is set but the GitHub App credentials are not: set app.id, app.webhookSecret and app.privateKey, or app.existingSecret (or put the URL in your own Secret: database.existingSecret)." }}
{{- end }}
{{- end }}
