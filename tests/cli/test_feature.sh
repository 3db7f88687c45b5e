#!/bin/sh
# llmdata feature end to end: the seed's example (user_001 on Jan 15 and on Mar 01 gets different
# values), apply, materialize + get-online with statuses, incremental materialize, errors, a
# corrupted snapshot.  Expected values are worked by hand from the rows below.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_feature: $*" >&2; exit 1; }

cat > "$T/user_features.json" <<'J'
{"name": "user_features", "entities": [{"name": "user", "join_keys": ["user_id"]}], "ttl_seconds": 604800,
 "schema": [{"name": "total_conversations", "dtype": "Int64"}, {"name": "preferred_language", "dtype": "String"}],
 "source": {"path": "users.jsonl", "timestamp_field": "event_timestamp", "created_timestamp_column": "created"}}
J
cat > "$T/users.jsonl" <<'J'
{"user_id": "user_001", "event_timestamp": "2025-01-14T00:00:00Z", "created": "2025-01-14T01:00:00Z", "total_conversations": 10, "preferred_language": "en"}
{"user_id": "user_002", "event_timestamp": "2025-01-15T11:30:00Z", "total_conversations": 7, "preferred_language": "de"}
{"user_id": "user_001", "event_timestamp": "2025-02-28T12:00:00Z", "created": "2025-02-28T13:00:00Z", "total_conversations": 500, "preferred_language": "fr"}
J
"$LLMDATA" feature apply --repo "$T" > "$T/apply.out" || fail "apply exited $?"
grep -q '"views": 1' "$T/apply.out" || fail "apply output: $(cat "$T/apply.out")"
grep -q '"rows": 3' "$T/registry.json" || fail "registry: $(cat "$T/registry.json")"

# The seed's entity rows (user_003 has no row: null), in input order, extra columns kept.
cat > "$T/entities.jsonl" <<'J'
{"user_id": "user_001", "event_timestamp": "2025-01-15 10:00:00", "label": 1}
{"user_id": "user_002", "event_timestamp": "2025-01-15 11:30:00"}
{"user_id": "user_003", "event_timestamp": "2025-02-01 09:00:00"}
{"user_id": "user_001", "event_timestamp": "2025-03-01 14:00:00"}
J
"$LLMDATA" feature get-historical -q --repo "$T" --features user_features:total_conversations,user_features:preferred_language \
  < "$T/entities.jsonl" > "$T/hist.jsonl" || fail "get-historical exited $?"
want='{"user_id": "user_001","event_timestamp": "2025-01-15 10:00:00","label": 1,"total_conversations":10,"preferred_language":"en"}
{"user_id": "user_002","event_timestamp": "2025-01-15 11:30:00","total_conversations":7,"preferred_language":"de"}
{"user_id": "user_003","event_timestamp": "2025-02-01 09:00:00","total_conversations":null,"preferred_language":null}
{"user_id": "user_001","event_timestamp": "2025-03-01 14:00:00","total_conversations":500,"preferred_language":"fr"}'
[ "$(cat "$T/hist.jsonl")" = "$want" ] || fail "get-historical: $(cat "$T/hist.jsonl")"
# -o NAME.gz / NAME.zst: compressed by the name, as every JSONL output of the CLI
for ext in gz zst; do
  "$LLMDATA" feature get-historical -q --repo "$T" --features user_features:total_conversations,user_features:preferred_language \
    -o "$T/hist.jsonl.$ext" "$T/entities.jsonl" || fail "get-historical -o .$ext exited $?"
done
[ "$(gzip -dc "$T/hist.jsonl.gz")" = "$want" ] || fail "get-historical -o .gz: $(gzip -dc "$T/hist.jsonl.gz" | head -c 200)"
[ "$(zstd -dcq "$T/hist.jsonl.zst")" = "$want" ] || fail "get-historical -o .zst"
# --full-feature-names and the input as a file argument.
"$LLMDATA" feature get-historical -q --repo "$T" --full-feature-names --features user_features:total_conversations \
  "$T/entities.jsonl" | head -1 | grep -q '"user_features__total_conversations":10' || fail "--full-feature-names"

# Online: materialize up to Feb 1, then incremental to Apr 1.
"$LLMDATA" feature materialize --repo "$T" 2025-01-01T00:00:00 2025-02-01T00:00:00 > "$T/mat.out" || fail "materialize exited $?"
grep -q '"keys": 2' "$T/mat.out" || fail "materialize: $(cat "$T/mat.out")"
printf '%s\n' '{"user_id": "user_001"}' '{"user_id": "ghost"}' > "$T/keys.jsonl"
"$LLMDATA" feature get-online -q --repo "$T" --features user_features:total_conversations --now 2025-01-16T00:00:00Z \
  --with-status < "$T/keys.jsonl" > "$T/online.jsonl" || fail "get-online exited $?"
want='{"user_id": "user_001","total_conversations":10,"_status":{"total_conversations": "PRESENT"}}
{"user_id": "ghost","total_conversations":null,"_status":{"total_conversations": "NOT_FOUND"}}'
[ "$(cat "$T/online.jsonl")" = "$want" ] || fail "get-online: $(cat "$T/online.jsonl")"
# Two weeks later the Jan 14 row is older than the 7-day ttl.
"$LLMDATA" feature get-online -q --repo "$T" --features user_features:total_conversations --now 2025-01-30T00:00:00Z \
  --with-status < "$T/keys.jsonl" | head -1 | grep -q '"total_conversations":null,"_status":{"total_conversations": "OUTSIDE_MAX_AGE"}' ||
  fail "get-online outside ttl"
"$LLMDATA" feature materialize-incremental --repo "$T" 2025-04-01T00:00:00 > /dev/null || fail "materialize-incremental"
"$LLMDATA" feature get-online -q --repo "$T" --features user_features:total_conversations --now 2025-03-02T00:00:00Z \
  < "$T/keys.jsonl" | head -1 | grep -q '"total_conversations":500' || fail "incremental did not merge the Feb 28 row"

# Errors: unknown view, missing time, bad time, corrupted snapshot.
"$LLMDATA" feature get-historical --repo "$T" --features nope:x < "$T/entities.jsonl" > /dev/null 2> "$T/err" && fail "unknown view exited 0"
grep -q 'no such view' "$T/err" || fail "unknown view message: $(cat "$T/err")"
echo '{"user_id": "user_001"}' | "$LLMDATA" feature get-historical --repo "$T" --features user_features:total_conversations \
  > /dev/null 2> "$T/err" && fail "missing time exited 0"
grep -q -- '-:1: no "event_timestamp" field' "$T/err" || fail "missing time message: $(cat "$T/err")"
echo '{"user_id": "user_001", "event_timestamp": "2025-02-30"}' | "$LLMDATA" feature get-historical --repo "$T" \
  --features user_features:total_conversations > /dev/null 2> "$T/err" && fail "bad time exited 0"
printf 'XXXX' | dd of="$T/online/user_features.snapshot" bs=1 seek=120 conv=notrunc 2>/dev/null
"$LLMDATA" feature get-online --repo "$T" --features user_features:total_conversations < "$T/keys.jsonl" > /dev/null 2> "$T/err" &&
  fail "corrupted snapshot exited 0"
grep -q 'checksum mismatch' "$T/err" || fail "corrupted snapshot message: $(cat "$T/err")"
"$LLMDATA" feature frobnicate --repo "$T" 2> /dev/null && fail "unknown command exited 0"
exit 0
