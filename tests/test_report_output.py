"""Every table and figure of a run is written by `analysis.report.output`: what a reader of the files sees (a
synthetic table says so, a real one does not; names the Hub gave are made filename-safe; a figure that fails leaves
nothing half-written and no figure open; no figure wider than the report's column), and a guard that no other
module of `analysis/` writes a CSV or a PNG by itself."""
from __future__ import annotations

import ast
import re
import struct
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis.report import labels, output

ROOT = Path(__file__).resolve().parent.parent
TABLE = pd.DataFrame({"task": ["fill-mask", "text-generation"], "models": [10, 20], "share_pct": [12.5, 40.0]})


def _png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_a_synthetic_table_carries_its_data_column_and_a_real_one_does_not(tmp_path):
    rel = output.write_table(TABLE, tmp_path, "e2_share_by_task", synthetic=True)
    assert rel == Path("tables/e2_share_by_task.csv")
    synthetic = pd.read_csv(tmp_path / rel)
    assert list(synthetic.columns) == [*TABLE.columns, "data"]  # no index column, `data` last
    assert synthetic["data"].eq(labels.DATA).all()
    rel = output.write_table(TABLE, tmp_path / "real", "e2_share_by_task")
    real = pd.read_csv(tmp_path / "real" / rel)
    assert list(real.columns) == list(TABLE.columns)
    pd.testing.assert_frame_equal(real, TABLE)


def test_an_empty_table_is_written_with_its_header(tmp_path):
    rel = output.write_table(TABLE.iloc[:0], tmp_path, "e2c_groups", "fill-mask", synthetic=True)
    assert (tmp_path / rel).read_text() == "task,models,share_pct,data\n"


def test_table_names_are_filename_safe_whatever_the_hub_calls_a_scope(tmp_path):
    hostile = ["../../etc/passwd", "a/b", "a_b", "name with spaces", "ünï.cödé", ".."]
    written = [output.write_table(TABLE, tmp_path, "e3_tokens", scope) for scope in hostile]
    assert len(set(written)) == len(hostile)  # two different names never share a file
    for rel in written:
        assert rel.parent == Path("tables") and re.fullmatch(r"e3_tokens_[A-Za-z0-9_-]+\.csv", rel.name), rel
        assert (tmp_path / rel).is_file()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(r.name for r in written)
    assert output.write_table(TABLE, tmp_path, "e2b_tokens", "text-generation").name == \
        "e2b_tokens_text-generation.csv"  # a name that is already safe stays readable
    with pytest.raises(ValueError):
        output.write_table(TABLE, tmp_path, "../e1")


def test_a_figure_that_fails_to_draw_writes_nothing_and_leaves_no_figure_open(tmp_path):
    path = tmp_path / "figures" / "f.png"
    open_before = plt.get_fignums()
    with pytest.raises(KeyError):
        with output.figure(path, (4, 3)) as fig:
            ax = fig.subplots()
            ax.plot([1, 2], [3, 4])
            ax.set_title({}["a column the table lacks"])
    assert plt.get_fignums() == open_before
    assert not path.parent.exists() or list(path.parent.iterdir()) == []


def test_a_figure_that_fails_to_render_leaves_the_old_png_and_no_figure_open(tmp_path):
    """The title's text is parsed only when the figure is rendered, on the way to the file."""
    path = tmp_path / "f.png"
    with output.figure(path, (4, 3)) as fig:
        fig.subplots().set_title("first")
    first = path.read_bytes()
    open_before = plt.get_fignums()
    with pytest.raises(ValueError):
        with output.figure(path, (4, 3)) as fig:
            fig.subplots().set_title(r"$\frac{1}{$")  # bad mathtext: fails at render time
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]  # no temporary file left beside it
    assert plt.get_fignums() == open_before


def test_a_png_cut_off_while_written_never_replaces_the_old_one(tmp_path, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = tmp_path / "f.png"
    with output.figure(path, (4, 3)) as fig:
        fig.subplots()
    first = path.read_bytes()

    def disk_full(self, target, **_kwargs):
        if not isinstance(target, str | Path):  # the dry run that measures the tight box
            return real_print_png(self, target)
        Path(target).write_bytes(first[:40])
        raise OSError("No space left on device")

    real_print_png = FigureCanvasAgg.print_png

    monkeypatch.setattr(FigureCanvasAgg, "print_png", disk_full)
    with pytest.raises(OSError):
        with output.figure(path, (4, 3)) as fig:
            fig.subplots()
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot be written")


def test_a_table_that_fails_while_written_leaves_the_old_csv_whole(tmp_path):
    rel = output.write_table(TABLE, tmp_path, "e1_version_share")
    first = (tmp_path / rel).read_bytes()
    bad = pd.DataFrame({"task": ["a"] * 5000 + [_Unprintable()]})
    with pytest.raises(RuntimeError):
        output.write_table(bad, tmp_path, "e1_version_share")
    assert (tmp_path / rel).read_bytes() == first
    assert [p.name for p in (tmp_path / "tables").iterdir()] == ["e1_version_share.csv"]


def test_a_figure_of_synthetic_data_says_so_in_its_title(tmp_path):
    with output.synthetic_titles():
        with output.figure(tmp_path / "s.png", (4, 3)) as synthetic:
            synthetic.subplots().set_title("Experiment 1")
    with output.figure(tmp_path / "r.png", (4, 3)) as real:
        real.subplots().set_title("Experiment 1")
    with output.synthetic_titles(False):
        with output.figure(tmp_path / "r2.png", (4, 3)) as real2:
            real2.subplots().set_title("Experiment 1")
    assert synthetic.axes[0].get_title() == f"{labels.FIGURE}\nExperiment 1"
    assert real.axes[0].get_title() == real2.axes[0].get_title() == "Experiment 1"


def test_no_figure_is_saved_wider_than_the_report_column(tmp_path):
    with output.figure(tmp_path / "wide.png", (20, 3)) as fig:
        fig.subplots().set_title("a figure drawn 20 inches wide")
    with output.figure(tmp_path / "narrow.png", (6, 3), tight=False) as fig:
        fig.subplots()
    assert output.MAX_WIDTH_PX - 10 <= _png_size(tmp_path / "wide.png")[0] <= output.MAX_WIDTH_PX
    assert _png_size(tmp_path / "narrow.png") == (6 * output.DPI, 3 * output.DPI)  # within it: at DPI, as drawn


#: What only analysis/report/output.py may call: writing a CSV, saving a figure, creating one with pyplot.
WRITERS = {"to_csv", "savefig"}
PYPLOT_MAKERS = {"figure", "subplots"}


def _writing_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr, owner = node.func.attr, node.func.value
        if attr in WRITERS or (attr in PYPLOT_MAKERS and isinstance(owner, ast.Name) and owner.id in ("plt", "pyplot")):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node.func)}(")
    return found


def test_only_the_output_module_writes_tables_and_figures():
    helper = ROOT / "analysis" / "report" / "output.py"
    found = [call for path in sorted((ROOT / "analysis").rglob("*.py")) if path != helper
             for call in _writing_calls(path)]
    assert found == [], "write tables and figures through analysis.report.output:\n" + "\n".join(found)
    assert {c.split(": ")[1] for c in _writing_calls(helper)} >= {"df.to_csv(", "fig.savefig(", "plt.figure("}
