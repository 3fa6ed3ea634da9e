#!/usr/bin/env bash
# The main job: check everything it needs, then run every notebook through papermill in
# dependency order, ending with the figures notebook. Re-running after an interruption redoes
# only unfinished runs.
#
#   ./run_all.sh [--profile paper|smoke] [--jobs N | --scheduler ADDRESS | --dask-local N]
#                [--only PAIR] [--data-root DIR] [--device auto|cpu|cuda] [--out DIR]
#                [--download | --no-download] [--check] [--help]
#
# Profiles
#   paper  (default) the study's protocol: mnist_logreg and cifar10_cnn, and the crossed
#          design's cells mnist_logreg_b250, cifar10_logreg and mnist_cnn; experiments small,
#          moderate and large, 5 strategies, seeds 42-61 (logistic regression) and 42-51 (CNN).
#          Results go to results/, executed notebooks (+HTML) to results/notebooks/, figures
#          to figures/, generated paper inputs to paper/generated/.
#   smoke  the whole pipeline on scikit-learn's 8x8 digits (pairs digits_logreg and
#          digits_cnn, 2 seeds, short budgets), a few minutes on 2 CPU cores. Everything goes
#          under results/smoke/ (or --out DIR) so committed results and figures stay as they are.
#
# Data
#   --data-root DIR        the folder holding the datasets (default $AL_DATA_DIR, else data/)
#   --download             fetch a missing MNIST or CIFAR-10 through torchvision (the default)
#   --no-download          never download; a missing dataset stops the job at the checks
#
# Where the runs execute (one of these)
#   --jobs N               N runs at once in local worker processes (default 1: in each
#                          notebook's own process)
#   --scheduler ADDRESS    on an existing Dask cluster, e.g. tcp://head-node:8786; its workers
#                          run this environment and see the results folder at the same path
#   --dask-local N         on a local Dask cluster of N single-thread worker processes,
#                          started once per notebook
#
# Before the first notebook (python -m helpers.job check): the notebooks' parameters, the
# device, the output folders, the Dask scheduler (--scheduler: reachable, with workers), the
# data of every pair about to run (MNIST and CIFAR-10 are downloaded through torchvision into
# the data root when missing, unless --no-download) and the splits of every run. A problem
# stops the job with one message and exit status 2, with nothing run and no output folder
# created. Then the job says what it will run, where the runs execute and how long that
# should take, and prints one line per finished run. --check stops after the checks.
#
# Each notebook executes into a temporary copy that replaces the executed notebook (and its
# HTML) only once it completed: a failed or interrupted rerun leaves the previous one as it
# was (a failed copy is kept beside the notebook's log).
#
# Exit status: 0 every notebook ran; 1 a notebook failed (its last error line is printed,
# and figures and paper inputs are not rebuilt); 2 a bad option or a failed check; 130 / 143
# interrupted by Ctrl-C / SIGTERM (every process of the job is stopped, finished runs are
# kept, figures and paper inputs are left as they were).
set -uo pipefail

step=""       # what the job is doing, for the interrupt message
step_log=""   # the log of the notebook running now
plan_file=""
partial_dir=""  # where notebooks execute before they move into place

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "run_all.sh: $*" >&2; exit 2; }

