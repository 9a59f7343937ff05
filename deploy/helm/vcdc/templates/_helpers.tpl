{{/* Names: <release>-<component>, as Temporal's chart names its own (<release>-temporal-<service>). */}}
{{- define "vcdc.name" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vcdc.labels" -}}
app.kubernetes.io/name: vcdc
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/version: {{ .root.Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "vcdc.selector" -}}
app.kubernetes.io/name: vcdc
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The VCDC image, pinned: a tag is required and `latest` refused. */}}
{{- define "vcdc.image" -}}
{{- $tag := required "image.tag: pin the VCDC image's version" .Values.image.tag | toString -}}
{{- if eq $tag "latest" -}}{{- fail "image.tag: `latest` is not a pinned version" -}}{{- end -}}
{{- printf "%s:%s" (required "image.repository" .Values.image.repository) $tag -}}
{{- end -}}

{{/* The Temporal frontend: the subchart's Service unless temporalAddress is set. */}}
{{- define "vcdc.temporalAddress" -}}
{{- if .Values.temporalAddress -}}
{{- .Values.temporalAddress -}}
{{- else -}}
{{- printf "%s-temporal-frontend:%v" .Release.Name .Values.temporal.server.frontend.service.port -}}
{{- end -}}
{{- end -}}

{{/* A service's URL inside the cluster. */}}
{{- define "vcdc.serviceUrl" -}}
{{- $port := index .root.Values.services .component "port" -}}
{{- printf "http://%s:%v" (include "vcdc.name" .) $port -}}
{{- end -}}

{{/* An environment variable from the chart's Secret (its key: the README "Production" variable name). */}}
{{- define "vcdc.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secretName }}
      key: {{ .key | default .name }}
{{- end -}}

{{/*
A database URL for `role`, its password from the Secret's key `passwordKey`: Kubernetes expands $(VAR)
from the variable defined just before it, so the password is never written into the manifest.
Gives two variables: `<passwordKey>` and `name`.
*/}}
{{- define "vcdc.databaseUrlEnv" -}}
{{- $db := .root.Values.database -}}
{{ include "vcdc.secretEnv" (dict "root" .root "name" .passwordKey) }}
- name: {{ .name }}
  value: {{ printf "postgresql://%s:$(%s)@%s:%v/%s%s" .role .passwordKey (required "database.host: the PostgreSQL server" $db.host) $db.port $db.name $db.urlOptions | quote }}
{{- end -}}

{{/* A setting that must be given (values.yaml `settings`). */}}
{{- define "vcdc.required" -}}
{{- required (printf "settings.%s is required (README.md, Deployment on Kubernetes)" .key) (index .root.Values.settings .key) | quote -}}
{{- end -}}

{{/* Environment every VCDC HTTP process shares. */}}
{{- define "vcdc.commonEnv" -}}
- name: HOST
  value: 0.0.0.0
- name: PORT
  value: {{ .port | quote }}
- name: LOG_LEVEL
  value: {{ .root.Values.settings.LOG_LEVEL | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .root.Values.settings.OTEL_EXPORTER_OTLP_ENDPOINT | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ .component | quote }}
{{- end -}}

{{/*
A VCDC Deployment with its Service and PodDisruptionBudget. `component`, `command` (the entry point),
`port`, `replicas`, `resources`, `env` (YAML list), `readyPath` (readiness: /readyz for the services and the
control API, which check their database role and schema; /healthz for the worker, 200 while it polls).
Liveness is /healthz everywhere: the process answers, whatever its dependencies say.
*/}}
{{- define "vcdc.deployment" -}}
{{- $root := .root -}}
{{- $ctx := dict "root" $root "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "vcdc.name" $ctx }}
  labels:
    {{- include "vcdc.labels" $ctx | nindent 4 }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ .replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "vcdc.selector" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
  template:
    metadata:
      labels:
        {{- include "vcdc.selector" $ctx | nindent 8 }}
      {{- if $root.Values.metricsAnnotations }}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .port | quote }}
        prometheus.io/path: /metrics
      {{- end }}
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      automountServiceAccountToken: false
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ .terminationGracePeriodSeconds | default 30 }}
      containers:
        - name: {{ .component }}
          image: {{ include "vcdc.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: {{ toJson (list "node" "--import" "tsx" .command) }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          env:
            {{- .env | nindent 12 }}
          readinessProbe:
            httpGet: { path: {{ .readyPath }}, port: http }
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            initialDelaySeconds: 20
            periodSeconds: 20
            timeoutSeconds: 3
            failureThreshold: 3
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 5
            failureThreshold: 24
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "vcdc.name" $ctx }}
  labels:
    {{- include "vcdc.labels" $ctx | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "vcdc.selector" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ .port }}
      targetPort: http
      protocol: TCP
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "vcdc.name" $ctx }}
  labels:
    {{- include "vcdc.labels" $ctx | nindent 4 }}
spec:
  {{- toYaml $root.Values.podDisruptionBudget | nindent 2 }}
  selector:
    matchLabels:
      {{- include "vcdc.selector" $ctx | nindent 6 }}
{{- end -}}
