"""Rebuild BENCHMARKS.md from the per-benchmark results in benchmarks/results/*.md.

    python benchmarks/collect.py

Each benchmark script writes its own results file (table, date, reproducing command) when run;
this only concatenates them under the summary kept in benchmarks/results/_summary.md.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("features_scale", "forecast_peyton", "forecast_stores", "forecast_launches",
         "forecast_hourly",
         "customers_cdnow",
         "customers_scoring",
         "uplift_hillstrom", "serving_latency", "serving_scale", "serving_soak")


def main() -> None:
    res = ROOT / "benchmarks" / "results"
    parts = [(res / "_summary.md").read_text().rstrip()]
    names = [n for n in ORDER if (res / f"{n}.md").exists()]
    names += sorted(p.stem for p in res.glob("*.md") if p.stem not in ORDER and
                    not p.stem.startswith("_"))
    for name in names:
        text = (res / f"{name}.md").read_text().rstrip()
        text = text.replace("](", "](benchmarks/results/").replace(
            "](benchmarks/results/http", "](http")
        parts.append(text)
    (ROOT / "BENCHMARKS.md").write_text("\n\n".join(parts) + "\n")
    print(f"BENCHMARKS.md: {', '.join(names)}")


if __name__ == "__main__":
    main()
