#!/usr/bin/env bash
# Figures for a blog post, one command each. Usage: examples/make_figures.sh [OUT_DIR]
set -euo pipefail
out=${1:-figures}
mkdir -p "$out"
actplot relu --range -20 20 --grad -o "$out/relu.png"
actplot sigmoid tanh --grad -o "$out/sig_tanh.svg"
actplot leaky_relu -p negative_slope=0.2 --grad -o "$out/lrelu.pdf"
actplot step sign --grad -o "$out/step_sign.png"
actplot softmax --jacobian --points 200 --grad -o "$out/softmax.png"
actplot sigmoid --at -1,2,-3,4,0 --grad --json > "$out/sigmoid_points.json"
