#!/usr/bin/env bash
# The hunts that produced the committed counterexamples. Running it again
# writes the same files (only `found` differs, and an identical file is kept).
set -u
cd "$(dirname "$0")/.."
hunt() { npx tsx src/cli.ts hunt "$@" --seed 1 --out counterexamples | grep -E "saved|already|passed"; }

hunt mempool --variant preempt-lock
hunt mempool --variant no-preempt-lock
hunt mempool --variant delegate-queue
hunt mempool --variant delegate-queue --property conservation --runs 3000
hunt mempool --variant delegate-queue --property owner-only --runs 3000

for v in plain-lock-in-irq unlock-irq-nested shared-flags sleep-under-lock no-preempt-disable; do
  hunt spinlock --variant "$v"
done
# Without lockdep the same two bugs must be found as the deadlocks they are.
hunt spinlock --variant plain-lock-in-irq --set lockdep=0
hunt spinlock --variant unlock-irq-nested --set lockdep=0
exit 0
