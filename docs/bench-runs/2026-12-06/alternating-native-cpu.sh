#!/bin/bash
# alternating MCVD-KTH / EVDM-L-KTH, training and sampling, native cpu host, one process per cell
cd "$(dirname "$0")/../../.."
for round in 1 2 3; do
  for m in mcvd-kth evdm-l-kth; do
    echo "train $round $m $(node packages/evdm/dist/cli.js bench step --model $m --backend native-cpu --runs 5 --json 2>/dev/null | tail -1)"
  done
  for m in mcvd-kth evdm-l-kth; do
    echo "sample $round $m $(node packages/evdm/dist/cli.js bench step --model $m --backend native-cpu --sample --runs 15 --json 2>/dev/null | tail -1)"
  done
  echo "load $(cat /proc/loadavg)"
done
