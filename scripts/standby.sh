#!/bin/sh
# A PostgreSQL streaming standby of the local primary, on this machine (docs/scaling.md, "A real standby").
#
#   scripts/standby.sh            create it if absent, start it if stopped, then print its state (rerunnable)
#   scripts/standby.sh --status   print the state only
#   scripts/standby.sh --drop     stop and remove the standby cluster and its replication slot
#
# Run as root on Debian (postgresql-common). The standby is cluster $PG_VERSION/$STANDBY_CLUSTER on
# $STANDBY_PORT, made by pg_createcluster and filled by `pg_basebackup -R` (which writes standby.signal
# and primary_conninfo), with hot_standby on, streaming through a physical replication slot so the
# primary keeps the WAL the standby has not replayed yet. Then:
#
#   DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5433/<same database name as DATABASE_URL>
#
# The primary needs wal_level=replica and max_wal_senders>0 (PostgreSQL's defaults; changing them needs
# a restart, which this script never does) and a pg_hba.conf line for replication connections from
# 127.0.0.1: the script adds one for the postgres user (trust, like the primary's other 127.0.0.1 line)
# and reloads, which does not interrupt the primary's sessions.
set -eu

PG_VERSION=${PG_VERSION:-15}
PRIMARY_CLUSTER=${PRIMARY_CLUSTER:-main}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
STANDBY_CLUSTER=${STANDBY_CLUSTER:-standby}
STANDBY_PORT=${STANDBY_PORT:-5433}
SLOT=${STANDBY_SLOT:-caseqa_standby}
CTL="pg_ctlcluster --skip-systemctl-redirect"

primary() { psql -X -q -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -Atc "$1"; }
standby() { psql -X -q -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -Atc "$1"; }
exists() { pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$STANDBY_CLUSTER" '$1 == v && $2 == c' | grep -q .; }
online() { pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$STANDBY_CLUSTER" '$1 == v && $2 == c && $4 ~ /online/' | grep -q .; }
datadir() { pg_conftool -s "$PG_VERSION" "$STANDBY_CLUSTER" show data_directory; }

status() {
    if ! online; then
        echo "standby $PG_VERSION/$STANDBY_CLUSTER: not running"
        return 1
    fi
    echo "standby $PG_VERSION/$STANDBY_CLUSTER on 127.0.0.1:$STANDBY_PORT, in recovery: $(standby 'SELECT pg_is_in_recovery()')"
    primary "SELECT 'primary sees: ' || application_name || ' ' || state || ', replay lag ' ||
                    coalesce(replay_lag::text, '0') || ', ' ||
                    pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) || ' bytes behind'
             FROM pg_stat_replication WHERE application_name = '$STANDBY_CLUSTER'"
}

drop() {
    if exists; then
        $CTL "$PG_VERSION" "$STANDBY_CLUSTER" stop -m fast 2>/dev/null || true
        pg_dropcluster "$PG_VERSION" "$STANDBY_CLUSTER"
        echo "dropped cluster $PG_VERSION/$STANDBY_CLUSTER"
    fi
    # A slot nobody reads makes the primary keep WAL forever: it goes with the standby.
    if [ "$(primary "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = 1 ]; then
        primary "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
        echo "dropped replication slot $SLOT"
    fi
}

check_primary() {
    level=$(primary "SHOW wal_level")
    senders=$(primary "SHOW max_wal_senders")
    if [ "$level" = minimal ] || [ "$senders" = 0 ]; then
        echo "the primary has wal_level=$level, max_wal_senders=$senders: set replica and >0 and restart it first" >&2
        exit 1
    fi
    hba=$(primary "SHOW hba_file")
    if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+(all|postgres)[[:space:]]+127\.0\.0\.1/32' "$hba"; then
        printf '# caseqa standby (scripts/standby.sh): streaming replication from this machine\nhost replication postgres 127.0.0.1/32 trust\n' >>"$hba"
        primary "SELECT pg_reload_conf()" >/dev/null
        echo "added a replication line to $hba and reloaded the primary"
    fi
}

create() {
    check_primary
    pg_createcluster "$PG_VERSION" "$STANDBY_CLUSTER" -p "$STANDBY_PORT" >/dev/null
    conf=/etc/postgresql/$PG_VERSION/$STANDBY_CLUSTER
    dir=$(datadir)
    # The standby answers the same clients as the primary (its pg_hba.conf), on its own port.
    cp "/etc/postgresql/$PG_VERSION/$PRIMARY_CLUSTER/pg_hba.conf" "$conf/pg_hba.conf"
    cat >"$conf/conf.d/95-standby.conf" <<EOF
# scripts/standby.sh: a hot standby of $PG_VERSION/$PRIMARY_CLUSTER
port = $STANDBY_PORT
listen_addresses = '127.0.0.1'
hot_standby = on
# Tell the primary which rows the standby's queries still read, so its vacuum does not cancel them.
hot_standby_feedback = on
EOF
    # pg_basebackup wants an empty directory; the slot is created by it (-C) if the primary has none.
    find "$dir" -mindepth 1 -delete
    if [ "$(primary "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = 1 ]; then
        create_slot=""
    else
        create_slot="-C"
    fi
    # -R writes standby.signal and primary_conninfo; application_name names the standby in pg_stat_replication.
    su postgres -c "pg_basebackup -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D '$dir' -X stream -R -S $SLOT $create_slot \
        -d 'application_name=$STANDBY_CLUSTER' --checkpoint=fast"
    echo "created $PG_VERSION/$STANDBY_CLUSTER from $PG_VERSION/$PRIMARY_CLUSTER"
}

case "${1:-}" in
--drop)
    drop
    exit 0
    ;;
--status)
    status
    exit $?
    ;;
"") ;;
*)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac

if exists && [ ! -f "$(datadir)/standby.signal" ]; then
    echo "$PG_VERSION/$STANDBY_CLUSTER exists but is not a standby (promoted?): rerun with --drop first" >&2
    exit 1
fi
exists || create
online || $CTL "$PG_VERSION" "$STANDBY_CLUSTER" start
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$STANDBY_PORT" && break
    sleep 1
done
status
