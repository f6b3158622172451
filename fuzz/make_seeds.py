#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus: one request per model preset and entry point."""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
hw = json.loads((root / "presets/hardware/h100-sxm.json").read_text())
sections = [
    {},
    {"generation": {"prompt_tokens": 512, "output_tokens": 16}},
    {"capacity": {"context": 4096}},
    {"parallel": {"devices": 8}},
    {"training": {"sequence_length": 2048, "micro_batch": 1}},
]
n = 0
for f in sorted((root / "presets/models").glob("*.json")):
    cfg = json.loads(f.read_text())["config"]
    for entry, extra in enumerate(sections):
        req = {"config": cfg, "workload": {"input_tokens": [128, 1], "cached_tokens": [0, 900], "batch_size": 2}, "hardware": hw}
        req.update(extra)
        text = json.dumps(req, separators=(",", ":"))
        (out / f"{f.stem}-{entry}.json").write_text(text)
        n += 1
print(f"{n} seeds in {out}")
