"""The Hub's task names over time: the one home of the renames and of today's list, and the largest tasks of a
table (the trend's figures and report show the same ones)."""
from __future__ import annotations

import pandas as pd

#: Tasks the Hub retired since a snapshot was taken -> the task the same models carry today (huggingface.js
#: `pipelines.ts`, copies in ../shared/data/pipeline-tags/: none of the keys is in today's list, every value is).
TASK_RENAMES: dict[str, str] = {
    "conversational": "text-generation",  # removed in Feb 2024; chat models are text-generation
    "text2text-generation": "text-generation",  # removed in 2025, merged into text-generation
    "structured-data-classification": "tabular-classification",  # 2021 name of tabular-classification
}

#: Today's task names (huggingface.js `pipelines.ts`, late 2025: ../shared/data/pipeline-tags/pipeline_tags_head_*.json).
TODAY_TASKS: frozenset[str] = frozenset("""
any-to-any audio-classification audio-text-to-text audio-to-audio automatic-speech-recognition depth-estimation
document-question-answering feature-extraction fill-mask graph-ml image-classification image-feature-extraction
image-segmentation image-text-to-image image-text-to-text image-text-to-video image-to-3d image-to-image image-to-text
image-to-video keypoint-detection mask-generation multiple-choice object-detection other question-answering
reinforcement-learning robotics sentence-similarity summarization table-question-answering table-to-text
tabular-classification tabular-regression tabular-to-text text-classification text-generation text-ranking
text-retrieval text-to-3d text-to-audio text-to-image text-to-speech text-to-video time-series-forecasting
token-classification translation unconditional-image-generation video-classification video-text-to-text
video-to-video visual-document-retrieval visual-question-answering voice-activity-detection zero-shot-classification
zero-shot-image-classification zero-shot-object-detection""".split())


def largest_tasks(by_task_table: pd.DataFrame, top: int = 6) -> list[str]:
    """The tasks with the most models over every snapshot, largest first."""
    totals = by_task_table.groupby("task")["models"].sum()
    return sorted(totals.index, key=lambda t: (-totals[t], t))[:top]
