# shellcheck shell=bash
# Building the Release binaries the ops scripts run. Source it; it defines functions only.

# build_release SCRIPT PROJECT...: builds each project in Release, quietly, or exits saying which one failed and why.
# MSBuild writes its errors to standard output, so that goes to a log, not to /dev/null (where a failed build said
# nothing, and the script went on to run stale binaries or none): on a failure the end of the log, which lists the
# errors, is printed, and the whole log is kept.
build_release() {
  local script="$1" log project
  shift
  log="$(mktemp "${TMPDIR:-/tmp}/dthgrains-build.XXXXXX.log")"
  for project in "$@"; do
    if ! dotnet build "$project" -c Release -v q -nologo -tl:off >>"$log" 2>&1; then
      echo "$script: building $project failed; the end of its output (all of it in $log):" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
  done
  rm -f "$log"
}
