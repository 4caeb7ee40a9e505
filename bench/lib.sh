# bench/lib.sh: the helpers bench/compare and bench/compare-web share. Sourced, never run.
# The script sets, before sourcing: prog (what its messages start with) and `set -euo pipefail`.
# The helpers use the script's globals: work (its temporary directory), out (results), name,
# port and server_pid (the server under test, from start_peer), round, bench_bin.

say() { printf '%s: %s\n' "$prog" "$*" >&2; }

install_packages() {  # install_packages PKG...: those not installed yet, with apt (root or sudo)
  local p sudo missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    say "installing ${missing[*]}"
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# --- every process we start is its own process group, killed on the way out --------------
groups=()
spawn() {  # spawn LOGFILE CMD...: starts CMD in its own session; sets $spawned to its pid
  local log=$1; shift
  setsid "$@" >"$log" 2>&1 </dev/null &
  spawned=$!
  groups+=("$spawned")
}

kill_spawned() {  # for the script's EXIT trap: every group spawn started, however it ends
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}

# A third-party server tells us nothing when it is ready: poll its listening socket (ss does
# not connect, so no stray connection reaches the server), bounded.
wait_listening() {
  local port=$1 pid=$2
  for _ in $(seq 200); do
    ss -Htln "sport = :$port" | grep -q . && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# The same ECDSA P-256 certificate for every server: $work/cert.pem, $work/key.pem.
make_certificate() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
}

# --- the server under test ($server_pid, a session leader: spawn made it one) ---------------
stop_peer() {
  kill -TERM -- "-$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL -- "-$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

tree() {  # the server's processes: start_peer made it a session leader, so its whole family
  pgrep -s "$server_pid" 2>/dev/null || true
}

cpu_ticks() {  # utime+stime of the tree, plus what its reaped children used (socat's forks)
  local total=0 pid stat
  for pid in $(tree); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    total=$((total + $(echo "$stat" | awk '{print $12 + $13 + $14 + $15}')))
  done
  echo "$total"
}

# Proportional set size: shared pages split among the processes sharing them, so socat's
# forked children are not each charged for the whole of libssl. For one process it is its
# RSS less its share of libraries others also map; the difference N - 0 is what counts.
pss_kib() {
  local total=0 pid v
  for pid in $(tree); do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# --- results -------------------------------------------------------------------------------
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$round" "$2" "$3" >>"$out/results.tsv"; }
hz=$(getconf CLK_TCK)

# bench MODE ARGS...: runs the load on CPU 1; result line in $result, server CPU s in $cpu_s.
# With $bench_limit set (seconds), a run still going then is ended (timeout(1)).
bench() {
  local before after limit=()
  [ -z "${bench_limit:-}" ] || limit=(timeout --foreground -k 5 "$bench_limit")
  before=$(cpu_ticks)
  result=$("${limit[@]}" taskset -c 1 "$bench_bin" "$1" --quiet "${@:2}" "127.0.0.1:$port" 2>>"$work/bench.log") || true
  after=$(cpu_ticks)
  cpu_s=$(awk -v t=$((after - before)) -v hz="$hz" 'BEGIN {printf "%.3f", t / hz}')
  echo "$result" >>"$out/raw.log"
  case $result in mode=*) ;; *) say "bench $1 against $name failed: $result"; result="" ;; esac
}

per_cpu() { awk -v x="$1" -v c="$2" 'BEGIN { if (c > 0) printf "%.1f", x / c; else print "nan" }'; }

machine_line() {
  echo "$(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -r), OpenSSL $(openssl version | awk '{print $2}')"
}

# awk: the median of the values results.tsv holds for a peer and figure (vals[peer SUBSEP key],
# space-separated, filled by the table's program).
awk_median='
    function median(key,   n, i, j, t, v) {
      n = split(vals[key], v, " ")
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      return n == 0 ? "" : (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
    }'
