"""The words the segment rules look up: sizes, hyper-parameters, libraries, and the vocabularies' architectures and
datasets (`analysis.versions.vocab`), with the cached look-ups that decide a glued token."""
from __future__ import annotations

import re
from functools import lru_cache

from analysis.versions import vocab as _vocab

DIGIT = re.compile(r"\d")
SIZE_UNIT = re.compile(r"(?i)^\d+(?:\.\d+)?(?:[kmbt]|bn|mil|million|billion|params?)$")
SIZE_MUL = re.compile(r"(?i)^\d+x\d+(?:\.\d+)?[kmbt]?$|^\d+x\d+x\d+$|^x\d+$|^\d+x$")
HYPER_PREFIX = {"l", "h", "a", "e", "ep", "epoch", "epochs", "step", "steps", "seed", "fold", "checkpoint", "ckpt",
                "k", "top", "bs", "batch", "lr", "layer", "layers", "head", "heads", "p", "patch", "s", "b", "n",
                "d", "r", "t", "x", "w", "c", "f", "m", "g", "i", "u", "exp", "run", "trial", "iter", "it",
                "round", "sample", "samples", "shot", "shots", "class", "classes", "label", "labels", "unit",
                "len", "seq", "ctx", "window", "dim", "in", "cv", "ft", "lv", "tv", "sw", "ra", "fb", "mt", "st",
                "gen", "stage", "phase", "part", "chapter", "level", "lvl", "block", "blocks", "group", "char",
                "num", "no", "nr", "id", "bit", "bits", "page", "task", "rank", "alpha", "beta", "gamma",
                "lambda", "temp", "tau", "eps", "num_train_epochs", "fp", "int", "q", "grid", "res", "img", "px",
                # rates and ratios: `pruning-0.1`, `sparsity-0.9`, `dropout-0.1`
                "pruning", "pruned", "sparsity", "sparse", "dropout", "drop", "ratio", "rate", "threshold", "thresh",
                "decay", "wd", "noise", "prob", "margin", "smoothing", "temperature", "weight", "mask", "masking"}
# Software whose release number is written into a name: `llama-65b-hf-transformers-4.29` (the library, not the model)
LIBRARY_WORDS = {"transformers", "torch", "pytorch", "tensorflow", "tf", "diffusers", "onnx", "onnxruntime", "python",
                 "py", "cuda", "cudnn", "jax", "flax", "keras", "sklearn", "peft", "trl", "vllm", "openvino",
                 "optimum", "tensorrt", "trt", "coreml", "mlx", "sb3", "accelerate", "deepspeed", "spacy"}
HYPER_WORDS = {"epoch", "epochs", "ep", "eps", "e", "step", "steps", "seed", "fold", "folds", "layer", "layers",
               "l", "heads", "head", "h", "shot", "shots", "way", "class", "classes", "labels", "label", "k",
               "bit", "bits", "d", "x", "px", "hz", "khz", "min", "mins", "sec", "s", "hrs", "days",
               "experts", "gpu", "gpus", "percent", "pct", "of"}


def arch() -> frozenset[str]:
    return _vocab.vocab()["arch"]


def datasets() -> frozenset[str]:
    return _vocab.vocab()["datasets"]


@lru_cache(maxsize=1)
def _arch_tables() -> tuple[frozenset[str], tuple[str, ...]]:
    names = arch()
    return frozenset(a for a in names if any(c.isdigit() for c in a)), tuple(
        f for f in _vocab.ARCH_V_FAMILIES if len(f) >= 3)


@lru_cache(maxsize=4)
def _longest(words: frozenset[str]) -> int:
    return max(map(len, words), default=0)


@lru_cache(maxsize=1 << 16)
def glued_arch(low: str, prefix: str) -> bool:
    """Is a glued letters+digits token an architecture/family name (wav2vec2, yolov8, gpt2, resnet50 ...)?"""
    if low in arch() or prefix in _vocab.ARCH_V_FAMILIES:
        return True
    digit_arch, fams = _arch_tables()
    # a known family with a size/depth suffix, or a class name starting with a digit-holding architecture
    for k in range(min(len(low) - 1, _longest(digit_arch)), 2, -1):
        if low[:k] in digit_arch:
            return True
    p = prefix.rstrip("_")
    if p.endswith(fams):
        return True
    # the family of a glued arch ends like one (`mvitv2`, `poolformerv2`, `maxxvitv2`, `rut5`, `aragpt2`)
    if p.endswith(_vocab.ARCH_SUFFIXES):
        return True
    for a in _vocab.ARCH_SUFFIX_TOKENS:
        if low.endswith(a) and len(low) > len(a):
            return True
    return False


def is_dataset(low: str) -> bool:
    ds = datasets()
    return low in ds or low.rstrip("0123456789") in ds and low.rstrip("0123456789") in _vocab.DATASETS
