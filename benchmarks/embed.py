"""Embedding throughput on real abstracts: fp32 (sentence-transformers) against the faster paths.

    python benchmarks/embed.py --abstracts 512 --runs 3                      # speed only
    python benchmarks/embed.py --abstracts 256 --runs 3 --paths fp32,fp32-unfused,auto   # AVX2 CPUs
    python benchmarks/embed.py --abstracts 512 --beir ../shared/data/scifact-train --split train

What one run measures, every path in the same process and in turn (fp32, bf16, fp32, bf16, …)
so that a machine whose speed drifts (a shared 2-core box) hurts all of them alike:

* **abstracts/s** of ``embedder.encode`` over ``--abstracts`` real title + abstract texts (the first N
  lines of the arXiv sample, the text paperfeed embeds), median of ``--runs`` after a warm-up;
* **the fp32 ceiling**: this machine's fp32 matrix-product rate (torch, 2 threads, 2048² products,
  median of several) divided by the model's FLOPs per abstract, counted from its config over the
  abstracts' real token counts at the path's cap (linear layers 2·(4h² + 2hi) per token and layer;
  attention products 4·L·h per token and layer, L the padded batch length);
* **the peak ceiling**: the same with the better of the fp32 and bf16 product rates measured in the
  same run (bf16 is oneDNN's AMX/AVX512-BF16 where the CPU has them, emulated and slow where not):
  no path in this arithmetic can embed faster than this;
* **ratios**: each path against fp32 (of the medians, and the median of run-by-run ratios, which
  cancels load changes between runs) and against the ceiling; cosine of its vectors with fp32's;
* with ``--beir``: nDCG@10 of ``paperfeed eval beir`` (semantic and hybrid) for each path, run as
  child processes one after another (never two heavy jobs at once), each with its own work dir.

Prints a Markdown table (and ``--out FILE`` writes the figures as JSON).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample" / "arxiv_cs_ai_2025-2026_newest20k.jsonl"
"""The default sample, beside the repository (``../shared/data/arxiv-sample``), as ``scale.py`` has it."""
MODEL = "all-MiniLM-L6-v2"


def load_texts(path: Path, n: int) -> list[str]:
    """The first ``n`` records' title + abstract, as paperfeed embeds them (``paper_text``)."""
    texts = []
    with path.open(encoding="utf-8") as handle:
        for line in itertools.islice(handle, n):
            row = json.loads(line)
            texts.append(f"{row.get('title') or ''} {row.get('abstract') or ''}".strip())
    return texts


def machine_gflops(size: int = 2048, repeats: int = 5, dtype: str = "fp32") -> float:
    """GFLOP/s of one torch matrix product on this machine's threads (the ceiling's numerator).

    ``dtype`` "bf16" measures what the CPU does with bf16 products: oneDNN's AMX/AVX512-BF16 peak
    where the CPU has them, emulation (far below fp32) where it does not; fewer products are timed."""
    import torch

    kind = torch.bfloat16 if dtype == "bf16" else torch.float32
    a, b = torch.randn(size, size, dtype=kind), torch.randn(size, size, dtype=kind)
    per_run = 5 if dtype == "fp32" else 1
    for _ in range(3 if dtype == "fp32" else 1):
        a @ b
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(per_run):
            a @ b
        rates.append(2 * size**3 * per_run / (time.perf_counter() - started) / 1e9)
    return statistics.median(rates)


def flops_per_abstract(config: Any, lengths: list[int], batch_size: int) -> float:
    """The model's FLOPs for one abstract, averaged over ``lengths`` (tokens each, after truncation)
    batched as the fast path batches them (sorted, padded to the batch's longest)."""
    h, inter, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    linear = 2 * (4 * h * h + 2 * h * inter)  # Q, K, V, output projection; the two feed-forward layers
    ordered = sorted(lengths, reverse=True)
    total = 0.0
    for start in range(0, len(ordered), batch_size):
        batch = ordered[start : start + batch_size]
        padded = batch[0]
        total += len(batch) * padded * layers * (linear + 4 * padded * h)
    return total / len(lengths)


