{{/*
Each process's own environment, key for key what docker-compose.yml gives the same container (the
compose check and test/helm-chart.test.ts hold both to the processes' zod config schemas).
*/}}

{{- define "vcdc.env.custody" -}}
{{ include "vcdc.secretEnv" (dict "root" . "name" "ACT_VERIFY_KEYS" "key" "DECISION_VERIFY_KEYS") }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "CUSTODY_MASTER_SECRET") }}
- name: CHAIN_RPC_URL
  value: {{ include "vcdc.required" (dict "root" . "key" "CHAIN_RPC_URL") }}
- name: EVM_RPC_URL
  value: {{ include "vcdc.required" (dict "root" . "key" "EVM_RPC_URL") }}
- name: EVM_USDT_CONTRACT
  value: {{ include "vcdc.required" (dict "root" . "key" "EVM_USDT_CONTRACT") }}
- name: CUSTODY_MIN_CONFIRMATIONS
  value: {{ .Values.settings.CUSTODY_MIN_CONFIRMATIONS | quote }}
- name: CUSTODY_WHITELIST_COOLING_OFF_SECONDS
  value: {{ .Values.settings.CUSTODY_WHITELIST_COOLING_OFF_SECONDS | quote }}
- name: PROVIDER_REGISTER_URL
  value: {{ include "vcdc.serviceUrl" (dict "root" . "component" "exchange") | quote }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "PROVIDER_REGISTER_TOKEN" "key" "PROVIDER_REGISTER_READ_TOKEN") }}
{{- end -}}

{{- define "vcdc.env.exchange" -}}
- name: VENUE_ID
  value: hashkey
- name: VENUE_API_URL
  value: {{ include "vcdc.required" (dict "root" . "key" "VENUE_API_URL") }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "VENUE_API_KEY") }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "VENUE_API_SECRET") }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "ACT_VERIFY_KEYS" "key" "DECISION_VERIFY_KEYS") }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "PROVIDER_REGISTER_READ_TOKEN") }}
{{- end -}}

{{- define "vcdc.env.fx" -}}
{{ include "vcdc.secretEnv" (dict "root" . "name" "ACT_VERIFY_KEYS" "key" "DECISION_VERIFY_KEYS") }}
- name: FX_RATE_SOURCE_URL
  value: {{ include "vcdc.required" (dict "root" . "key" "FX_RATE_SOURCE_URL") }}
- name: FX_SETTLEMENT_BANK
  value: {{ .Values.settings.FX_SETTLEMENT_BANK | quote }}
- name: PROVIDER_REGISTER_URL
  value: {{ include "vcdc.serviceUrl" (dict "root" . "component" "exchange") | quote }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "PROVIDER_REGISTER_TOKEN" "key" "PROVIDER_REGISTER_READ_TOKEN") }}
{{- end -}}

{{- define "vcdc.env.treasury" -}}
{{ include "vcdc.secretEnv" (dict "root" . "name" "ACT_VERIFY_KEYS" "key" "DECISION_VERIFY_KEYS") }}
{{- end -}}

{{/* What the worker and the control API share: Temporal, the services' URLs, the schemas. */}}
{{- define "vcdc.env.temporalClient" -}}
- name: TEMPORAL_ADDRESS
  value: {{ include "vcdc.temporalAddress" . | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporalNamespace | quote }}
- name: TEMPORAL_TASK_QUEUE
  value: {{ .Values.taskQueue | quote }}
{{- range $name := list "custody" "exchange" "fx" "treasury" }}
- name: {{ upper $name }}_URL
  value: {{ include "vcdc.serviceUrl" (dict "root" $ "component" $name) | quote }}
{{- end }}
- name: NOTIFICATIONS_SCHEMA
  value: notifications
- name: LOT_MANIFESTS_SCHEMA
  value: lot_manifests
- name: AUDIT_SCHEMA
  value: audit
{{ include "vcdc.secretEnv" (dict "root" . "name" "PAYLOAD_CODEC_KEYS") }}
{{- end -}}

{{- define "vcdc.env.worker" -}}
{{ include "vcdc.env.temporalClient" . }}
{{- range $name := list "custody" "exchange" "fx" "treasury" }}
{{ include "vcdc.secretEnv" (dict "root" $ "name" (printf "%s_SERVICE_TOKEN" (upper $name))) }}
{{- end }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "DECISION_VERIFY_KEYS") }}
{{ include "vcdc.databaseUrlEnv" (dict "root" . "name" "DATABASE_URL" "role" "notifications_service" "passwordKey" "NOTIFICATIONS_DB_PASSWORD") }}
{{ include "vcdc.databaseUrlEnv" (dict "root" . "name" "AUDIT_DATABASE_URL" "role" "audit_service" "passwordKey" "AUDIT_DB_PASSWORD") }}
{{ include "vcdc.databaseUrlEnv" (dict "root" . "name" "LOT_MANIFESTS_DATABASE_URL" "role" "lot_manifests_service" "passwordKey" "LOT_MANIFESTS_DB_PASSWORD") }}
{{- end -}}

{{- define "vcdc.env.controlApi" -}}
{{ include "vcdc.env.temporalClient" . }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "CONTROL_API_TOKEN") }}
{{ include "vcdc.secretEnv" (dict "root" . "name" "DECISION_SIGNING_KEY") }}
{{ include "vcdc.databaseUrlEnv" (dict "root" . "name" "DATABASE_URL" "role" "audit_service" "passwordKey" "AUDIT_DB_PASSWORD") }}
{{ include "vcdc.databaseUrlEnv" (dict "root" . "name" "NOTIFICATIONS_DATABASE_URL" "role" "notifications_service" "passwordKey" "NOTIFICATIONS_DB_PASSWORD") }}
{{ include "vcdc.databaseUrlEnv" (dict "root" . "name" "LOT_MANIFESTS_DATABASE_URL" "role" "lot_manifests_service" "passwordKey" "LOT_MANIFESTS_DB_PASSWORD") }}
- name: AUTH_MODE
  value: oidc
- name: AUTH_ISSUER
  value: {{ include "vcdc.required" (dict "root" . "key" "AUTH_ISSUER") }}
- name: AUTH_JWKS_URL
  value: {{ include "vcdc.required" (dict "root" . "key" "AUTH_JWKS_URL") }}
- name: AUTH_AUDIENCE
  value: {{ .Values.settings.AUTH_AUDIENCE | quote }}
- name: CODEC_CORS_ORIGINS
  value: {{ include "vcdc.required" (dict "root" . "key" "CODEC_CORS_ORIGINS") }}
- name: TEMPORAL_UI_URL
  value: {{ include "vcdc.required" (dict "root" . "key" "TEMPORAL_UI_URL") }}
{{- with .Values.settings.CONSOLE_PUBLIC_URL }}
- name: CONSOLE_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.settings.CONSOLE_OIDC_CLIENT_ID }}
- name: CONSOLE_OIDC_CLIENT_ID
  value: {{ . | quote }}
{{- end }}
{{- end -}}
