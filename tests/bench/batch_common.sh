# Sourced by the batch figures (batch_bench.sh, hot_batch_bench.sh, assign_batch_bench.sh)
# after they set partner (the bench partner) and csv (run.sh's results file).
now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }'; }
record() {  # figure value unit baseline baseline_value: one row of the results, as run.sh writes them
    echo "$1,1,$2,$3,$4,$5,$(awk -v a="$2" -v b="$5" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')" >>"$csv"
}
# The outcome counts of a batch, e.g. "applied 20000".
outcomes() {
    psql -XAt -F' ' -c "SELECT status, count(*) FROM core.batch_rows WHERE partner_id = '$partner' AND batch_id = '$1'
                        GROUP BY 1 ORDER BY 1" | paste -sd, | sed 's/,/, /g'
}
