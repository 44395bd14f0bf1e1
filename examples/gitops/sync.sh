#!/bin/sh
# One GitOps pass, as a CI job runs it on every push (and on a schedule, to correct drift):
#   1. diff: is the cluster what the directory says? (exit 0 yes, 1 no, >1 error)
#   2. apply --prune: make it so; objects that left the directory are deleted, nothing else
#   3. status --wait: until every object is Current (or one Failed, or the timeout)
# The directory is the truth for the fields it sets: --force-conflicts takes them back from
# whoever changed them by hand (gantryctl scale, the ECS API), which is the drift this corrects.
# Fields the manifests leave out stay with the writers that set them.
# usage: examples/gitops/sync.sh [DIR [INVENTORY]]   (gantryctl on PATH; GANTRY_SERVER set)
set -u
DIR=${1:-$(dirname "$0")/deploy}
INVENTORY=${2:-gitops-example}
GANTRYCTL=${GANTRYCTL:-gantryctl}

"$GANTRYCTL" diff -f "$DIR" -R --inventory "$INVENTORY" --prune --force-conflicts
drift=$?
case $drift in
  0) echo "sync: in sync with $DIR" ;;
  1) echo "sync: drift (above); applying $DIR"
     "$GANTRYCTL" apply -f "$DIR" -R --prune --inventory "$INVENTORY" --force-conflicts || exit 1 ;;
  *) echo "sync: diff failed (exit $drift)" >&2; exit "$drift" ;;
esac
"$GANTRYCTL" status -f "$DIR" -R --wait --timeout="${TIMEOUT:-5m}" || exit 1
echo "sync: done"
