"""Cold start: process spawn to first 200, with and without Node's module compile cache."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import BootError, running_target
from bench.stats import median
from bench.targets import BuiltTarget

WITHOUT_CACHE = {"NODE_DISABLE_COMPILE_CACHE": "1"}
# Node writes the compile cache at a clean exit, which SIGKILL skips: the priming start is
# preloaded with this, then stopped with SIGTERM.
FLUSH_ON_SIGTERM = """const { flushCompileCache } = require('node:module');
process.on('SIGTERM', () => {
  flushCompileCache();
  process.exit(0);
});
"""


@dataclass
class ColdStart:
    """Seconds to first 200 of one target, per run, in both modes."""

    name: str
    without_cache_ms: list[float] = field(default_factory=list)
    with_cache_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        """Medians in milliseconds."""
        return {
            "without_compile_cache_ms": median(self.without_cache_ms),
            "with_compile_cache_ms": median(self.with_cache_ms),
            "runs": min(len(self.without_cache_ms), len(self.with_cache_ms)),
        }


def measure_cold_starts(
    targets: Sequence[BuiltTarget],
    runs: int,
    cache_root: Path,
    progress: Callable[[str], None],
) -> list[ColdStart]:
    """`runs` starts of each target per mode, interleaved across targets.

    With the cache, one unmeasured start first fills a fresh NODE_COMPILE_CACHE directory.
    """
    results = {target.name: ColdStart(name=target.name) for target in targets}
    cache_root.mkdir(parents=True, exist_ok=True)
    flush_script = cache_root / "flush-compile-cache-on-sigterm.cjs"
    flush_script.write_text(FLUSH_ON_SIGTERM, encoding="utf-8")
    cache_env = {}
    for target in targets:
        cache_dir = cache_root / target.name
        shutil.rmtree(cache_dir, ignore_errors=True)
        cache_dir.mkdir(parents=True)
        cache_env[target.name] = {"NODE_COMPILE_CACHE": str(cache_dir)}
        priming_env = {**cache_env[target.name], "NODE_OPTIONS": f"--require {flush_script}"}
        _time_start(target, priming_env, results[target.name], graceful_stop=True)
        if not any(path.is_file() for path in cache_dir.rglob("*")):
            results[target.name].failures.append(f"the compile cache in {cache_dir} stayed empty")
    for _ in range(runs):
        for target in targets:
            result = results[target.name]
            without = _time_start(target, WITHOUT_CACHE, result)
            with_cache = _time_start(target, cache_env[target.name], result)
            if without is not None and with_cache is not None:
                result.without_cache_ms.append(without)
                result.with_cache_ms.append(with_cache)
    for result in results.values():
        summary = result.summary()
        progress(
            f"  {result.name}: {summary['without_compile_cache_ms']:.0f} ms, "
            f"{summary['with_compile_cache_ms']:.0f} ms with compile cache"
        )
    return list(results.values())


def _time_start(
    target: BuiltTarget, env: dict[str, str], result: ColdStart, *, graceful_stop: bool = False
) -> float | None:
    try:
        with running_target(target, extra_env=env) as running:
            if graceful_stop:
                running.terminate()
            return running.seconds_to_first_200 * 1000
    except (BootError, OSError) as error:
        result.failures.append(str(error))
        return None
