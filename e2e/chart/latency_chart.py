"""Latency percentiles against rate for each pipeline of an end-to-end benchmark run.

usage: latency_chart.py <bench.json> <chart.png>
The JSON is the benchmark's own result file (reports/bench-<date>.json).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(source: str, target: str) -> None:
    with open(source) as f:
        bench = json.load(f)
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    styles = {"fraud": "-", "identity": "--"}
    colours = {"p50": "tab:green", "p95": "tab:orange", "p99": "tab:red", "max": "tab:gray"}
    for pipeline in bench["pipelines"]:
        steps = sorted(
            (s for s in pipeline["steps"] + pipeline["searched"] if s["latencyMs"]["count"] > 0),
            key=lambda s: s["rate"],
        )
        rates = [s["rate"] for s in steps]
        for key, colour in colours.items():
            values = [s["latencyMs"][key] for s in steps]
            ax.plot(rates, values, styles.get(pipeline["kind"], "-"), color=colour, marker="o", markersize=3,
                    label=f"{pipeline['kind']} {key}")
        for s in steps:
            if not s["judgement"]["sustained"]:
                ax.axvline(s["rate"], color="tab:red", alpha=0.08, linewidth=6)
    if ax.has_data():
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("rate, events/s (shaded: not sustained)")
    ax.set_ylabel("publish → decisions topic, ms")
    ax.set_title(f"End-to-end latency against rate, {bench['date']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(target)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
