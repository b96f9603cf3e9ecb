#!/usr/bin/env python3
"""Training curves as a small SVG (standard library only).

    python3 train/plot_curve.py OUT.svg LABEL=train_log.jsonl [LABEL=train_log.jsonl ...]

Each log is what `dimple train` writes (one JSON object per report: step, phase,
loss). One polyline per log, the loss against the step; a dashed vertical line where
a run switches from the autoregressive to the diffusion phase."""
import json
import sys

W, H, PAD = 720, 360, 48
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = []
    for arg in sys.argv[2:]:
        label, _, path = arg.partition("=")
        rows = [json.loads(l) for l in open(path) if l.strip()]
        runs.append((label, rows))
    xmax = max(r["step"] for _, rows in runs for r in rows)
    ymax = max(r["loss"] for _, rows in runs for r in rows)
    ymax = min(ymax, 8.0)

    def X(s):
        return PAD + (W - 2 * PAD) * s / xmax

    def Y(v):
        return H - PAD - (H - 2 * PAD) * min(v, ymax) / ymax

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<line x1="{PAD}" y1="{H-PAD}" x2="{W-PAD}" y2="{H-PAD}" stroke="black"/>',
           f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H-PAD}" stroke="black"/>',
           f'<text x="{W/2}" y="{H-12}" text-anchor="middle">step</text>',
           f'<text x="14" y="{H/2}" transform="rotate(-90 14 {H/2})" text-anchor="middle">training loss</text>']
    for i in range(5):
        v = ymax * i / 4
        out.append(f'<text x="{PAD-6}" y="{Y(v)+4:.1f}" text-anchor="end">{v:.1f}</text>')
        s = xmax * i / 4
        out.append(f'<text x="{X(s):.1f}" y="{H-PAD+16}" text-anchor="middle">{s:.0f}</text>')
    for k, (label, rows) in enumerate(runs):
        c = COLORS[k % len(COLORS)]
        pts = " ".join(f"{X(r['step']):.1f},{Y(r['loss']):.1f}" for r in rows)
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{pts}"/>')
        sw = [r["step"] for a, r in zip(rows, rows[1:]) if a["phase"] != r["phase"]]
        for s in sw:
            out.append(f'<line x1="{X(s):.1f}" y1="{PAD}" x2="{X(s):.1f}" y2="{H-PAD}" stroke="{c}" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{W-PAD-4}" y="{PAD+16*(k+1)}" text-anchor="end" fill="{c}">{label}</text>')
    out.append("</svg>")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
