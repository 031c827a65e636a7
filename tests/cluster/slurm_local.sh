#!/usr/bin/env bash
# slurm_local.sh: a throwaway one-node Slurm cluster (munged + slurmctld + slurmd) for the cluster tests
# (tests/cluster/slurm_cluster.py starts it for a session).
#
#   slurm_local.sh up        # write the config under $SLURMTEST_DIR, start the daemons, wait for the node
#   slurm_local.sh env       # print the exports a client needs (eval "$(slurm_local.sh env)")
#   slurm_local.sh status    # sinfo + squeue
#   slurm_local.sh down      # cancel every job, stop the three daemons by their PIDs, keep the files
#   slurm_local.sh purge     # down, then delete $SLURMTEST_DIR
#
# Needs root and Debian's packages: apt-get install --no-install-recommends slurm-wlm munge
# (Debian 12 ships Slurm 22.05.8; nothing is started by the packages inside a container, which is what we want).
# Everything the cluster writes stays under $SLURMTEST_DIR and $SLURMTEST_SOCKDIR; /etc/slurm and /etc/munge
# are not read or touched.
#
# Settings (environment):
#   SLURMTEST_DIR      where config, state, logs, sockets go         (required)
#   SLURMTEST_CPUS     CPUs the node advertises (may exceed the real  (default 8)
#                      count: config_overrides lets sleep-bound test jobs run side by side)
#   SLURMTEST_MEM_MB   RealMemory of the node                         (default 8000)
#   SLURMTEST_GPUS     fake GPUs (device nodes made with mknod, char major 240, no driver behind them)
#                      or a space-separated list of real device files, e.g. "/dev/nvidia0"   (default 2)
#   SLURMTEST_SHARDS   gres/shard count spread over the GPUs (0: no sharding)              (default 8)
#   SLURMTEST_CGROUP   1: proctrack/cgroup + task/cgroup (memory, cores, devices enforced);
#                      0: proctrack/linuxproc + task/none (works where cgroups are read-only) (default 0)
#   SLURMTEST_PORT     slurmctld port; slurmd uses PORT+1              (default 16817)
#   SLURMTEST_NODE     the node's name (its jobs' cgroups are slurm_NODE/...)   (default node0)
#   SLURMTEST_SOCKDIR  munged's socket directory; munged wants every directory above its socket to be
#                      traversable by all, which a pytest tmp_path (0700) is not  (default $SLURMTEST_DIR-sock)
set -euo pipefail

DIR=${SLURMTEST_DIR:?SLURMTEST_DIR must name the folder of the cluster}
CPUS=${SLURMTEST_CPUS:-8}
MEM=${SLURMTEST_MEM_MB:-8000}
GPUS=${SLURMTEST_GPUS:-2}
SHARDS=${SLURMTEST_SHARDS:-8}
CGROUP=${SLURMTEST_CGROUP:-0}
PORT=${SLURMTEST_PORT:-16817}
NODE=${SLURMTEST_NODE:-node0}
HOST=$(hostname -s)
SOCKDIR=${SLURMTEST_SOCKDIR:-$DIR-sock}
SOCK=$SOCKDIR/munge.socket
CONF=$DIR/etc/slurm.conf

alive() {  # a pid that exists and is not a zombie (PID 1 in some containers never reaps)
    local pid=$1 state
    [ -r "/proc/$pid/stat" ] || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [ "$state" != Z ]
}

stop_pidfile() {
    local f=$1 pid i
    [ -s "$f" ] || return 0
    pid=$(cat "$f")
    if alive "$pid"; then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$f"
}

