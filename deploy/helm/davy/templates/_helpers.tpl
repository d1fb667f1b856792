{{/* The first word of every object's name (deploy/ says davy). */}}
{{- define "davy.prefix" -}}
{{ .Values.name | default "davy" }}
{{- end }}

{{/* The Secret holding the webhook's serving certificate. */}}
{{- define "davy.tlsSecret" -}}
{{ .Values.certificates.secretName | default (printf "%s-webhook-tls" (include "davy.prefix" .)) }}
{{- end }}

{{/*
The self-signed CA and serving certificate as JSON {ca, cert, key} (base64 PEM). Made once per
render and kept in .Values, so the Secret and both caBundles get the same pair; an installed
Secret's pair is reused, so an upgrade does not replace a working certificate.
*/}}
{{- define "davy.selfSigned" -}}
{{- if not (index .Values.certificates "generated") }}
  {{- $secret := lookup "v1" "Secret" .Release.Namespace (include "davy.tlsSecret" .) }}
  {{- $pair := dict }}
  {{- if and $secret (index ($secret.data | default dict) "ca.crt") }}
    {{- $pair = dict "ca" (index $secret.data "ca.crt") "cert" (index $secret.data "tls.crt") "key" (index $secret.data "tls.key") }}
  {{- else }}
    {{- $service := printf "%s-webhook" (include "davy.prefix" .) }}
    {{- $namespace := .Release.Namespace }}
    {{- $days := int .Values.certificates.selfSigned.days }}
    {{- $ca := genCA (printf "%s-ca" $service) $days }}
    {{- $names := list $service (printf "%s.%s" $service $namespace) (printf "%s.%s.svc" $service $namespace) (printf "%s.%s.svc.cluster.local" $service $namespace) }}
    {{- $cert := genSignedCert (printf "%s.%s.svc" $service $namespace) nil $names $days $ca }}
    {{- $pair = dict "ca" ($ca.Cert | b64enc) "cert" ($cert.Cert | b64enc) "key" ($cert.Key | b64enc) }}
  {{- end }}
  {{- $_ := set .Values.certificates "generated" $pair }}
{{- end }}
{{- toJson (index .Values.certificates "generated") }}
{{- end }}

{{/* The caBundle of both WebhookConfigurations: empty with cert-manager (its cainjector writes it). */}}
{{- define "davy.caBundle" -}}
{{- $source := .Values.certificates.source }}
{{- if eq $source "self-signed" }}
{{- (include "davy.selfSigned" . | fromJson).ca }}
{{- else if eq $source "existing-secret" }}
{{- .Values.certificates.caBundle }}
{{- else if ne $source "cert-manager" }}
{{- fail (printf "certificates.source: %q is not one of existing-secret, self-signed, cert-manager" $source) }}
{{- end }}
{{- end }}