def time_paths(
    embedders: dict[str, Any], texts: list[str], runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall seconds and process CPU seconds per full encode of ``texts``, paths interleaved run by run.

    CPU seconds matter on a shared machine: other jobs stretch the wall time of a run (and of one
    path more than another) but not the CPU time the work itself took."""
    for embedder in embedders.values():
        embedder.encode(texts[:32])  # warm-up: first-call allocations, oneDNN kernel selection
    seconds: dict[str, list[float]] = {name: [] for name in embedders}
    cpu: dict[str, list[float]] = {name: [] for name in embedders}
    for _ in range(runs):
        for name, embedder in embedders.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            embedder.encode(texts)
            seconds[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
    return seconds, cpu


def beir_scores(
    folder: Path, split: str, precision: str, max_tokens: int, work_root: Path
) -> dict[str, float]:
    """nDCG@10 of ``paperfeed eval beir`` in semantic and hybrid mode with this precision and cap."""
    env = dict(
        os.environ, PAPERFEED_EMBEDDING_PRECISION=precision, PAPERFEED_EMBEDDING_MAX_TOKENS=str(max_tokens)
    )
    work = work_root / f"beir-{precision}-{max_tokens}"
    out: dict[str, float] = {}
    for mode in ("semantic", "hybrid"):  # semantic embeds the corpus; hybrid re-uses it
        command = [sys.executable, "-m", "paperfeed", "eval", "beir", str(folder), "--split", split]
        command += ["--mode", mode, "--work-dir", str(work), "--json"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        report = json.loads(done.stdout.strip().splitlines()[-1])
        out[f"ndcg@10 {mode}"] = float(report["ndcg@10"])
        if mode == "semantic":
            out["seconds indexing"] = float(report["seconds_indexing"])
    return out


def cpu_bf16_emulated() -> bool:
    """True on CPUs without AMX or AVX512-BF16, where a 2048² bf16 product takes over a minute."""
    from paperfeed.search.quantized import cpu_precision

    return cpu_precision() != "bf16"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--abstracts", type=int, default=512, help="real abstracts to embed per run")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per path (median quoted)")
    parser.add_argument(
        "--paths",
        default="fp32,bf16",
        help=(
            "paths to compare, fp32 (the sentence-transformers reference) first; auto is the default "
            "path of this CPU; bf16-unfused / fp32-unfused: paperfeed's loop without packed layers"
        ),
    )
    parser.add_argument("--max-tokens", type=int, default=0, help="token cap of the fast paths (0: model's)")
    parser.add_argument("--batch-size", type=int, default=None, help="fast paths' batch (default: theirs)")
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="JSON lines with title and abstract")
    parser.add_argument("--beir", type=Path, default=None, help="a BEIR folder: also measure nDCG@10")
    parser.add_argument("--split", default="train")
    parser.add_argument("--work-dir", type=Path, default=None, help="keeps the BEIR work dirs (reused)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)

    import torch
    from transformers import AutoConfig

    from paperfeed.search.embedders import load_embedder, resolve_model
    from paperfeed.search.quantized import ReducedPrecisionEmbedder

    if args.threads:
        torch.set_num_threads(args.threads)

    texts = load_texts(args.sample, args.abstracts)
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    embedders: dict[str, Any] = {}
    for precision in paths:
        cap = None if precision == "fp32" else (args.max_tokens or None)
        batch = None if precision == "fp32" else args.batch_size
        if precision.endswith("-unfused"):  # paperfeed's loop without oneDNN-packed layers: what packing adds
            embedders[precision] = ReducedPrecisionEmbedder(
                MODEL,
                resolve_model(MODEL),
                precision=precision.split("-")[0],
                max_tokens=cap,
                batch_size=batch,
                fuse=False,
            )
            continue
        embedders[precision] = load_embedder(MODEL, batch_size=batch, precision=precision, max_tokens=cap)
    config = AutoConfig.from_pretrained(resolve_model(MODEL))
    tokenizer = next(iter(embedders.values()))
    raw_lengths = [len(ids) for ids in _token_ids(tokenizer, texts)]
    gflops = machine_gflops()
    bf16_gflops = machine_gflops(size=512 if cpu_bf16_emulated() else 2048, repeats=3, dtype="bf16")
    peak = max(gflops, bf16_gflops)  # the floor of the ratios: the best this CPU's products reach
    seconds, cpu_seconds = time_paths(embedders, texts, args.runs)
    reference = embedders[paths[0]].encode(texts)

    rows: list[dict[str, Any]] = []
    for name, embedder in embedders.items():
        cap = int(embedder.max_tokens)
        lengths = [min(n, cap) for n in raw_lengths]
        flops = flops_per_abstract(config, lengths, int(embedder.batch_size))
        rate = len(texts) / statistics.median(seconds[name])
        vectors = embedder.encode(texts)
        cosine = (vectors * reference).sum(axis=1)
        rows.append(
            {
                "path": name,
                "variant": embedder.variant,
                "batch": int(embedder.batch_size),
                "max_tokens": cap,
                "mean_tokens": round(float(np.mean(lengths)), 1),
                "gflop_per_abstract": round(flops / 1e9, 2),
                "abstracts_per_s": round(rate, 1),
                "runs_s": [round(s, 2) for s in seconds[name]],
                "cpu_ms_per_abstract": round(1000 * statistics.median(cpu_seconds[name]) / len(texts), 1),
                "fp32_ceiling_per_s": round(gflops * 1e9 / flops, 1),
                "peak_ceiling_per_s": round(peak * 1e9 / flops, 1),
                "effective_gflops": round(rate * flops / 1e9, 1),
                "cosine_min": round(float(cosine.min()), 4),
                "cosine_mean": round(float(cosine.mean()), 5),
            }
        )
    base = rows[0]["abstracts_per_s"]
    for row in rows:
        row["vs_fp32"] = round(row["abstracts_per_s"] / base, 2)
        # run by run (the paths ran back to back), so a change in the machine's load between runs cancels
        pairs = zip(seconds[rows[0]["path"]], seconds[row["path"]], strict=True)
        row["vs_fp32_runwise"] = round(statistics.median(a / b for a, b in pairs), 2)
        row["vs_ceiling"] = round(row["abstracts_per_s"] / row["fp32_ceiling_per_s"], 2)
        row["vs_fp32_cpu"] = round(rows[0]["cpu_ms_per_abstract"] / row["cpu_ms_per_abstract"], 2)
        row["vs_peak_ceiling"] = round(row["abstracts_per_s"] / row["peak_ceiling_per_s"], 2)
    if args.beir is not None:
        work_root = args.work_dir or Path(tempfile.mkdtemp(prefix="paperfeed-embed-bench-"))
        for row in rows:
            if row["path"].endswith("-unfused"):
                continue  # same arithmetic as the fused path, same vectors to within rounding
            cap = 0 if row["path"] == "fp32" else args.max_tokens
            row.update(beir_scores(args.beir, args.split, row["path"], cap, work_root))

    load = os.getloadavg()
    header = {
        "nproc": os.cpu_count(),
        "cpu": cpu_name(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "fp32_gflops": round(gflops, 1),
        "bf16_gflops": round(bf16_gflops, 1),
        "abstracts": len(texts),
        "mean_raw_tokens": round(float(np.mean(raw_lengths)), 1),
        "load_average_after": [round(x, 2) for x in load],
    }
    print(
        f"{header['nproc']} cores ({header['cpu']}), torch {header['torch']} with {header['torch_threads']} "
        f"threads; matmul fp32 {header['fp32_gflops']}, bf16 {header['bf16_gflops']} GFLOP/s; "
        f"{len(texts)} abstracts, "
        f"{header['mean_raw_tokens']} tokens on average before the cap; load average after: {load[0]:.2f}\n"
    )
    columns = ["path", "variant", "batch", "gflop_per_abstract", "abstracts_per_s", "fp32_ceiling_per_s"]
    columns += ["peak_ceiling_per_s", "vs_fp32", "vs_fp32_runwise", "vs_ceiling", "vs_peak_ceiling"]
    columns += ["cpu_ms_per_abstract", "vs_fp32_cpu"]
    columns += ["cosine_min"]
    if args.beir is not None:
        columns += ["ndcg@10 semantic", "ndcg@10 hybrid"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    if args.out is not None:
        args.out.write_text(json.dumps({"machine": header, "rows": rows}, indent=2))
    return 0


def _token_ids(embedder: Any, texts: list[str]) -> list[list[int]]:
    """Token ids without a cap (to count what truncation drops), via whichever tokenizer is loaded."""
    tokenizer = getattr(embedder, "tokenizer", None) or embedder.model.tokenizer
    return [list(ids) for ids in tokenizer(texts, truncation=False, padding=False)["input_ids"]]


if __name__ == "__main__":
    raise SystemExit(main())