# descendants PID: set DESC to the ids of every process below PID (read from /proc, else ps).
descendants() {
  local links=() stat line pid ppid rest state queue=("$1") next link
  if [ -r /proc/self/stat ]; then
    for stat in /proc/[0-9]*/stat; do
      read -r line 2>/dev/null < "$stat" || continue
      rest=${line##*) }
      read -r state ppid _ <<< "$rest"
      links+=("${line%% *}:$ppid")
    done
  else
    while read -r pid ppid; do links+=("$pid:$ppid"); done < <(ps -A -o pid= -o ppid=)
  fi
  DESC=()
  while [ ${#queue[@]} -gt 0 ]; do
    next=${queue[0]}
    queue=("${queue[@]:1}")
    for link in "${links[@]}"; do
      [ "${link#*:}" = "$next" ] || continue
      pid=${link%%:*}
      [ "$pid" = "$BASHPID" ] && continue
      DESC+=("$pid")
      queue+=("$pid")
    done
  done
}

# alive PID...: true when one of the processes still runs (zombies do not count).
alive() {
  local pid line rest state
  for pid in "$@"; do
    if [ -r "/proc/$pid/stat" ]; then
      read -r line 2>/dev/null < "/proc/$pid/stat" || continue
      rest=${line##*) }
      state=${rest%% *}
      [ "$state" != Z ] && return 0
    elif [ ! -d /proc/self ] && kill -0 "$pid" 2>/dev/null; then
      return 0
    fi
  done
  return 1
}

# stop_all: end every process the job started (papermill, its kernel, the kernel's workers,
# the progress watcher): SIGTERM, then SIGKILL for what is left after 10 s.
stop_all() {
  descendants $$
  local pids=("${DESC[@]}") i
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    alive "${pids[@]}" || break
    sleep 0.1
  done
  descendants $$
  pids+=("${DESC[@]}")
  alive "${pids[@]}" && kill -KILL "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
}

on_signal() {  # on_signal NAME STATUS
  trap '' INT TERM HUP
  echo >&2
  echo "run_all.sh: interrupted by SIG$1${step:+ while $step}; stopping every process of the job" >&2
  stop_all
  [ -n "$step_log" ] && echo "run_all.sh: interrupted by SIG$1" >>"$step_log" 2>/dev/null
  # The notebook that was running stays as it was before this run (its partial copy goes).
  [ -n "$partial_dir" ] && rm -rf "$partial_dir"
  if [ "$step" = "running notebook figures" ]; then
    echo "run_all.sh: stopped inside the figures notebook: some figures may be rebuilt and others not; run again to finish" >&2
  else
    echo "run_all.sh: stopped; finished runs are kept, figures and paper inputs were not touched; run the same command again to resume" >&2
  fi
  exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP
trap '[ -n "$plan_file" ] && rm -f "$plan_file"' EXIT

# run_child LOG CMD...: run CMD (output appended to LOG unless LOG is empty) and return its
# status. CMD runs in the background while the script waits for it: a signal to the script
# then runs its trap at once, where a foreground command would delay it until CMD ended.
run_child() {
  local log=$1 pid
  shift
  if [ -n "$log" ]; then "$@" >>"$log" 2>&1 & else "$@" & fi
  pid=$!
  wait "$pid"
}

cd "$(dirname "$0")" || exit 2

profile=paper jobs=1 only="" only_set=0 data_root="" data_root_set=0 device=auto out="" out_set=0
download=1 check_only=0 scheduler="" scheduler_set=0 dask_local="" dask_local_set=0
while [ $# -gt 0 ]; do
  opt=$1 value="" inline=0
  case "$opt" in --*=*) value=${opt#*=} opt=${opt%%=*} inline=1 ;; esac
  case "$opt" in
    --profile|--jobs|--only|--data-root|--device|--out|--scheduler|--dask-local)
      if [ $inline = 0 ]; then
        [ $# -ge 2 ] || die "$opt needs a value (see ./run_all.sh --help)"
        case "$2" in --*) die "$opt needs a value, but the next argument is the option '$2'" ;; esac
        value=$2
        shift
      fi
      case "$opt" in
        --profile) profile=$value ;;
        --jobs) jobs=$value ;;
        --only) only=$value only_set=1 ;;
        --data-root) data_root=$value data_root_set=1 ;;
        --device) device=$value ;;
        --out) out=$value out_set=1 ;;
        --scheduler) scheduler=$value scheduler_set=1 ;;
        --dask-local) dask_local=$value dask_local_set=1 ;;
      esac ;;
    --no-download|--download|--check|-h|--help)
      [ $inline = 0 ] || die "$opt takes no value"
      case "$opt" in
        --no-download) download=0 ;;
        --download) download=1 ;;
        --check) check_only=1 ;;
        *) usage; exit 0 ;;
      esac ;;
    *) die "unknown option '$1' (see ./run_all.sh --help)" ;;
  esac
  shift
