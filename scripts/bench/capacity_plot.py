#!/usr/bin/env python3
"""Table and plot of scripts/bench/capacity.sh's raw rows (TSV): medians over repeats per
(layout, players) (counts of rare events summed instead, so one bad run shows), printed as one
Markdown table, drawn as players -> server CPU per player,
tick p99 and UDP bytes/s per player. Arguments: TSV PNG [PATH, the title's note on the
bots' path: "loopback" by default]."""

import csv
import statistics
import sys
from collections import defaultdict

COLUMNS = [
    ("connected", "connected", "{:.0f}"),
    ("failed", "failed", "{:.0f}"),
    ("server_cpu_ms_per_player_s", "server CPU ms/s per player", "{:.3f}"),
    ("tick_p50_ms", "tick p50 ms", "{:.2f}"),
    ("tick_p99_ms", "tick p99 ms", "{:.2f}"),
    ("skipped_ticks", "skipped ticks", "{:.0f}"),
    ("dropped_datagrams", "dropped datagrams", "{:.0f}"),
    ("down_udp_Bps", "down UDP B/s per player", "{:.0f}"),
    ("up_udp_Bps", "up UDP B/s per player", "{:.0f}"),
    ("down_payload_Bps", "down payload B/s per player", "{:.0f}"),
    ("swarm_cpu_ms_s", "swarm CPU ms/s", "{:.0f}"),
    ("tick_demotions", "tick demotions (all runs)", "{:.0f}"),
    ("calm_share_pct", "calm ticks %", "{:.0f}"),
    ("down_packets_s", "down packets/s per player", "{:.1f}"),
    ("up_packets_s", "up packets/s per player", "{:.1f}"),
    ("bare_up_packets_s", "up packets/s with no input", "{:.1f}"),
    ("server_pings_s", "server PINGs/s per player", "{:.1f}"),
    ("server_core_steal_pct", "steal on the server's core %", "{:.1f}"),
    ("host_floor_us", "host speed: floor µs on core 0", "{:.0f}"),
]

# Rare events: a median over repeats would hide the one run they happened in.
SUMMED = {"tick_demotions"}


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def aggregate(path):
    points = defaultdict(lambda: defaultdict(list))
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            key = (r["layout"], int(r["players"]))
            for col, _, _ in COLUMNS:
                v = number(r.get(col) or "")
                if v is not None:
                    points[key][col].append(v)
    return {
        k: {c: sum(v) if c in SUMMED else statistics.median(v) for c, v in cols.items()}
        for k, cols in points.items()
    }


def table(points):
    head = ["layout", "players"] + [title for _, title, _ in COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (layout, players), m in sorted(points.items()):
        cells = [layout, str(players)]
        cells += [fmt.format(m[c]) if c in m else "-" for c, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(points, out, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("server_cpu_ms_per_player_s", "server CPU ms per player per s", 0.5),
        ("tick_p99_ms", "tick p99 (ms)", 10.0),
        ("down_udp_Bps", "UDP B/s per player (down, up dashed)", 1500.0),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, (col, title, target) in zip(axes, panels):
        for layout in sorted({k[0] for k in points}):
            xs = sorted(p for (l, p) in points if l == layout)
            ys = [points[(layout, x)].get(col) for x in xs]
            line = ax.plot(xs, ys, marker="o", label=f"{layout} floor" if layout == "one" else f"{layout}")
            if col == "down_udp_Bps":
                up = [points[(layout, x)].get("up_udp_Bps") for x in xs]
                ax.plot(xs, up, marker="x", linestyle="--", color=line[0].get_color())
        ax.axhline(target, color="grey", linestyle=":", label="target")
        ax.set_title(title)
        ax.set_xlabel("players")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"tower-server pinned to one core, bots on the other, {path} (medians)")
    fig.tight_layout()
    fig.savefig(out, dpi=90)


def main():
    tsv, png = sys.argv[1], sys.argv[2]
    path = sys.argv[3] if len(sys.argv) > 3 else "loopback"
    points = aggregate(tsv)
    print(table(points))
    plot(points, png, path)
    print(f"\nplot: {png}", file=sys.stderr)


if __name__ == "__main__":
    main()
