#!/bin/sh
# Builds and runs bench/dw_bench.c: the cpu target's depthwise conv and pools
# against the portable kernels, all compiled with the same flags.
#
#   bench/dw_bench.sh [avx512|avx2|generic] [dw_bench options: --rounds R --ms T]
#
# The instruction set defaults to the best one /proc/cpuinfo shows; the flags
# are the cpu target's for that set (targets/cpu/cpu_target.c).
set -e
cd "$(dirname "$0")/.."
isa=$1
case "$isa" in avx512|avx2|generic) shift ;; *) isa="" ;; esac
if [ -z "$isa" ]; then
  flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
  isa=generic
  case "$flags" in *avx2*fma*|*fma*avx2*) isa=avx2 ;; esac
  case "$flags" in *avx512f*) isa=avx512 ;; esac
fi
case "$isa" in
  avx512) isa_flags="-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mf16c" ;;
  avx2) isa_flags="-mavx2 -mfma -mf16c" ;;
  *) isa_flags="" ;;
esac
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
k=runtime-mini/kernels
${CC:-gcc} -std=c99 -O3 $isa_flags -pthread -D_POSIX_C_SOURCE=200809L \
  -Iruntime-mini/include -I$k bench/dw_bench.c $k/cpu_dw.c $k/cpu_pool.c $k/conv.c \
  $k/pool.c $k/reduce.c $k/tpool.c -lm -o "$out/dw_bench"
echo "instruction set: $isa ($isa_flags)"
"$out/dw_bench" "$@"