write_config() {
    mkdir -p "$DIR"/{etc,run,log,state/ctld,state/d,munge,bin,dev,jobs}
    mkdir -p "$SOCKDIR"
    chmod 755 "$SOCKDIR"             # munged refuses a socket directory that others cannot traverse
    chmod 700 "$DIR/munge"           # ...and a key that others could read
    if [ ! -s "$DIR/munge/munge.key" ]; then
        head -c 1024 /dev/urandom > "$DIR/munge/munge.key"
        chmod 400 "$DIR/munge/munge.key"
    fi

    local gres_files=() gres_line="" gres_types="" f i
    if [[ "$GPUS" =~ ^[0-9]+$ ]]; then
        for ((i = 0; i < GPUS; i++)); do
            f=$DIR/dev/gpu$i
            [ -e "$f" ] || mknod "$f" c 240 "$i"
            gres_files+=("$f")
        done
    else
        read -r -a gres_files <<< "$GPUS"
    fi
    : > "$DIR/etc/gres.conf"
    if [ ${#gres_files[@]} -gt 0 ]; then
        gres_types=gpu
        gres_line="gpu:${#gres_files[@]}"
        echo "AutoDetect=off" >> "$DIR/etc/gres.conf"
        for f in "${gres_files[@]}"; do echo "NodeName=$NODE Name=gpu File=$f" >> "$DIR/etc/gres.conf"; done
        if [ "$SHARDS" -gt 0 ]; then
            gres_types=gpu,shard
            gres_line="$gres_line,shard:$SHARDS"
            echo "NodeName=$NODE Name=shard Count=$SHARDS" >> "$DIR/etc/gres.conf"
        fi
    fi

    local proctrack=proctrack/linuxproc task=task/none
    if [ "$CGROUP" = 1 ]; then
        proctrack=proctrack/cgroup
        task=task/cgroup,task/affinity
        cat > "$DIR/etc/cgroup.conf" <<EOF
CgroupPlugin=autodetect
ConstrainCores=yes
ConstrainRAMSpace=yes
ConstrainDevices=yes
EOF
    else
        rm -f "$DIR/etc/cgroup.conf"
    fi

    cat > "$CONF" <<EOF
ClusterName=slurmtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start again (default 120 s)
AuthInfo=socket=$SOCK,cred_expire=10
StateSaveLocation=$DIR/state/ctld
SlurmdSpoolDir=$DIR/state/d
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=$proctrack
TaskPlugin=$task
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# without a default, every job asks for the whole node's memory and jobs run one at a time
DefMemPerCPU=500
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
# finished jobs stay visible to squeue/scontrol (and to the sacct stand-in) this long
MinJobAge=600
# seconds between SIGTERM and SIGKILL on scancel/time limit (default 30; submitit jobs ignore SIGTERM)
KillWait=5
MpiDefault=none
# tasks run at the nice value of the process that submitted them (a niced test run stays niced)
PropagatePrioProcess=1
ReturnToService=2
SlurmdParameters=config_overrides
${gres_types:+GresTypes=$gres_types}
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=$CPUS RealMemory=$MEM ${gres_line:+Gres=$gres_line} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

    # sacct needs slurmdbd; this stand-in answers "sacct -o JobID,State,NodeList --parsable2 -j ID ..."
    # (what submitit asks) from slurmctld's memory, so submitit sees FAILED/CANCELLED/OUT_OF_MEMORY
    cat > "$DIR/bin/sacct" <<'EOF'
#!/bin/sh
ids=""
while [ $# -gt 0 ]; do
  case "$1" in
    -j|--jobs) ids="${ids:+$ids,}$2"; shift 2 ;;
    -j*) ids="${ids:+$ids,}${1#-j}"; shift ;;
    --jobs=*) ids="${ids:+$ids,}${1#--jobs=}"; shift ;;
    *) shift ;;
  esac
done
echo "JobID|State|NodeList"
[ -n "$ids" ] && squeue -h --states=all -j "$ids" -o "%i|%T|%N" 2>/dev/null
exit 0
EOF
    chmod 755 "$DIR/bin/sacct"
}

cmd_env() {
    echo "export SLURM_CONF=$CONF"
    echo "export PATH=$DIR/bin:\$PATH"
}

cmd_up() {
    command -v slurmctld > /dev/null || { echo "slurm-wlm is not installed" >&2; exit 1; }
    [ "$(id -u)" = 0 ] || { echo "slurmd must run as root" >&2; exit 1; }
    if [ -s "$DIR/run/slurmctld.pid" ] && alive "$(cat "$DIR/run/slurmctld.pid")"; then
        echo "already up ($CONF)"; return 0
    fi
    local t0 t1 state="" i
    t0=$(date +%s.%N)
    write_config
    # a fresh cluster: no jobs, and job ids start again from 1, so old job folders must go too
    # (submitit would otherwise hand back a previous run's result pickle for a reused job id)
    rm -rf "$DIR/state/ctld/"* "$DIR/state/d/"* "$DIR/jobs/"*
    export SLURM_CONF=$CONF
    munged --key-file="$DIR/munge/munge.key" --socket="$SOCK" \
        --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"
    slurmctld -f "$CONF"
    slurmd -f "$CONF" -N "$NODE"
    for i in $(seq 1 300); do
        state=$(sinfo -h -n "$NODE" -o %T 2> /dev/null || true)
        [ "$state" = idle ] && break
        sleep 0.1
    done
    t1=$(date +%s.%N)
    if [ "$state" != idle ]; then
        echo "node state '$state' after 30 s; see $DIR/log/" >&2
        tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
        exit 1
    fi
    printf 'up in %s s: munged %s, slurmctld %s, slurmd %s\n' "$(awk "BEGIN{printf \"%.2f\", $t1 - $t0}")" \
        "$(cat "$DIR/run/munged.pid")" "$(cat "$DIR/run/slurmctld.pid")" "$(cat "$DIR/run/slurmd.pid")"
}

cmd_down() {
    export SLURM_CONF=$CONF
    local i
    if [ -s "$DIR/run/slurmctld.pid" ] && alive "$(cat "$DIR/run/slurmctld.pid")"; then
        # slurmstepd outlives slurmd, so end the jobs first
        scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
        scancel --full --quiet $(squeue -h -o %A 2>/dev/null) 2>/dev/null || true
        for i in $(seq 1 100); do
            [ -z "$(squeue -h -t running,completing 2>/dev/null)" ] && break
            sleep 0.1
        done
    fi
    stop_pidfile "$DIR/run/slurmd.pid"
    stop_pidfile "$DIR/run/slurmctld.pid"
    stop_pidfile "$DIR/run/munged.pid"
    echo down
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    purge) cmd_down; rm -rf "$DIR" "$SOCKDIR" ;;
    env) cmd_env ;;
    status) export SLURM_CONF=$CONF; sinfo -o "%N %T %c %m %G"; squeue ;;
    *) echo "usage: $0 up|down|purge|env|status" >&2; exit 2 ;;
esac
