#!/usr/bin/env bash
# The official Python wrapper on rocketmq-cpp: rocketmq-client-python 2.0.0 from PyPI, unchanged,
# installed into a virtualenv kept under the build directory (created once, reused by later runs),
# with our librocketmq.so copied into its package folder, where its rocketmq/ffi.py looks first.
# Then: `import rocketmq.client` (binds every function it declares), the package's own
# samples/producer.py (10 synchronous sends; it hard-codes 127.0.0.1:9876 and TopicTest), and our
# pytest suite (test_python_client.py) against its public API.
#   run_python_tests.sh <build dir> <librocketmq.so>
# Exit 77 (skipped) for a TSan library, which cannot be loaded into an uninstrumented python.
set -euo pipefail
build=$(cd "$1" && pwd)
library=$(readlink -f "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv="$build/capi-python-venv"
wrapper="rocketmq-client-python==2.0.0"

needed=$(readlink -f "$library" | xargs readelf -d | grep NEEDED || true)
if grep -q libtsan <<<"$needed"; then
  echo "skipped: a TSan librocketmq cannot be loaded into python"
  exit 77
fi

(
  flock 9
  if [ ! -f "$venv/.ready" ]; then
    rm -rf "$venv"
    # The interpreter's own packages stay visible: pytest is taken from there when it has one, and
    # the wrapper's sdist builds with its setuptools (no isolated build environment to download).
    python3 -m venv --system-site-packages "$venv"
    # Each build tool the interpreter lacks comes from PyPI first (a pyenv Python has setuptools
    # but no wheel, and without wheel the sdist cannot be built: "invalid command 'bdist_wheel'").
    tools=()
    for module in pytest setuptools wheel; do
      "$venv/bin/python" -c "import $module" 2>/dev/null || tools+=("$module")
    done
    if [ ${#tools[@]} -gt 0 ] &&
      ! "$venv/bin/pip" install -q --disable-pip-version-check "${tools[@]}"; then
      echo "BLOCKED: pip could not install ${tools[*]} from PyPI" >&2
      exit 1
    fi
    packages=("$wrapper")
    if ! "$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation "${packages[@]}"; then
      echo "BLOCKED: pip could not install ${packages[*]} from PyPI" >&2
      exit 1
    fi
    touch "$venv/.ready"
  fi
) 9>"$build/capi-python-venv.lock"
python="$venv/bin/python"

# The package folder, found without importing it (the import loads the library).
package=$("$python" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("rocketmq").origin))')
cp -f "$library" "$package/librocketmq.so"

# An ASan+UBSan library needs its runtime loaded first; python itself leaks by design.
if grep -q libasan <<<"$needed"; then
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=1"
fi
export NAMESRV_ADDR=${NAMESRV_ADDR:-127.0.0.1:${RMQ_NAMESRV_PORT:-9876}}

"$python" -c 'import rocketmq.client, rocketmq.ffi as f; print("import rocketmq.client: ok, library", f._DYLIB_PATH)'

if [ "$NAMESRV_ADDR" = 127.0.0.1:9876 ]; then
  out=$(cd "$build" && timeout 120 "$python" -m samples.producer)
  echo "$out" | tail -3
  sent=$(grep -cE '^send message status: (SendStatus.OK|0) msgId: [0-9A-F]{32}$' <<<"$out" || true)
  [ "$sent" = 10 ] || { echo "samples/producer.py: $sent of 10 sends succeeded" >&2; exit 1; }
  echo "samples/producer.py: 10 of 10 sync sends OK"
else
  echo "samples/producer.py not run: it hard-codes 127.0.0.1:9876, the cluster is at $NAMESRV_ADDR"
fi

cd "$here"
exec timeout 400 "$python" -m pytest -q -p no:cacheprovider --durations=0 "$here/test_python_client.py"
