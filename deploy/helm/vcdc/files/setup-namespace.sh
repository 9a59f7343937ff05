#!/bin/sh
# The namespace VCDC runs in and the custom search attributes the case workflow sets
# (SEARCH_ATTRIBUTES in workflows/src/workflow/shared.ts; scripts/lib/compose-check.ts checks this list against it).
# docker-compose.yml (`temporal-namespace`) and the Helm chart (templates/temporal-search-attributes-job.yaml) both run it.
# Waits for the frontend to answer SERVING, then makes what is missing; running it again changes nothing.
set -eu
: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS}"
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-30d}

attempt=0
until temporal operator cluster health | grep -q SERVING; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then echo "Temporal at $TEMPORAL_ADDRESS is not SERVING after 5 minutes" >&2; exit 1; fi
  sleep 5
done

temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"

# name=Type, as the CLI spells the types.
for attr in CaseId=Keyword Agency=Keyword CaseStage=Keyword CaseStatus=Keyword AssetSymbols=KeywordList \
  PendingDecision=Keyword PendingRole=Keyword PendingSince=Datetime ValueUsd=Double; do
  name=${attr%%=*}
  type=${attr#*=}
  if temporal operator search-attribute list --namespace "$NAMESPACE" | grep -qw "$name"; then
    echo "search attribute $name: already there"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
  fi
done
echo "Temporal namespace $NAMESPACE and its search attributes are ready"
