"""Candidate against production in a backtest: flagged-decision rates, fraud caught and false
positives, and per-rule hits.

usage: backtest_chart.py <backtest.json> <chart.png>
The JSON is the backtest's own result file (reports/backtest-<date>.json).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Approvals are the rest (about 97 % of events): drawn beside them, the others would not show.
FLAGGED = ["REVIEW", "STEP_UP", "DECLINE"]
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
    fig, (rates, outcome, rules) = plt.subplots(1, 3, figsize=(14, 4.8), dpi=110,
                                                gridspec_kw={"width_ratios": [3, 2, 4]})
    sides = ["production", "candidate"]

    def pct(side, action):
        return round(100 * (d[side]["rates"][action] or 0), 2)

    bars(rates, [a.lower() for a in FLAGGED], {s: [pct(s, a) for a in FLAGGED] for s in sides})
    rates.set_ylabel("share of decided events, %")
    rates.set_title("Not approved")
    bars(outcome, ["fraud caught, %", "false positives\nper 1,000"], {
        s: [round(100 * (d[s]["fraudCaughtShare"] or 0), 1), round(d[s]["falsePositivesPer1000"] or 0, 1)]
        for s in sides
    })
    outcome.set_title("Outcomes (newest labels)")
    names = [r["rule"] for r in d["rules"]]
    if names:
        bars(rules, names, {s: [r[s] for r in d["rules"]] for s in sides})
    else:
        rules.text(0.5, 0.5, "no rule fired", ha="center", va="center")
    rules.set_ylabel("events the rule fired on")
    rules.set_title("Rule hits")
    span = f"{result['range']['from'][:16]} .. {result['range']['to'][:16]} UTC"
    fig.suptitle(f"Backtest {span}: {d['compared']} events, {d['identical']} identical decisions", fontsize=10)
    fig.tight_layout()
    fig.savefig(target)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
