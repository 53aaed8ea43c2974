"""Candidate against production in a backtest: decision rates and per-rule hits.

usage: backtest_chart.py <backtest.json> <chart.png>
The JSON is the backtest's own result file (reports/backtest-<date>.json).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ACTIONS = ["APPROVE", "REVIEW", "STEP_UP", "DECLINE"]
COLOURS = {"production": "tab:blue", "candidate": "tab:orange"}


def bars(ax, labels, series, width=0.38):
    xs = range(len(labels))
    for i, (name, values) in enumerate(series.items()):
        offset = (i - 0.5) * width
        drawn = ax.bar([x + offset for x in xs], values, width, label=name, color=COLOURS[name])
        ax.bar_label(drawn, fmt="%g", fontsize=7, padding=1)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, fontsize=8, rotation=20, ha="right")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)


def main(source: str, target: str) -> None:
    with open(source) as f:
        result = json.load(f)
    d = result["decisions"]
    fig, (rates, rules) = plt.subplots(1, 2, figsize=(11, 4.8), dpi=110)
    pct = lambda side: [round(100 * (d[side]["rates"][a] or 0), 2) for a in ACTIONS]  # noqa: E731
    bars(rates, [a.lower() for a in ACTIONS], {"production": pct("production"), "candidate": pct("candidate")})
    rates.set_ylabel("share of decided events, %")
    rates.set_title("Decisions")
    names = [r["rule"] for r in d["rules"]]
    if names:
        bars(rules, names, {
            "production": [r["production"] for r in d["rules"]],
            "candidate": [r["candidate"] for r in d["rules"]],
        })
    else:
        rules.text(0.5, 0.5, "no rule fired", ha="center", va="center")
    rules.set_ylabel("events the rule fired on")
    rules.set_title("Rule hits")
    fig.suptitle(f"Backtest {result['range']['from']} .. {result['range']['to']}: "
                 f"{d['compared']} events, {d['identical']} identical decisions", fontsize=10)
    fig.tight_layout()
    fig.savefig(target)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
