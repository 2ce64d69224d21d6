"""``python -m bench``: run every bench/bench_*.py and print medians."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import bench
from bench.harness import print_results


def main() -> None:
    logging.disable(logging.INFO)
    results = []
    for module_info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if module_info.name.startswith("bench_"):
            module = importlib.import_module(f"bench.{module_info.name}")
            results.extend(module.run())
    print_results(results)


if __name__ == "__main__":
    main()
