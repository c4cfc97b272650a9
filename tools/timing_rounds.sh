#!/usr/bin/env bash
# Run the timing-dependent tests of issue 20 (signals, races, kill -9, locks) ROUNDS times in a row
# with a CPU-bound process beside them; stop at the first failing round.
#
#   bash tools/timing_rounds.sh [ROUNDS] [LOG]      # default 20 rounds, log in timing_rounds.log
#
# Each round is one pytest session (sequential, no xdist); the burner is a plain Python busy loop,
# started here and ended here by its process id.
set -u
ROUNDS=${1:-20}
LOG=${2:-timing_rounds.log}
PY=${PYTHON:-.venv/bin/python}
TESTS=(
  tests/test_store_writers.py
  "tests/test_store_safety.py::test_stale_temps_are_removed_only_when_their_writer_is_provably_gone"
  "tests/test_store_safety.py::test_kill_9_leaves_the_old_or_the_new_store_whole"
  "tests/test_store_safety.py::test_kill_9_after_random_delays_never_mixes_versions"
  "tests/test_store_safety.py::test_sigterm_and_sigint_remove_the_temp_and_keep_the_store"
  "tests/test_postgis_store.py::test_killed_import_changes_nothing"
  "tests/test_postgis_store.py::test_concurrent_imports_serialise"
  "tests/test_serve.py::test_the_record_survives_a_restart_and_a_kill_9"
  "tests/test_serve_pool.py::test_a_worker_killed_mid_call_answers_503_and_is_replaced"
  "tests/test_serve_pool.py::test_concurrent_screenings_each_get_their_own_answer"
  "tests/test_stream_batch.py::test_resume_after_kill_equals_a_clean_run"
  "tests/test_error_contract.py::test_signal_during_writes_leaves_no_temp_files"
  "tests/test_error_contract.py::test_a_signal_the_instant_a_temp_file_is_made_still_removes_it"
  "tests/test_error_contract.py::test_a_signal_at_any_moment_of_the_reports_leaves_no_temp_files"
  "tests/test_serve_record.py::test_concurrent_first_downloads_render_once_and_agree"
  "tests/test_serve_record.py::test_uploads_of_screenings_killed_before_their_row_are_removed_at_start"
  "tests/test_serve_logins.py::test_twelve_concurrent_wrong_logins_check_at_most_the_limit_per_user"
  "tests/test_serve_logins.py::test_concurrent_wrong_logins_from_one_address_check_at_most_its_limit"
  "tests/test_serve_logins.py::test_concurrent_users_add_lose_nobody"
  "tests/test_serve_postgis.py::test_no_idle_transaction_between_requests_vacuum_and_alter_table_go_through"
  "tests/test_stream_batch.py::test_resume_screens_a_damaged_finished_chunk_again"
)
"$PY" -c 'while 1: pass' &
BURNER=$!
trap 'kill "$BURNER" 2>/dev/null' EXIT
: > "$LOG"
for ((i = 1; i <= ROUNDS; i++)); do
  start=$(date +%s)
  if "$PY" -m pytest -q -p no:cacheprovider "${TESTS[@]}" >> "$LOG" 2>&1; then
    echo "round $i/$ROUNDS passed in $(( $(date +%s) - start )) s (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$LOG"
  else
    echo "round $i/$ROUNDS FAILED after $(( $(date +%s) - start )) s" | tee -a "$LOG"
    exit 1
  fi
done
echo "all $ROUNDS rounds passed" | tee -a "$LOG"
