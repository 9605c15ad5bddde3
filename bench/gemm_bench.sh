#!/bin/sh
# Builds and runs bench/gemm_bench.c: the cpu target's GEMM and conv
# (cpu_gemm.c, cpu_conv.c) against OpenBLAS's cblas_sgemm, on 1 and 2
# threads (OPENBLAS_NUM_THREADS set to match; OPENBLAS_CORETYPE unset for
# the benchmark only).
#
#   bench/gemm_bench.sh [avx512|avx2|generic] [gemm_bench options: --rounds R --ms M --only TEXT]
#
# Needs OpenBLAS (Debian: libopenblas-dev, found with pkg-config openblas).
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
if ! blas=$(pkg-config --cflags --libs openblas 2>/dev/null); then
  echo "gemm_bench: OpenBLAS not found (apt-get install libopenblas-dev)" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
k=runtime-mini/kernels
${CC:-gcc} -std=c99 -O3 $isa_flags -pthread -D_POSIX_C_SOURCE=200809L -D_ISOC11_SOURCE \
  -Iruntime-mini/include -I$k bench/gemm_bench.c $k/cpu_gemm.c $k/cpu_conv.c $k/tpool.c \
  $blas -lm -o "$out/gemm_bench"
echo "instruction set: $isa ($isa_flags)"
for t in 1 2; do
  (unset OPENBLAS_CORETYPE; OPENBLAS_NUM_THREADS=$t "$out/gemm_bench" --threads $t "$@")
  echo
done
