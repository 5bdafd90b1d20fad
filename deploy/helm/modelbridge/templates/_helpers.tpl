{{/* Chart name, fullname and labels. */}}
{{- define "modelbridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "modelbridge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "modelbridge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "modelbridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "modelbridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "modelbridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "modelbridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "modelbridge.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The groups, each merged over the chart-wide defaults: a list of dicts with `name`, `fullname` and
the effective settings. Rendered as YAML; use with fromYaml.
*/}}
{{- define "modelbridge.groups" -}}
{{- $root := . -}}
{{- $out := list -}}
{{- range $name, $group := .Values.groups -}}
{{- $g := dict
  "name" $name
  "fullname" (printf "%s-%s" (include "modelbridge.fullname" $root) $name | trunc 63 | trimSuffix "-")
  "replicas" (ternary $group.replicas $root.Values.replicas (hasKey $group "replicas"))
  "resources" (default $root.Values.resources $group.resources)
  "drainGrace" (default $root.Values.drainGrace $group.drainGrace)
  "env" (merge (deepCopy (default dict $group.env)) (deepCopy $root.Values.env))
  "secretEnv" (concat $root.Values.secretEnv (default list $group.secretEnv))
  "secretFiles" (concat $root.Values.secretFiles (default list $group.secretFiles))
  "podAnnotations" (merge (deepCopy (default dict $group.podAnnotations)) (deepCopy $root.Values.podAnnotations))
  "autoscaling" (mergeOverwrite (deepCopy $root.Values.autoscaling) (deepCopy (default dict $group.autoscaling)))
  "connectors" (default dict $group.connectors)
  "existingConfigMap" (default "" $group.existingConfigMap)
  "connectorFiles" (default list $group.connectorFiles)
-}}
{{- $out = append $out $g -}}
{{- end -}}
{{- dict "groups" $out | toYaml -}}
{{- end -}}

{{/* A Kubernetes memory quantity (integer with an optional suffix) in MiB, rounded down. */}}
{{- define "modelbridge.memoryMiB" -}}
{{- $q := toString . -}}
{{- $digits := regexFind "^[0-9]+" $q -}}
{{- if not $digits -}}{{- fail (printf "resources.limits.memory %q: expected an integer with an optional suffix (Ki, Mi, Gi, Ti, k, M, G, T)" $q) -}}{{- end -}}
{{- $unit := trimPrefix $digits $q -}}
{{- $factors := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 -}}
{{- if not (hasKey $factors $unit) -}}{{- fail (printf "resources.limits.memory %q: unsupported suffix %q" $q $unit) -}}{{- end -}}
{{- div (mul (int64 $digits) (get $factors $unit)) 1048576 -}}
{{- end -}}

{{/* NODE_OPTIONS heap flags for a memory limit: the launcher's rules (services/cli/heap.ts). */}}
{{- define "modelbridge.heapFlags" -}}
{{- $mib := int64 (include "modelbridge.memoryMiB" .) -}}
{{- $old := min 16384 (max 64 (div (mul $mib 6) 10)) -}}
{{- $semi := ternary 32 (ternary 16 8 (ge $mib 320)) (ge $mib 1024) -}}
{{- printf "--max-old-space-size=%d --max-semi-space-size=%d" $old $semi -}}
{{- end -}}

{{/* Where a Secret named in secretFiles is mounted. */}}
{{- define "modelbridge.secretFilePath" -}}
{{- printf "/var/run/secrets/modelbridge/%s" . -}}
{{- end -}}