done
case "$profile" in paper|smoke) ;; *) die "--profile must be 'paper' or 'smoke', got '$profile'" ;; esac
case "$jobs" in
  ''|*[!0-9]*) die "--jobs must be a positive integer, got '$jobs'" ;;
  *) [ ${#jobs} -le 4 ] && [ $((10#$jobs)) -ge 1 ] || die "--jobs must be an integer from 1 to 9999, got '$jobs'"
     jobs=$((10#$jobs)) ;;
esac
if [ $scheduler_set = 1 ]; then
  case "$scheduler" in
    ''|*[[:space:]]*) die "--scheduler needs the address of a Dask scheduler such as tcp://head-node:8786, got '$scheduler'" ;;
  esac
fi
if [ $dask_local_set = 1 ]; then
  case "$dask_local" in
    ''|*[!0-9]*) die "--dask-local must be a positive integer (worker processes), got '$dask_local'" ;;
    *) [ ${#dask_local} -le 4 ] && [ $((10#$dask_local)) -ge 1 ] \
         || die "--dask-local must be an integer from 1 to 9999, got '$dask_local'"
       dask_local=$((10#$dask_local)) ;;
  esac
fi
executors=()
[ "$jobs" -gt 1 ] && executors+=("--jobs $jobs")
[ $scheduler_set = 1 ] && executors+=("--scheduler $scheduler")
[ $dask_local_set = 1 ] && executors+=("--dask-local $dask_local")
if [ ${#executors[@]} -gt 1 ]; then
  joined=$(printf ' and %s' "${executors[@]}")
  die "${joined# and } exclude each other: runs go to local worker processes (--jobs N), an existing Dask cluster (--scheduler ADDRESS) or a local Dask cluster (--dask-local N); give one"
fi
case "$device" in auto|cpu|cuda) ;; *) die "--device must be auto, cpu or cuda, got '$device'" ;; esac
if [ $only_set = 1 ] && [ -z "$only" ]; then die "--only is empty; give a pair (mnist_logreg, cifar10_cnn, mnist_logreg_b250, cifar10_logreg or mnist_cnn)"; fi
if [ $data_root_set = 1 ]; then
  [ -n "$data_root" ] || die "--data-root is empty; give the folder that holds the datasets"
  [ -d "$data_root" ] || die "data root '$data_root' is not a directory"
fi
if [ $out_set = 1 ]; then
  [ -n "$out" ] || die "--out is empty; give a folder (leave --out out for the default)"
  [ ! -e "$out" ] || [ -d "$out" ] || die "--out '$out' is a file, not a folder"
fi

# The environment sets itself up on first use.
if [ ! -x .venv/bin/python ] || [ ! -f .venv/.installed ]; then
  step="setting up the environment"
  run_child "" make env || { echo "run_all.sh: environment setup failed (make env)" >&2; exit 1; }
fi
py=.venv/bin/python
# Large allocations stay mapped between batches: 2-2.7x faster CPU inference in torch here.
export MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824
export PYTHONUNBUFFERED=1
# OpenBLAS's AVX2 (Haswell) kernels on every x86-64 CPU, so that logistic-regression runs
# compute the same bits as the committed ones on CPUs with AVX-512 too (helpers.provenance);
# a value already set in the environment wins.
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
# The kernel papermill starts is .venv's own, even when a user-wide "python3" kernelspec exists.
export JUPYTER_PREFER_ENV_PATH=1

# Everything checked before the first notebook; the plan says which notebooks run with what.
plan_file=$(mktemp "${TMPDIR:-/tmp}/run_all-plan.XXXXXX") || die "cannot create a temporary file"
check=(--profile "$profile" --jobs "$jobs" --device "$device" --plan "$plan_file" --prog run_all.sh)
[ $only_set = 1 ] && check+=(--only "$only")
[ $data_root_set = 1 ] && check+=(--data-root "$data_root")
[ $out_set = 1 ] && check+=(--out "$out")
[ $scheduler_set = 1 ] && check+=(--scheduler "$scheduler")
[ $dask_local_set = 1 ] && check+=(--dask-local "$dask_local")
[ $download = 0 ] && check+=(--no-download)
start=$(date +%s)
step="checking the parameters, the device, the folders, the executor and the data"
run_child "" "$py" -m helpers.job check "${check[@]}"
rc=$?
if [ $rc -ne 0 ]; then
  [ $rc -eq 2 ] || echo "run_all.sh: the checks stopped unexpectedly (exit status $rc; see above)" >&2
  exit $(( rc == 2 ? 2 : 1 ))
fi
[ $check_only = 1 ] && exit 0

names=() templates=() params=() results="" nbdir="" logdir="" figures="" generated=""
while IFS=$'\t' read -r kind a b c; do
  case "$kind" in
    folder)
      case "$a" in
        results) results=$b ;; notebooks) nbdir=$b ;; logs) logdir=$b ;;
        figures) figures=$b ;; generated) generated=$b ;;
      esac ;;
    notebook) names+=("$a") templates+=("$b") params+=("$c") ;;
  esac
done < "$plan_file"
mkdir -p "$results" "$nbdir" "$logdir" || { echo "run_all.sh: cannot create the output folders under $results" >&2; exit 1; }

# A notebook executes into $partial_dir and moves into place (HTML first, then the notebook)
# only once it and its HTML are complete: an interrupted or failed rerun never replaces a
# finished notebook with a partial one. A failed notebook is kept beside its log.
partial_dir="$nbdir/.partial"
failed=() done_list=()
run_notebook() {  # run_notebook NAME TEMPLATE PARAMETERS
  local name=$1 template="notebooks/$2.ipynb" output="$nbdir/$1.ipynb" log="$logdir/$1.log"
  local partial="$partial_dir/$1.ipynb"
  echo "==> $name  (log: $log)"
  step="running notebook $name" step_log=$log
  : >"$log"
  mkdir -p "$partial_dir" && rm -f "$partial" "${partial%.ipynb}.html"
  if run_child "$log" "$py" -m papermill "$template" "$partial" -k python3 --cwd notebooks -y "$3" \
     && run_child "$log" "$py" -m jupyter nbconvert --to html "$partial" \
     && mv -f "${partial%.ipynb}.html" "$nbdir/$name.html" && mv -f "$partial" "$output"; then
    done_list+=("$name")
  else
    failed+=("$name")
    echo "    FAILED: $name: $("$py" -m helpers.job last-error "$log")" >&2
    echo "    log: $log" >&2
    if [ -f "$partial" ] && mv -f "$partial" "$logdir/$name.ipynb"; then
      echo "    executed notebook: $logdir/$name.ipynb ($output left as it was)" >&2
    fi
    rm -f "${partial%.ipynb}.html"
  fi
  rmdir "$partial_dir" 2>/dev/null
  step="" step_log=""
}

"$py" -m helpers.job watch --plan "$plan_file" --since "$start" --prog run_all.sh &
watcher=$!
for i in "${!names[@]}"; do
  [ "${templates[$i]}" = figures ] || run_notebook "${names[$i]}" "${templates[$i]}" "${params[$i]}"
done
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
for i in "${!names[@]}"; do
  [ "${templates[$i]}" = figures ] || continue
  if [ ${#failed[@]} -eq 0 ]; then
    run_notebook "${names[$i]}" "${templates[$i]}" "${params[$i]}"
  else
    echo "==> ${names[$i]}: not run, so figures and paper inputs stay as they were (a notebook failed)" >&2
  fi
done

echo
echo "run_all.sh ($profile profile) finished in $(( $(date +%s) - start )) s"
echo "  notebooks ok: ${#done_list[@]}  failed: ${#failed[@]}"
echo "  results: $results   figures: $figures   paper inputs: $generated"
if [ ${#failed[@]} -gt 0 ]; then
  echo "  failed notebooks: ${failed[*]} (logs in $logdir)" >&2
  exit 1
fi
